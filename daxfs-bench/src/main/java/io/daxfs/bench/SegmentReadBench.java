package io.daxfs.bench;

import io.daxfs.nio.DaxFileSystemProvider;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
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
 * 8-byte reads through the segment {@code FileChannel.map(READ_ONLY, 0, size, arena)} returns,
 * on a daxfs path (through the {@code daxfs} provider, as an application would) and on a tmpfs
 * file through the JDK's own provider: the "a segment from map read sequentially and at
 * random against a raw segment over a tmpfs mapping". Both files hold the same bytes and live
 * in {@link Fixture#DIR} (/dev/shm); both segments are faulted in before measuring; each pair
 * runs the same loop and differs only in the segment it reads.
 * <ul>
 * <li>{@code seqSegment}: every long of a 2 MiB chunk per invocation, moving through the file.</li>
 * <li>{@code randSegment}: a batch of xorshift offsets, masked (not {@code %}) into the file.</li>
 * </ul>
 * With one reader ({@link OneReader}) and two on the same segment ({@link TwoReaders}).
 * {@code layout} "contiguous" writes the daxfs file in one pass (its blocks one run);
 * "fragmented" writes it 64 KiB at a time interleaved with another file, so that the segment is
 * stitched from one mmap per 64 KiB (4 KiB pieces would take 131,072 kernel mappings, past the
 * process's limit: such a map is refused with ENOMEM). Scores are reads per microsecond; {@link Report} prints each
 * daxfs score over its tmpfs partner's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public abstract class SegmentReadBench {
    static final long CHUNK = Fixture.HUGE;
    static final int CHUNK_LONGS = (int) (CHUNK / 8);
    static final int BATCH = 1024;
    /** The extent size of the "fragmented" layout: 8,192 runs for 512 MiB, within the kernel's mapping budget. */
    static final long PIECE = 64 << 10;

    /** One reader thread. */
    @Threads(1)
    public static class OneReader extends SegmentReadBench {
    }

    /** Two reader threads on the one segment. */
    @Threads(2)
    public static class TwoReaders extends SegmentReadBench {
    }

    @Param({"536870912"})
    public long size;

    /** "contiguous" or "fragmented" (see the class comment). */
    @Param({"contiguous"})
    public String layout;

    private Path image;
    private FileSystem fs;
    private FileChannel daxChannel;
    private Path kernelPath;
    private FileChannel kernelChannel;
    private Arena arena;
    private MemorySegment dax;
    private MemorySegment raw;
    private long mask;

    /** Per-thread position: the next sequential chunk, the random generator state. */
    @State(Scope.Thread)
    public static class Cursor {
        long next;
        long x;

        @Setup
        public void start(ThreadParams t) {
            next = (long) t.getThreadIndex() << 28; // 256 MiB apart, masked into the file
            x = 0x9E3779B97F4A7C15L * (t.getThreadIndex() + 1) | 1;
        }
    }

    @Setup
    public void setUp() throws IOException {
        mask = Fixture.offsetMask(size, 8);
        image = Files.createTempFile(Fixture.DIR, "daxfs-jmh-", ".img");
        Files.delete(image);
        long device = (2 * size + size / 4 + (64L << 20) + Fixture.HUGE - 1) & -Fixture.HUGE;
        fs = FileSystems.newFileSystem(DaxFileSystemProvider.uriOf(image), Map.of("create", "true", "size", device));
        Path daxPath = fs.getPath("/read");
        daxChannel = FileChannel.open(daxPath, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        kernelPath = Fixture.kernelFile();
        kernelChannel = Fixture.openNew(kernelPath);
        // The same bytes in both: a counter per long.
        boolean fragmented = layout.equals("fragmented");
        try (FileChannel other = fragmented ? FileChannel.open(fs.getPath("/other"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE) : null; Arena a = Arena.ofConfined()) {
            MemorySegment chunk = a.allocate(1 << 20, 4096);
            for (long pos = 0; pos < size; pos += chunk.byteSize()) {
                for (long i = 0; i < chunk.byteSize(); i += 8) {
                    chunk.set(Fixture.LONG, i, pos + i);
                }
                kernelChannel.write(chunk.asByteBuffer(), pos);
                if (!fragmented) {
                    daxChannel.write(chunk.asByteBuffer(), pos);
                    continue;
                }
                for (long b = 0; b < chunk.byteSize(); b += PIECE) {
                    daxChannel.write(chunk.asSlice(b, PIECE).asByteBuffer(), pos + b);
                    other.write(chunk.asSlice(b, PIECE).asByteBuffer(), pos + b);
                }
            }
        }
        arena = Arena.ofShared();
        dax = daxChannel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        raw = kernelChannel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        for (long off = 0; off < size; off += Fixture.PAGE) { // every page faulted in, both sides
            dax.get(Fixture.LONG, off);
            raw.get(Fixture.LONG, off);
        }
        if (dax.get(Fixture.LONG, size - 8) != size - 8) {
            throw new IllegalStateException("the daxfs segment does not show the file");
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        arena.close();
        daxChannel.close();
        kernelChannel.close();
        fs.close();
        Files.deleteIfExists(image);
        Files.delete(kernelPath);
    }

    private long chunk(Cursor c) {
        long from = c.next & (size - 1);
        c.next = from + CHUNK;
        return from;
    }

    /*
     * Each pair below is the same source but for the segment it reads, so that the JIT has the
     * same loop to compile on both sides. Keep them in step.
     */

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long seqSegmentRaw(Cursor c) {
        long from = chunk(c);
        long sum = 0;
        for (long off = from, end = from + CHUNK; off < end; off += 8) {
            sum += raw.get(Fixture.LONG, off);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(CHUNK_LONGS)
    public long seqSegmentDax(Cursor c) {
        long from = chunk(c);
        long sum = 0;
        for (long off = from, end = from + CHUNK; off < end; off += 8) {
            sum += dax.get(Fixture.LONG, off);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long randSegmentRaw(Cursor c) {
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
    public long randSegmentDax(Cursor c) {
        long x = c.x;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            x = Fixture.next(x);
            sum += dax.get(Fixture.LONG, x & mask);
        }
        c.x = x;
        return sum;
    }
}
