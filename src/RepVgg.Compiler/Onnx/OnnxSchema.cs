namespace RepVgg.Compiler.Onnx;

/// <summary>
/// The field numbers and enum values of onnx.proto (ONNX's protobuf schema) that the exporter
/// writes. Numbers are the schema's; names follow it (ModelProto.graph is field 7, and so on).
/// </summary>
internal static class OnnxSchema
{
    /// <summary>ModelProto: the file's top-level message.</summary>
    public static class Model
    {
        public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, DocString = 6, Graph = 7, OpsetImport = 8;
    }

    /// <summary>OperatorSetIdProto: an operator set the model uses; an empty domain is the default (ai.onnx).</summary>
    public static class OperatorSetId
    {
        public const int Domain = 1, Version = 2;
    }

    /// <summary>GraphProto: nodes in topological order, weights as initializers, inputs and outputs.</summary>
    public static class Graph
    {
        public const int Node = 1, Name = 2, Initializer = 5, DocString = 10, Input = 11, Output = 12;
    }

    /// <summary>NodeProto: one operator call, wired by tensor names.</summary>
    public static class Node
    {
        public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5, DocString = 6;
    }

    /// <summary>AttributeProto: a named operator parameter; <see cref="Type"/> says which value field is set.</summary>
    public static class AttributeProto
    {
        public const int Name = 1, I = 3, Ints = 8, Type = 20;

        /// <summary>AttributeProto.AttributeType values.</summary>
        public const int TypeInt = 2, TypeInts = 7;
    }

    /// <summary>TensorProto: an initializer; raw_data holds the values little-endian, row-major in <see cref="Dims"/>.</summary>
    public static class Tensor
    {
        public const int Dims = 1, DataType = 2, Name = 8, RawData = 9;

        /// <summary>TensorProto.DataType.FLOAT (float32).</summary>
        public const int Float = 1;
    }

    /// <summary>ValueInfoProto: a graph input or output, its name and type.</summary>
    public static class ValueInfo
    {
        public const int Name = 1, Type = 2;
    }

    /// <summary>TypeProto (its tensor_type case) and TypeProto.Tensor.</summary>
    public static class TypeProto
    {
        public const int TensorType = 1;
        public const int TensorElemType = 1, TensorShape = 2;
    }

    /// <summary>TensorShapeProto and its Dimension: a fixed dim_value or a named symbolic dim_param.</summary>
    public static class Shape
    {
        public const int Dim = 1;
        public const int DimValue = 1, DimParam = 2;
    }
}
