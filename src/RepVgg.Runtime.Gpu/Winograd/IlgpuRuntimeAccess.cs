using System.Runtime.CompilerServices;

// ILGPU's CPU accelerator runs kernels through types it emits into its dynamic assembly "ILGPURuntime";
// those must see the internal kernel argument types (WinogradShape, the Line structs). The lead may move
// this to the project file with the engine's own kernels; a repeated InternalsVisibleTo is harmless.
[assembly: InternalsVisibleTo("ILGPURuntime")]
