using System.Buffers.Binary;

namespace Reconciler.Runtime.Guests;

/// <summary>
/// The in-process guest: it has real (sparse) memory that its workload writes, CPU time that grows while
/// it runs, I/O counters, and the ACPI behaviour of a well-behaved OS (it powers off or reboots a short
/// while after being asked, unless told to ignore requests).
/// </summary>
internal sealed class SimulatedGuest : IGuest
{
    private readonly Lock _sync = new();

    // Held while the workload writes memory: once Pause or Stop returns, no write is in flight, so a
    // paused guest's memory stays exactly as it is (save images, digests and migration rely on it).
    private readonly Lock _writes = new();
    private readonly GuestScheduler _scheduler;
    private readonly Action<IGuest, GuestExit> _onExit;
    private readonly TimeSpan _acpiDelay;
    private readonly List<KeyValuePair<string, long[]>> _disks = [];
    private readonly List<KeyValuePair<string, long[]>> _nics = [];
    private readonly Random _random;
    private WorkloadSettings _workload;
    private TimeSpan _cpuTime;
    private long _runningSince;
    private bool _paused = true;
    private bool _stopped;
    private long _workCounter;
    private double _pageBudget;
    private double _diskBudget;
    private double _packetBudget;
    private ulong _balloon;
    private int _online;
    private long _cursor;
    private CancellationTokenSource? _pendingAcpi;

    public SimulatedGuest(GuestConfig config, GuestMemory memory, GuestScheduler scheduler, Action<IGuest, GuestExit> onExit, TimeSpan acpiDelay)
    {
        Memory = memory;
        _scheduler = scheduler;
        _onExit = onExit;
        _acpiDelay = acpiDelay;
        _workload = config.Workload;
        _balloon = config.BalloonKiB;
        _online = config.OnlineVcpus;
        _random = new Random(config.Uuid.GetHashCode());
        SetDevices(config.Disks, config.Interfaces);
        if (memory.TouchedPages == 0 && !config.Incoming)
        {
            Boot();
        }
    }

    /// <summary>
    /// A fresh boot loads something into memory (firmware, kernel, its first data), different at every
    /// boot: a restored guest is told from a rebooted one by its memory digest.
    /// </summary>
    private void Boot()
    {
        var pages = (int)Math.Min(1, Memory.PageCount);
        Span<byte> page = stackalloc byte[GuestMemory.PageSize];
        var seed = (ulong)Random.Shared.NextInt64() | 1;
        for (var i = 0; i < pages; i++)
        {
            FillPattern(page, seed ^ ((ulong)i * 0x9E3779B97F4A7C15UL));
            Memory.WritePage(i, page);
        }
    }

    public GuestMemory Memory { get; }

    public bool Paused
    {
        get
        {
            lock (_sync)
            {
                return _paused;
            }
        }
    }

    public long WorkCounter => Interlocked.Read(ref _workCounter);

    public void TouchAllMemory()
    {
        Span<byte> page = stackalloc byte[GuestMemory.PageSize];
        for (long index = 0; index < Memory.PageCount; index++)
        {
            lock (_writes)
            {
                lock (_sync)
                {
                    if (_paused || _stopped)
                    {
                        return;
                    }
                }

                var counter = Interlocked.Increment(ref _workCounter);
                FillPattern(page, (ulong)counter * 0x9E3779B97F4A7C15UL ^ (ulong)index);
                Memory.WritePage(index, page);
            }
        }
    }

    public GuestDeviceState CaptureState()
    {
        lock (_sync)
        {
            AccumulateCpu();
            return new GuestDeviceState(WorkCounter, _workload, _cpuTime, _balloon, _online);
        }
    }

    public void LoadState(GuestDeviceState state)
    {
        lock (_sync)
        {
            Interlocked.Exchange(ref _workCounter, state.WorkCounter);
            _workload = state.Workload;
            _cpuTime = state.CpuTime;
            _balloon = state.BalloonKiB;
            _online = state.OnlineVcpus;
        }

        UpdateSchedule();
    }

    public TimeSpan CpuTime
    {
        get
        {
            lock (_sync)
            {
                AccumulateCpu();
                return _cpuTime;
            }
        }
    }

