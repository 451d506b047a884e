using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace RepVgg.Integration.Tests;

/// <summary>
/// The class the build generated from the PyTorch fixture (TinyOfficial, 3 x 64 x 64) called from many threads
/// at once: one shared instance, the static <c>Infer</c>, an instance per thread, and <c>Dispose</c> racing the
/// calls. Every result is compared bit for bit with a single-threaded run of the same calls, which is itself
/// checked against PyTorch's float64 logits on the fixture's images.
/// </summary>
public sealed class ConcurrentInferenceTests(ITestOutputHelper output)
{
    private const int Threads = 12;
    private const int CallsPerThread = 20;

    private static readonly Lazy<Workload> s_workload = new(Workload.Create);

    [Fact]
    public void Threads_sharing_one_instance_get_the_single_threaded_logits()
    {
        Workload work = s_workload.Value;
        using var shared = TinyOfficial.Create();
        using var start = new Barrier(Threads);

        RunOnThreads(Threads, thread =>
        {
            Rendezvous(start);
            for (int call = 0; call < CallsPerThread; call++)
            {
                // At each step the threads run different requests: single images and batches of 2 to 4.
                int request = (thread + call) % work.Requests.Length;
                float[] logits = work.NewLogits(request);
                shared.Infer(work.Images(request), logits);
                work.AssertSingleThreaded(request, logits, $"thread {thread}, call {call}");
            }
        });
    }

    [Fact]
    public void Threads_calling_the_static_Infer_get_the_single_threaded_logits()
    {
        Workload work = s_workload.Value;
        using var start = new Barrier(Threads);

        RunOnThreads(Threads, thread =>
        {
            Rendezvous(start);
            for (int call = 0; call < CallsPerThread; call++)
            {
                int request = (thread + call) % work.SingleImageRequests;
                float[] logits = TinyOfficial.Infer(work.Images(request));
                work.AssertSingleThreaded(request, logits, $"thread {thread}, call {call}");
            }
        });
    }

    [Fact]
    public void Threads_with_an_instance_each_get_the_single_threaded_logits()
    {
        Workload work = s_workload.Value;
        using var start = new Barrier(Threads);

        RunOnThreads(Threads, thread =>
        {
            Rendezvous(start);
            // Created at once on every thread, each allocating its buffers on its first call, all on one worker pool.
            using var own = TinyOfficial.Create();
            for (int call = 0; call < CallsPerThread; call++)
            {
                int request = (thread + call) % work.Requests.Length;
                float[] logits = work.NewLogits(request);
                own.Infer(work.Images(request), logits);
                work.AssertSingleThreaded(request, logits, $"thread {thread}, call {call}");
            }
        });
    }

