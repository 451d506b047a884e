using RepVgg.Compiler.Outputs;

namespace RepVgg.Compiler.Tests.Outputs;

/// <summary><see cref="AtomicFile"/>: the name holds the old file or the whole new one, never a part, and no temporary file is left.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly byte[] Previous = [1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void A_write_that_throws_midway_leaves_the_previous_file_and_no_temporary_file()
    {
        string path = _folder.File("model.onnx");
        File.WriteAllBytes(path, Previous);

        var failure = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            stream.Flush();
            throw new InvalidOperationException("the writer failed midway");
        }));

        Assert.Equal("the writer failed midway", failure.Message);
        Assert.Equal(Previous, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_folder.Path));
    }

    [Fact]
    public void A_complete_write_replaces_the_file_and_leaves_nothing_else()
    {
        string path = _folder.File("blob.bin");
        File.WriteAllBytes(path, Previous);

        AtomicFile.Write(path, stream => stream.Write([9, 10]));

        Assert.Equal([9, 10], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_folder.Path));
    }

    [Fact]
    public void Concurrent_writers_of_one_file_each_succeed_and_the_file_is_one_of_theirs()
    {
        // Two builds synthesizing one checkpoint: with File.Create one failed with "being used by another process".
        string path = _folder.File("synthetic.pth");
        byte[][] contents = [.. Enumerable.Range(1, 8).Select(i => Enumerable.Repeat((byte)i, 1 << 20).ToArray())];

        Parallel.ForEach(contents, content => AtomicFile.Write(path, stream =>
        {
            stream.Write(content.AsSpan(0, content.Length / 2));
            Thread.Sleep(10);
            stream.Write(content.AsSpan(content.Length / 2));
        }));

        byte[] written = File.ReadAllBytes(path);
        Assert.Contains(contents, content => content.AsSpan().SequenceEqual(written));
        Assert.Equal([path], Directory.GetFileSystemEntries(_folder.Path));
    }

    [Fact]
    public void A_path_that_is_a_folder_is_refused_saying_so()
    {
        string folder = Directory.CreateDirectory(_folder.File("out")).FullName;

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(folder, stream => stream.Write(Previous)));

        Assert.Contains("is a folder", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
        Assert.Equal([folder], Directory.GetFileSystemEntries(_folder.Path));
    }
}
