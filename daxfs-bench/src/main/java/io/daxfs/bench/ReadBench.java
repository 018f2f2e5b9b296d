package io.daxfs.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.types.DaxMapMode;
import io.daxfs.api.DaxMapping;

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
import org.openjdk.jmh.annotations.Warmup;

/**
 * 8-byte reads of a 1 GiB file, every page faulted in beforehand: sequential (2 MiB per
 * invocation, moving through the file) and random (a batch of xorshift offsets per invocation).
 * Three ways: the raw segment of a tmpfs file mapped by the kernel; a daxfs mapping through
 * {@link DaxMapping#window} (the window fetched once per page or huge page, then read directly;
 * goal at least 0.95x raw); through {@link DaxMapping#getLong} (goal at least 0.8x raw). The
 * daxfs file is preallocated, so its mapping uses 2 MiB windows unless {@code -p mapping=4k}.
 * Scores are reads per microsecond.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class ReadBench {
    static final long CHUNK = Fixture.HUGE;
    static final int CHUNK_LONGS = (int) (CHUNK / 8);
    static final int BATCH = 1024;

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

    /** Per-thread position: the next sequential chunk, the random generator state. */
    @State(Scope.Thread)
    public static class Cursor {
        long next;
        long x = 0x9E3779B97F4A7C15L;
    }

    @Setup
    public void setUp() throws IOException {
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
        map = Fixture.Dax.map(file, size, DaxMapMode.READ_ONLY, mapping.equals("2m"));
        for (long off = 0; off < size; off += Fixture.PAGE) { // fault every page in, on both sides
            map.getLong(off);
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

    private long chunk(Cursor c) {
        long from = c.next;
        c.next = from + CHUNK >= size ? 0 : from + CHUNK;
        return from;
    }

    // ---------------------------------------------------------------- sequential

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long sequentialRaw(Cursor c) {
        long from = chunk(c);
        long sum = 0;
        for (long off = from, end = from + CHUNK; off < end; off += 8) {
            sum += raw.get(Fixture.LONG, off);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long sequentialWindow(Cursor c) {
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

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long sequentialGetLong(Cursor c) {
        long from = chunk(c);
        long sum = 0;
        for (long off = from, end = from + CHUNK; off < end; off += 8) {
            sum += map.getLong(off);
        }
        return sum;
    }

    // ---------------------------------------------------------------- random

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randomRaw(Cursor c) {
        long longs = size / 8;
        long x = c.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            sum += raw.get(Fixture.LONG, ((x >>> 1) % longs) << 3);
        }
        c.x = x;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randomWindow(Cursor c) {
        long longs = size / 8;
        long x = c.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            long off = ((x >>> 1) % longs) << 3;
            MemorySegment w = map.window(off);
            sum += w.get(Fixture.LONG, off & (w.byteSize() - 1));
        }
        c.x = x;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randomGetLong(Cursor c) {
        long longs = size / 8;
        long x = c.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            sum += map.getLong(((x >>> 1) % longs) << 3);
        }
        c.x = x;
        return sum;
    }
}