    /// <summary>
    /// Eight threads call one instance in a loop while it is disposed (from two threads at once, and again
    /// afterwards); four more call another instance and the static <c>Infer</c> throughout, before and after,
    /// on the same worker pool and the same process-wide weights.
    /// </summary>
    [Fact]
    public void Dispose_during_calls_lets_each_call_finish_correctly_or_throw_ObjectDisposedException()
    {
        Workload work = s_workload.Value;
        const int victims = 8, bystanders = 4;
        var victim = TinyOfficial.Create();
        using var other = TinyOfficial.Create();
        using var start = new Barrier(victims + bystanders + 1);
        using var everyThreadHasCalled = new CountdownEvent(victims + bystanders);
        long disposeCalled = long.MaxValue, disposeReturned = long.MaxValue; // Stopwatch timestamps
        var victimCalls = new ConcurrentQueue<CallRecord>();
        int bystandersStop = 0, abandoned = 0;
        var errors = new ConcurrentQueue<Exception>();
        using var failed = new ManualResetEventSlim();
        var threads = new Thread[victims + bystanders];
        try
        {
            for (int t = 0; t < threads.Length; t++)
            {
                int thread = t;
                threads[t] = StartThread(thread < victims ? () => CallUntilDisposed(thread) : () => CallUntilStopped(thread), errors, failed);
            }

            Rendezvous(start);
            WaitHandle.WaitAny([everyThreadHasCalled.WaitHandle, failed.WaitHandle], TimeSpan.FromSeconds(30));
            ThrowIfAny(errors);
            Assert.True(everyThreadHasCalled.IsSet, "Not every thread made its first call within 30 s.");

            Volatile.Write(ref disposeCalled, Stopwatch.GetTimestamp());
            Thread secondDisposer = StartThread(victim.Dispose, errors, failed);
            victim.Dispose();
            Assert.True(secondDisposer.Join(TimeSpan.FromSeconds(30)), "The second Dispose did not return within 30 s.");
            Volatile.Write(ref disposeReturned, Stopwatch.GetTimestamp());

            JoinAll(threads[..victims]);
            Volatile.Write(ref bystandersStop, 1);
            JoinAll(threads[victims..]);
            ThrowIfAny(errors);
        }
        finally
        {
            // On failure, stops every thread still calling: none may outlive the test.
            Volatile.Write(ref abandoned, 1);
            victim.Dispose();
        }

        // The overlap was real: calls were inside Infer when Dispose was called.
        CallRecord[] calls = victimCalls.ToArray();
        CallRecord[] overlapping = calls.Where(call => call.Began < disposeCalled && call.Ended > disposeCalled).ToArray();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{calls.Length} calls on the disposed instance: {calls.Count(c => !c.Disposed)} completed, {calls.Count(c => c.Disposed)} threw ObjectDisposedException; " +
            $"inside Infer when Dispose was called: {overlapping.Count(c => !c.Disposed)} went on to complete, {overlapping.Count(c => c.Disposed)} threw."));
        Assert.NotEmpty(overlapping);
        Assert.Contains(calls, call => call.Disposed && call.Began < disposeReturned);
        // Every call that began after Dispose returned threw.
        Assert.All(calls.Where(call => call.Began > disposeReturned), call => Assert.True(call.Disposed));

        victim.Dispose();
        Assert.Throws<ObjectDisposedException>(() => victim.Infer(work.Images(0), work.NewLogits(0)));
        work.AssertSingleThreaded(1, TinyOfficial.Infer(work.Images(1)), "the static Infer afterwards");

        void CallUntilDisposed(int thread)
        {
            Rendezvous(start);
            // Runs until three calls in a row have thrown: once one has, none may complete again.
            for (int call = 0, disposedCalls = 0; disposedCalls < 3 && Volatile.Read(ref abandoned) == 0; call++)
            {
                int request = (thread + call) % work.Requests.Length;
                float[] logits = work.NewLogits(request);
                long began = Stopwatch.GetTimestamp();
                bool disposed = false;
                try
                {
                    victim.Infer(work.Images(request), logits);
                }
                catch (ObjectDisposedException)
                {
                    disposed = true;
                }
                victimCalls.Enqueue(new CallRecord(began, Stopwatch.GetTimestamp(), disposed));
                if (disposed)
                {
                    Assert.True(logits.All(float.IsNaN), $"Thread {thread}, call {call} threw ObjectDisposedException after writing logits.");
                    disposedCalls++;
                }
                else
                {
                    Assert.True(disposedCalls == 0, $"Thread {thread}, call {call} completed after an earlier call had thrown ObjectDisposedException.");
                    work.AssertSingleThreaded(request, logits, $"thread {thread}, call {call} on the instance being disposed");
                }
                if (call == 0) everyThreadHasCalled.Signal();
            }
        }

        void CallUntilStopped(int thread)
        {
            Rendezvous(start);
            // Runs until told to stop, and at least until two calls have begun after Dispose returned.
            for (int call = 0, callsAfterDispose = 0;
                 (Volatile.Read(ref bystandersStop) == 0 || callsAfterDispose < 2) && Volatile.Read(ref abandoned) == 0; call++)
            {
                if (Stopwatch.GetTimestamp() > Volatile.Read(ref disposeReturned)) callsAfterDispose++;
                int request = (thread + call) % work.SingleImageRequests;
                float[] logits;
                if (thread % 2 == 0)
                {
                    logits = work.NewLogits(request);
                    other.Infer(work.Images(request), logits);
                }
                else
                {
                    logits = TinyOfficial.Infer(work.Images(request));
                }
                work.AssertSingleThreaded(request, logits, $"thread {thread} ({(thread % 2 == 0 ? "another instance" : "the static Infer")}), call {call}");
                if (call == 0) everyThreadHasCalled.Signal();
            }
        }
    }

    /// <summary>One call on the instance being disposed: when it began and returned (Stopwatch timestamps), and whether it threw.</summary>
    private readonly record struct CallRecord(long Began, long Ended, bool Disposed);

    /// <summary>Runs <paramref name="body"/> on <paramref name="count"/> new threads (not the thread pool's, which would start them one by one) and rethrows what they threw.</summary>
    private static void RunOnThreads(int count, Action<int> body)
    {
        var errors = new ConcurrentQueue<Exception>();
        using var failed = new ManualResetEventSlim();
        JoinAll(Enumerable.Range(0, count).Select(thread => StartThread(() => body(thread), errors, failed)).ToArray());
        ThrowIfAny(errors);
    }

    /// <summary>Starts <paramref name="body"/> on a new thread; what it throws goes to <paramref name="errors"/>, and sets <paramref name="failed"/>.</summary>
    private static Thread StartThread(Action body, ConcurrentQueue<Exception> errors, ManualResetEventSlim failed)
    {
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
                failed.Set();
            }
        }) { IsBackground = true };
        thread.Start();
        return thread;
    }

    private static void JoinAll(Thread[] threads)
    {
        foreach (Thread thread in threads)
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "A thread did not finish within 60 s.");
    }

    private static void ThrowIfAny(ConcurrentQueue<Exception> errors)
    {
        if (!errors.IsEmpty)
            throw new AggregateException(errors);
    }

    /// <summary>Waits until every thread of <paramref name="barrier"/> is here, so that their calls overlap from the first.</summary>
    private static void Rendezvous(Barrier barrier) =>
        Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(30)), "Not every thread reached the barrier within 30 s.");

    /// <summary>
    /// Requests (a run of images, one or several) over 16 distinct images, and their logits from a single-threaded run.
    /// The first <see cref="SingleImageRequests"/> requests are image i alone.
    /// </summary>
    private sealed class Workload
    {
        private const int ImageLength = TinyOfficial.InputChannels * TinyOfficial.InputHeight * TinyOfficial.InputWidth;
        private const int ImageCount = 16;

        private readonly float[] _images;
        private readonly float[][] _expected;

        private Workload(float[] images, (int First, int Count)[] requests, float[][] expected)
        {
            _images = images;
            Requests = requests;
            _expected = expected;
        }

        public (int First, int Count)[] Requests { get; }

        public int SingleImageRequests => ImageCount;

        public ReadOnlySpan<float> Images(int request) =>
            _images.AsSpan(Requests[request].First * ImageLength, Requests[request].Count * ImageLength);

        /// <summary>Logits for <paramref name="request"/>, all NaN until written.</summary>
        public float[] NewLogits(int request)
        {
            var logits = new float[Requests[request].Count * TinyOfficial.ClassCount];
            Array.Fill(logits, float.NaN);
            return logits;
        }

        /// <summary>Passes when <paramref name="logits"/> are bit for bit the single-threaded run's for <paramref name="request"/>.</summary>
        public void AssertSingleThreaded(int request, float[] logits, string what)
        {
            float[] expected = _expected[request];
            if (logits.Length != expected.Length)
                throw new XunitException($"{what}: {logits.Length} logits; the single-threaded run gave {expected.Length}.");
            for (int i = 0; i < expected.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(logits[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                    throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                        $"{what}: request {request} (images {Requests[request].First} to {Requests[request].First + Requests[request].Count - 1}), " +
                        $"logit {i} is {logits[i]:R}; the single-threaded run gave {expected[i]:R}."));
            }
        }

        /// <summary>
        /// The fixture's three images, then 13 more made from them (scaled, plus seeded noise); each image alone, then
        /// five batches. The single-threaded run's logits are checked against PyTorch's on the fixture's images, and
        /// are distinct for distinct images, so a result computed from another thread's input cannot pass.
        /// </summary>
        public static Workload Create()
        {
            PyTorchFixtures.Input fixture = PyTorchFixtures.LoadInput("x64");
            var images = new float[ImageCount * ImageLength];
            fixture.Images.CopyTo(images, 0);
            var random = new Random(20240611);
            for (int image = fixture.Batch; image < ImageCount; image++)
            {
                float scale = 0.5f + 0.1f * image;
                int source = image % fixture.Batch * ImageLength, target = image * ImageLength;
                for (int i = 0; i < ImageLength; i++)
                    images[target + i] = scale * fixture.Images[source + i] + 0.5f * (random.NextSingle() - 0.5f);
            }
            (int, int)[] requests =
            [
                .. Enumerable.Range(0, ImageCount).Select(image => (image, 1)),
                (0, 3), (3, 2), (5, 3), (8, 4), (12, 4),
            ];

            // One instance, one thread, one request after another.
            using var single = TinyOfficial.Create();
            var expected = new float[requests.Length][];
            var workload = new Workload(images, requests, expected);
            for (int request = 0; request < requests.Length; request++)
            {
                expected[request] = workload.NewLogits(request);
                single.Infer(workload.Images(request), expected[request]);
            }

            int fixtureBatch = Array.IndexOf(requests, (0, fixture.Batch));
            NumericAssert.Close(fixture.Logits, expected[fixtureBatch], NumericAssert.Float32Tolerance, "single-threaded TinyOfficial on x64");
            for (int image = 0; image < fixture.Batch; image++)
                NumericAssert.Close(fixture.Logits.AsSpan(image * fixture.Classes, fixture.Classes), expected[image],
                    NumericAssert.Float32Tolerance, $"single-threaded TinyOfficial on x64 image {image} alone");
            for (int a = 0; a < ImageCount; a++)
                for (int b = a + 1; b < ImageCount; b++)
                    Assert.False(expected[a].AsSpan().SequenceEqual(expected[b]), $"Images {a} and {b} give the same logits.");
            return workload;
        }
    }
}
