using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using RepVgg.Compiler.Architecture;

namespace RepVgg.Runtime.Benchmarks;

/// <summary>
/// Achieved GFLOP/s from the mean time: the fused network's FLOPs per image (<see cref="Flops.PerImage"/>)
/// times the batch, for benchmarks with <c>Model</c> (a variant name) and <c>Batch</c> parameters.
/// </summary>
internal sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second at the mean time (a multiply-add is two), at 224 x 224";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (summary[benchmarkCase]?.ResultStatistics is not { } statistics) return "NA";
        if (benchmarkCase.Parameters["Model"] is not string name || RepVggVariant.Find(name) is not { } variant
            || benchmarkCase.Parameters["Batch"] is not int batch)
            return "?";
        double flops = Flops.PerImage(variant, BenchmarkModel.Height, BenchmarkModel.Width) * batch;
        return (flops / statistics.Mean).ToString("F1", CultureInfo.InvariantCulture); // FLOP per ns = GFLOP/s
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
