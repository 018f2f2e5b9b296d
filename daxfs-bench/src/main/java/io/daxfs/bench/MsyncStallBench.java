package io.daxfs.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxMapping;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * How long an msync of 4 KiB holds up readers of the same mapping. A file of {@code size} bytes
 * (8 GiB by default) on a process-memory device, mapped read-write and written whole, so every
 * page is mapped and dirty. Two JMH thread groups, each with two reader threads (a batch of
 * {@value #BATCH} random {@link DaxMapping#getLong}s per invocation) and one writer thread:
 * <ul>
 * <li>{@code msync}: the writer stores a long to a random 4 KiB page and msyncs that page,
 *     again and again. Writeback write-protects the page's entry (2 MiB, with huge windows) in
 *     the mapping, which revokes its window: the readers pay for that revocation (a handshake
 *     with every thread) and for refaulting it if they touch it.</li>
 * <li>{@code quiet}: the writer only stores, so the machine runs the same three threads.</li>
 * </ul>
 * SampleTime mode: JMH times a sample of invocations, so each reader score is a distribution of
 * batch latencies; {@link Report} prints the readers' p99 in both groups (goal: at most 100 µs
 * with msync) and the msync latency. On a machine with fewer than three free cores the three
 * threads also take turns on the CPUs; the quiet group shows what that costs alone.
 *
 * <p>A JMH thread group rather than a hand-made timed loop: JMH then starts, warms up, forks,
 * samples and reports the readers like any benchmark, and the writer's msync latency comes
 * with them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class MsyncStallBench {
    static final int BATCH = 64;

    @Param({"8589934592"})
    public long size;

    /** The mapping's pages: "2m" (default options) or "4k" (NO_HUGE_PAGES). */
    @Param({"2m"})
    public String mapping;

    private Fixture.Dax dax;
    private DaxFile file;
    private DaxMapping map;
    private long readMask;
    private long pageMask;

    /** Per-thread random generator, seeded apart. */
    @State(Scope.Thread)
    public static class Rng {
        long x;

        @Setup
        public void seed(ThreadParams t) {
            x = 0x9E3779B97F4A7C15L * (t.getThreadIndex() + 1) | 1;
        }
    }

    @Setup
    public void setUp() throws IOException {
        readMask = Fixture.offsetMask(size, 8);
        pageMask = Fixture.offsetMask(size, Fixture.PAGE);
        dax = Fixture.memory(size);
        file = dax.create("/msync", size, true);
        map = Fixture.Dax.map(file, size, DaxMapMode.READ_WRITE, Fixture.pageSize(mapping) == Fixture.HUGE);
        // Written whole, then synced once, so the first timed msyncs do not commit the
        // allocation of the whole file; then written again: every page dirty, as the runs need.
        Fixture.touch(map, size);
        file.fsync();
        Fixture.touch(map, size);
    }

    @TearDown
    public void tearDown() throws IOException {
        map.close();
        file.close();
        dax.close();
    }

    private long readBatch(Rng r) {
        long x = r.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            sum += map.getLong(x & readMask);
        }
        r.x = x;
        return sum;
    }

    private long store(Rng r) {
        long x = Fixture.next(r.x);
        r.x = x;
        long off = x & pageMask;
        map.setLong(off, x);
        return off;
    }

    @Benchmark
    @Group("msync")
    @GroupThreads(2)
    public long msyncReaders(Rng r) {
        return readBatch(r);
    }

    @Benchmark
    @Group("msync")
    @GroupThreads(1)
    public void msyncWriter(Rng r) throws DaxException {
        map.msync(store(r), Fixture.PAGE);
    }

    @Benchmark
    @Group("quiet")
    @GroupThreads(2)
    public long quietReaders(Rng r) {
        return readBatch(r);
    }

    @Benchmark
    @Group("quiet")
    @GroupThreads(1)
    public long quietWriter(Rng r) {
        return store(r);
    }
}
