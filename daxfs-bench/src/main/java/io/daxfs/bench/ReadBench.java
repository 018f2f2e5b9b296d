package io.daxfs.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxMapping;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * 8-byte reads of a file of {@code size} bytes (a power of two, 1 GiB by default), every page
 * faulted in beforehand, each daxfs reader beside a raw-segment reader (a tmpfs file mapped by
 * the kernel) with the same loop, so that the pair differs only in how a load reaches memory:
 * <ul>
 * <li>{@code seqGetLong}: every long of a 2 MiB chunk per invocation, moving through the file;
 *     {@link DaxMapping#getLong} against {@code MemorySegment.get}.</li>
 * <li>{@code randGetLong}: a batch of xorshift offsets, masked into the file.</li>
 * <li>{@code seqWindow}: the 2 MiB chunk read page by page, the page's segment fetched once and
 *     then read directly: {@link DaxMapping#window} on daxfs, a slice of the raw segment of the
 *     same page size on the raw side.</li>
 * <li>{@code randWindow}: per random offset, the page's segment (window or slice), then one
 *     load from it.</li>
 * </ul>
 * Every benchmark runs with one reader thread ({@link OneReader}) and with two on the same
 * mapping ({@link TwoReaders}); the file is the same for both, readers start 512 MiB apart and
 * with different random seeds. {@code mapping} is the daxfs mapping's page size: "2m" (default
 * options, preallocated 2 MiB-aligned blocks) or "4k" (NO_HUGE_PAGES); the raw side slices by
 * the same size. Scores are reads per microsecond (over all reader threads); {@link Report}
 * prints each Dax score over its Raw partner's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public abstract class ReadBench {
    static final long CHUNK = Fixture.HUGE;
    static final int CHUNK_LONGS = (int) (CHUNK / 8);
    static final int BATCH = 1024;

    /** One reader thread. */
    @Threads(1)
    public static class OneReader extends ReadBench {
    }

    /** Two reader threads on the one mapping: the lookups must scale (no shared writes on the hot path). */
    @Threads(2)
    public static class TwoReaders extends ReadBench {
    }

    @Param({"1073741824"})
    public long size;

    /** The daxfs mapping's pages: "2m" (default options) or "4k" (NO_HUGE_PAGES). */
    @Param({"2m"})
    public String mapping;

    private Fixture.Dax dax;
    private DaxFile file;
    private DaxMapping map;
    private Path kernelPath;
    private FileChannel channel;
    private Arena arena;
    private MemorySegment raw;
    /** The page size the raw side slices by: the daxfs mapping's. */
    private long page;
    /** Random offsets: {@code x & mask} is an aligned long inside the file. */
    private long mask;

    /** Per-thread position: the next sequential chunk, the random generator state. */
    @State(Scope.Thread)
    public static class Cursor {
        long next;
        long x;

        @Setup
        public void start(ThreadParams t) {
            next = (long) t.getThreadIndex() << 29; // 512 MiB apart, masked into the file
            x = 0x9E3779B97F4A7C15L * (t.getThreadIndex() + 1) | 1;
        }
    }

    @Setup
    public void setUp() throws IOException {
        mask = Fixture.offsetMask(size, 8);
        page = Fixture.pageSize(mapping);
        dax = Fixture.dax(size);
        file = dax.create("/read", size, true);
        kernelPath = Fixture.kernelFile();
        channel = Fixture.openNew(kernelPath);
        arena = Arena.ofShared();
        raw = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
        // The same bytes in both: a counter per long.
        try (Arena a = Arena.ofConfined()) {
            MemorySegment chunk = a.allocate(1 << 20, 4096);
            for (long pos = 0; pos < size; pos += chunk.byteSize()) {
                for (long i = 0; i < chunk.byteSize(); i += 8) {
                    chunk.set(Fixture.LONG, i, pos + i);
                }
                file.write(pos, chunk);
                MemorySegment.copy(chunk, 0, raw, pos, chunk.byteSize());
            }
        }
        // Every page faulted in on both sides: daxfs by POPULATE (so that the accessors' miss
        // path is never taken, as in a program that maps with it), the kernel by touching.
        map = mapping.equals("2m") ? file.map(0, size, DaxMapMode.READ_ONLY, DaxMapOption.POPULATE)
                : file.map(0, size, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES, DaxMapOption.POPULATE);
        for (long off = 0; off < size; off += Fixture.PAGE) {
            raw.get(Fixture.LONG, off);
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        map.close();
        file.close();
        dax.close();
        arena.close();
        channel.close();
        Files.delete(kernelPath);
    }

    /** The next 2 MiB chunk of this thread, wrapping at the end of the file. */
    private long chunk(Cursor c) {
        long from = c.next & (size - 1);
        c.next = from + CHUNK;
        return from;
    }

    /*
     * Each pair below is the same source but for the one expression that reaches memory, so
     * that the JIT has the same loop to compile on both sides. Keep them in step.
     */

    // ---------------------------------------------------------------- sequential, getLong

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long seqGetLongRaw(Cursor c) {
        long from = chunk(c);
        long sum = 0;
        for (long off = from, end = from + CHUNK; off < end; off += 8) {
            sum += raw.get(Fixture.LONG, off);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long seqGetLongDax(Cursor c) {
        long from = chunk(c);
        long sum = 0;
        for (long off = from, end = from + CHUNK; off < end; off += 8) {
            sum += map.getLong(off);
        }
        return sum;
    }

    // ---------------------------------------------------------------- random, getLong

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randGetLongRaw(Cursor c) {
        long x = c.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            sum += raw.get(Fixture.LONG, x & mask);
        }
        c.x = x;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randGetLongDax(Cursor c) {
        long x = c.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            sum += map.getLong(x & mask);
        }
        c.x = x;
        return sum;
    }

    // ---------------------------------------------------------------- sequential, page by page

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long seqWindowRaw(Cursor c) {
        long from = chunk(c);
        long end = from + CHUNK;
        long sum = 0;
        for (long base = from; base < end; ) {
            MemorySegment w = raw.asSlice(base & -page, page);
            long o = base & (w.byteSize() - 1);
            long stop = Math.min(w.byteSize(), o + end - base);
            for (long off = o; off < stop; off += 8) {
                sum += w.get(Fixture.LONG, off);
            }
            base += stop - o;
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long seqWindowDax(Cursor c) {
        long from = chunk(c);
        long end = from + CHUNK;
        long sum = 0;
        for (long base = from; base < end; ) {
            MemorySegment w = map.window(base);
            long o = base & (w.byteSize() - 1);
            long stop = Math.min(w.byteSize(), o + end - base);
            for (long off = o; off < stop; off += 8) {
                sum += w.get(Fixture.LONG, off);
            }
            base += stop - o;
        }
        return sum;
    }

    // ---------------------------------------------------------------- random, page by page

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randWindowRaw(Cursor c) {
        long x = c.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            long off = x & mask;
            MemorySegment w = raw.asSlice(off & -page, page);
            sum += w.get(Fixture.LONG, off & (w.byteSize() - 1));
        }
        c.x = x;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randWindowDax(Cursor c) {
        long x = c.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            long off = x & mask;
            MemorySegment w = map.window(off);
            sum += w.get(Fixture.LONG, off & (w.byteSize() - 1));
        }
        c.x = x;
        return sum;
    }
}