    public IReadOnlyList<TimeSpan> VcpuTimes
    {
        get
        {
            var total = CpuTime;
            var online = Math.Max(OnlineVcpus, 1);
            return Enumerable.Range(0, online).Select(_ => total / online).ToList();
        }
    }

    public ulong BalloonKiB
    {
        get
        {
            lock (_sync)
            {
                return _balloon;
            }
        }
    }

    public int OnlineVcpus
    {
        get
        {
            lock (_sync)
            {
                return _online;
            }
        }
    }

    public bool IgnoreShutdownRequests { get; set; }

    public WorkloadSettings Workload
    {
        get
        {
            lock (_sync)
            {
                return _workload;
            }
        }

        set
        {
            lock (_sync)
            {
                _workload = value;
            }

            UpdateSchedule();
        }
    }

    public void Pause()
    {
        lock (_sync)
        {
            if (_paused || _stopped)
            {
                return;
            }

            AccumulateCpu();
            _paused = true;
        }

        WaitForWrites();
        UpdateSchedule();
    }

    public void Resume()
    {
        lock (_sync)
        {
            if (!_paused || _stopped)
            {
                return;
            }

            _paused = false;
            _runningSince = Environment.TickCount64;
        }

        UpdateSchedule();
    }

    public void SetBalloon(ulong kib)
    {
        lock (_sync)
        {
            _balloon = kib;
        }
    }

    public void SetOnlineVcpus(int count)
    {
        lock (_sync)
        {
            AccumulateCpu();
            _runningSince = Environment.TickCount64;
            _online = count;
        }
    }

    public void RequestShutdown() => ScheduleAcpi(GuestExit.PowerOff);

    public void RequestReboot() => ScheduleAcpi(GuestExit.Reboot);

    public void Reset()
    {
        lock (_sync)
        {
            _pendingAcpi?.Cancel();
        }
    }

    public void Stop()
    {
        lock (_sync)
        {
            if (_stopped)
            {
                return;
            }

            AccumulateCpu();
            _stopped = true;
            _paused = true;
            _pendingAcpi?.Cancel();
        }

        WaitForWrites();
        _scheduler.Remove(this);
    }

    /// <summary>Returns once no workload write is in flight.</summary>
    private void WaitForWrites()
    {
        _writes.Enter();
        _writes.Exit();
    }

    public BlockStats? BlockStats(string disk)
    {
        lock (_sync)
        {
            var c = _disks.Find(d => d.Key == disk).Value;
            return c is null ? null : new BlockStats(c[0], c[1], c[2], c[3], c[4]);
        }
    }

