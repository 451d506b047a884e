// ILGPU's PTX backend compiling a tensor-core kernel takes a core and gigabytes; one at a time on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