    public InterfaceStats? InterfaceStats(string nic)
    {
        lock (_sync)
        {
            var c = _nics.Find(n => string.Equals(n.Key, nic, StringComparison.OrdinalIgnoreCase)).Value;
            return c is null ? null : new InterfaceStats(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
        }
    }

    public void SetDevices(IReadOnlyList<string> disks, IReadOnlyList<string> nics)
    {
        lock (_sync)
        {
            Follow(_disks, disks, 5);
            Follow(_nics, nics, 8);
        }

        static void Follow(List<KeyValuePair<string, long[]>> counters, IReadOnlyList<string> names, int width)
        {
            var kept = counters.Where(c => names.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value);
            counters.Clear();
            foreach (var name in names)
            {
                counters.Add(new(name, kept.GetValueOrDefault(name) ?? new long[width]));
            }
        }
    }

    public void Simulate(GuestExit exit)
    {
        lock (_sync)
        {
            if (_stopped)
            {
                return;
            }
        }

        _onExit(this, exit);
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    /// <summary>Advances the workload by <paramref name="seconds"/> of guest time (called by the scheduler).</summary>
    internal void Tick(double seconds)
    {
        WorkloadSettings workload;
        long pages;
        long diskOps;
        long packets;
        lock (_sync)
        {
            if (_paused || _stopped)
            {
                return;
            }

            workload = _workload;
            _pageBudget += workload.DirtyPagesPerSecond * seconds;
            _diskBudget += workload.DiskOpsPerSecond * seconds;
            _packetBudget += workload.PacketsPerSecond * seconds;
            pages = (long)_pageBudget;
            diskOps = (long)_diskBudget;
            packets = (long)_packetBudget;
            _pageBudget -= pages;
            _diskBudget -= diskOps;
            _packetBudget -= packets;
            for (var i = 0; i < diskOps && _disks.Count > 0; i++)
            {
                var d = _disks[i % _disks.Count].Value;
                if ((i & 1) == 0)
                {
                    d[0]++;
                    d[1] += 4096;
                }
                else
                {
                    d[2]++;
                    d[3] += 4096;
                }
            }

            for (var i = 0; i < packets && _nics.Count > 0; i++)
            {
                var n = _nics[i % _nics.Count].Value;
                n[0] += 1500;
                n[1]++;
                n[4] += 1500;
                n[5]++;
            }
        }

        if (pages > 0)
        {
            lock (_writes)
            {
                lock (_sync)
                {
                    if (_paused || _stopped)
                    {
                        return;
                    }
                }

                DirtyPages(pages);
            }
        }
    }

    /// <summary>Writes <paramref name="count"/> pages: each gets the work counter and a pattern derived from it.</summary>
    private void DirtyPages(long count)
    {
        var usable = (long)Math.Min((ulong)Memory.PageCount, BalloonKiB / 4);
        if (usable <= 0)
        {
            return;
        }

        Span<byte> page = stackalloc byte[GuestMemory.PageSize];
        for (var i = 0; i < count; i++)
        {
            var counter = Interlocked.Increment(ref _workCounter);
            long index;
            lock (_sync)
            {
                // Mostly a working set that moves slowly, sometimes anywhere: like a real guest.
                index = _random.Next(4) == 0 ? _random.NextInt64(usable) : (_cursor++ % Math.Min(usable, 4096));
            }

            FillPattern(page, (ulong)counter * 0x9E3779B97F4A7C15UL ^ (ulong)index);
            Memory.WritePage(index, page);
        }
    }

    /// <summary>Fills a page with a xorshift sequence from a seed: never zero, different for every seed.</summary>
    private static void FillPattern(Span<byte> page, ulong state)
    {
        for (var offset = 0; offset < page.Length; offset += 8)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            BinaryPrimitives.WriteUInt64LittleEndian(page[offset..], state | 1);
        }
    }

    /// <summary>Adds the CPU time used since the last call while running (call with the lock held).</summary>
    private void AccumulateCpu()
    {
        if (_paused || _stopped)
        {
            return;
        }

        var now = Environment.TickCount64;
        var elapsed = TimeSpan.FromMilliseconds(now - _runningSince);
        _cpuTime += elapsed * Math.Max(_online, 1) * Math.Max(_workload.CpuLoad, 0.001);
        _runningSince = now;
    }

    private void UpdateSchedule()
    {
        bool active;
        lock (_sync)
        {
            active = !_paused && !_stopped && _workload.IsBusy;
        }

        if (active)
        {
            _scheduler.Add(this);
        }
        else
        {
            _scheduler.Remove(this);
        }
    }

    private void ScheduleAcpi(GuestExit exit)
    {
        CancellationTokenSource cts;
        lock (_sync)
        {
            if (_stopped)
            {
                return;
            }

            _pendingAcpi?.Cancel();
            cts = new CancellationTokenSource();
            _pendingAcpi = cts;
        }

        _ = Task.Delay(_acpiDelay, cts.Token).ContinueWith(
            t =>
            {
                if (t.IsCanceled)
                {
                    return;
                }

                lock (_sync)
                {
                    if (_stopped || _paused)
                    {
                        return;
                    }
                }

                if (exit == GuestExit.PowerOff && IgnoreShutdownRequests)
                {
                    return;
                }

                _onExit(this, exit);
            },
            TaskScheduler.Default);
    }
}

/// <summary>Creates <see cref="SimulatedGuest"/>s sharing one workload scheduler.</summary>
public sealed class SimulatedGuestFactory : IGuestFactory, IDisposable
{
    private readonly GuestScheduler _scheduler = new();

    /// <summary>How long a guest takes to act on an ACPI request (shutdown, reboot).</summary>
    public TimeSpan AcpiDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public IGuest Create(GuestConfig config, GuestMemory memory, Action<IGuest, GuestExit> onExit) =>
        new SimulatedGuest(config, memory, _scheduler, onExit, AcpiDelay);

    public void Dispose() => _scheduler.Dispose();
}
