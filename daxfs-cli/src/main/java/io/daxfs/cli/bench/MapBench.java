package io.daxfs.cli.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.api.DaxMapping;
import io.daxfs.types.DaxStats;
import io.daxfs.types.FormatOptions;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Compares memory-mapped access to a daxfs file ({@link DaxMapping}) with the kernel's own: a file
 * in tmpfs mapped with {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)} into a
 * {@link MemorySegment} (the "raw segment"). Each {@link Metric} is measured on both in the same
 * run, daxfs first. Usable from code as well as from `daxfs bench map`; the JMH benchmarks of
 * the daxfs-bench module measure the same work more carefully.
 *
 * <p>The daxfs image is a file in the same directory as the kernel's file (tmpfs by default), so
 * both sides use the same kind of memory (4 KiB shmem pages); it is prefaulted whole before any
 * measurement, as device memory (persistent memory) is always present, so a daxfs fault does not
 * also pay for the host kernel's fault on the image underneath.
 */
public final class MapBench {
    static final long PAGE = 4096;
    static final long HUGE = 2L << 20;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    /** Timed repetitions of the one-shot metrics (first touch, truncate); the median is reported. */
    private static final int RUNS = 3;
    /** Files written for the fault-rate metric, at most this big each (a fresh one per round). */
    private static final long FAULT_FILE = 256L << 20;
    /** Random reads between clock reads. */
    private static final int RANDOM_BATCH = 1 << 14;

    /** What the metric's two numbers are. */
    public enum Unit {
        MS("ms", false), FAULTS_PER_S("faults/s", true), READS_PER_S("reads/s", true);

        private final String label;
        private final boolean higherIsBetter;

        Unit(String label, boolean higherIsBetter) {
            this.label = label;
            this.higherIsBetter = higherIsBetter;
        }

        public String label() {
            return label;
        }
    }

    /** The goals: on the ratio (daxfs speed over the kernel's) or on the daxfs time itself. */
    public record Goal(double minRatio, double maxMillis) {
        static final Goal NONE = new Goal(0, Double.POSITIVE_INFINITY);

        static Goal ratio(double min) {
            return new Goal(min, Double.POSITIVE_INFINITY);
        }

        static Goal millis(double max) {
            return new Goal(0, max);
        }

        public boolean isNone() {
            return minRatio == 0 && maxMillis == Double.POSITIVE_INFINITY;
        }

        public String label() {
            if (isNone()) {
                return "-";
            }
            return minRatio > 0 ? String.format(java.util.Locale.ROOT, ">= %.2fx", minRatio)
                    : String.format(java.util.Locale.ROOT, "<= %.0f ms", maxMillis);
        }
    }

    /** The measurements, in the order they run. */
    public enum Metric {
        FIRST_TOUCH_4K("first touch, 4K faults", Unit.MS, Goal.NONE),
        FIRST_TOUCH_2M_HOLE("first touch, 2M faults, hole", Unit.MS, Goal.NONE),
        FIRST_TOUCH_2M_ALLOCATED("first touch, 2M, preallocated", Unit.MS, Goal.NONE),
        WRITE_FAULTS_4K("4K write faults (alloc)", Unit.FAULTS_PER_S, Goal.ratio(1.5)),
        SEQUENTIAL_WINDOW("seq read, window", Unit.READS_PER_S, Goal.ratio(0.97)),
        SEQUENTIAL_GET_LONG("seq read, getLong", Unit.READS_PER_S, Goal.ratio(0.8)),
        RANDOM_WINDOW("random read, window", Unit.READS_PER_S, Goal.ratio(0.9)),
        RANDOM_GET_LONG("random read, getLong", Unit.READS_PER_S, Goal.ratio(0.85)),
        TRUNCATE_2M("truncate mapped, 2M", Unit.MS, Goal.millis(50)),
        TRUNCATE_4K("truncate mapped, 4K", Unit.MS, Goal.millis(50));

        private final String label;
        private final Unit unit;
        private final Goal goal;

        Metric(String label, Unit unit, Goal goal) {
            this.label = label;
            this.unit = unit;
            this.goal = goal;
        }

        public String label() {
            return label;
        }

        public Unit unit() {
            return unit;
        }

        public Goal goal() {
            return goal;
        }
    }

    /**
     * What to measure.
     *
     * @param fileSize    size of the files touched, read and truncated; a positive multiple of 2 MiB
     * @param warmup      unmeasured time before each measurement and side (one-shot metrics warm up on files of at most 64 MiB)
     * @param duration    measured time of each read and fault-rate measurement
     * @param dir         directory for the kernel's files and, unless {@code memoryImage}, the daxfs image
     * @param memoryImage put the daxfs image in process memory instead of an image file in {@code dir}
     */
    public record Options(long fileSize, Duration warmup, Duration duration, Path dir, boolean memoryImage) {
        public Options {
            if (fileSize <= 0 || fileSize % HUGE != 0) {
                throw new IllegalArgumentException("file size must be a positive multiple of 2 MiB: " + fileSize);
            }
            if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }
    }

    /**
     * One metric on both sides, in its {@link Unit}: the kernel side is tmpfs through
     * FileChannel.map (for reads, the raw MemorySegment of such a mapping).
     */
    public record Result(Metric metric, double daxfs, double kernel) {
        /** daxfs speed over the kernel's: above 1 means daxfs was faster. */
        public double ratio() {
            return metric.unit().higherIsBetter ? daxfs / kernel : kernel / daxfs;
        }

        /** Whether the goal is met; true when the metric has none. */
        public boolean passed() {
            Goal g = metric.goal();
            return ratio() >= g.minRatio() && (metric.unit() != Unit.MS || daxfs <= g.maxMillis());
        }
    }

    /** Sink for computed values, so that the JIT cannot drop the reads. */
    static volatile long sink;

    private final Options o;
    private final DaxFileSystem fs;
    private final Path dir;
    private int serial;

    private MapBench(Options o, DaxFileSystem fs) {
        this.o = o;
        this.fs = fs;
        this.dir = o.dir();
    }

    /** Runs every metric; {@code onResult} sees each result as soon as it is measured. Returns them and the fault counts. */
    public static List<Result> run(Options o, Consumer<Result> onResult) throws IOException {
        return run(o, onResult, s -> { });
    }

    /** As {@link #run(Options, Consumer)}; {@code onStats} gets the file system's DAX counters at the end. */
    public static List<Result> run(Options o, Consumer<Result> onResult, Consumer<DaxStats> onStats) throws IOException {
        List<Result> results = new ArrayList<>();
        Path imagePath = o.memoryImage() ? null : Files.createTempFile(o.dir(), "daxfs-bench-", ".img");
        try {
            long imageSize = IoBench.imageSizeFor(o.fileSize());
            DaxFileSystem fs = imagePath == null
                    ? DaxFileSystem.formatMemory(imageSize)
                    : DaxFileSystem.format(imagePath, imageSize);
            try (fs) {
                fs.prefault();
                MapBench b = new MapBench(o, fs);
                for (Metric m : Metric.values()) {
                    Result r = b.measure(m);
                    results.add(r);
                    onResult.accept(r);
                }
                onStats.accept(fs.stats());
            }
        } finally {
            if (imagePath != null) {
                Files.deleteIfExists(imagePath);
            }
        }
        return results;
    }


    private Result measure(Metric m) throws IOException {
        long size = o.fileSize();
        return switch (m) {
            case FIRST_TOUCH_4K -> oneShot(m, s -> daxFirstTouch(s, false, false), s -> kernelFirstTouch(s, false));
            case FIRST_TOUCH_2M_HOLE -> oneShot(m, s -> daxFirstTouch(s, true, false), s -> kernelFirstTouch(s, false));
            case FIRST_TOUCH_2M_ALLOCATED -> oneShot(m, s -> daxFirstTouch(s, true, true), s -> kernelFirstTouch(s, true));
            case WRITE_FAULTS_4K -> new Result(m, daxFaultRate(), kernelFaultRate());
            case SEQUENTIAL_WINDOW, SEQUENTIAL_GET_LONG, RANDOM_WINDOW, RANDOM_GET_LONG -> reads(m, size);
            case TRUNCATE_2M -> oneShot(m, s -> daxTruncate(s, true), s -> kernelTruncate(s));
            case TRUNCATE_4K -> oneShot(m, s -> daxTruncate(s, false), s -> kernelTruncate(s));
        };
    }

    // ---------------------------------------------------------------- one-shot metrics (ms)

    private interface Shot {
        /** One run on a file of {@code size} bytes; returns the timed nanoseconds. */
        long run(long size) throws IOException;
    }

    /**
     * Warm-up runs on a smaller file per side (for the warm-up time, at least one), then the
     * median of {@link #RUNS} timed runs, in ms.
     */
    private Result oneShot(Metric m, Shot dax, Shot kernel) throws IOException {
        warm(dax);
        warm(kernel);
        long[] d = new long[RUNS];
        long[] k = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            d[i] = dax.run(o.fileSize());
            k[i] = kernel.run(o.fileSize());
        }
        return new Result(m, median(d) / 1e6, median(k) / 1e6);
    }

    private void warm(Shot s) throws IOException {
        long warmSize = Math.min(o.fileSize(), 64L << 20);
        long deadline = System.nanoTime() + o.warmup().toNanos();
        do {
            s.run(warmSize);
        } while (System.nanoTime() < deadline);
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private long daxFirstTouch(long size, boolean huge, boolean preallocate) throws IOException {
        String path = "/touch-" + serial++;
        try (DaxFile f = fs.open(path, CREATE, READ, WRITE)) {
            if (preallocate) {
                f.allocate(0, size, false);
            } else {
                f.truncate(size);
            }
            try (DaxMapping m = huge ? f.map(0, size, DaxMapMode.READ_WRITE)
                    : f.map(0, size, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES)) {
                long t0 = System.nanoTime();
                touchPages(m, size);
                return System.nanoTime() - t0;
            }
        } finally {
            fs.unlink(path);
        }
    }

    private long kernelFirstTouch(long size, boolean preallocate) throws IOException {
        Path p = kernelFile();
        try (FileChannel ch = FileChannel.open(p, CREATE_NEW, READ, WRITE); Arena arena = Arena.ofShared()) {
            if (preallocate) {
                fillZeros(ch, size);
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            long t0 = System.nanoTime();
            touchPages(seg, size);
            return System.nanoTime() - t0;
        } finally {
            Files.deleteIfExists(p);
        }
    }

    static void touchPages(DaxMapping m, long size) {
        for (long off = 0; off < size; off += PAGE) {
            m.setLong(off, off);
        }
    }

    static void touchPages(MemorySegment seg, long size) {
        for (long off = 0; off < size; off += PAGE) {
            seg.set(LONG, off, off);
        }
    }

    /** Writes the file whole (tmpfs allocates its pages), as fallocate would. */
    private static void fillZeros(FileChannel ch, long size) throws IOException {
        java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocateDirect(1 << 20);
        for (long pos = 0; pos < size; ) {
            zeros.clear();
            zeros.limit((int) Math.min(zeros.capacity(), size - pos));
            pos += ch.write(zeros, pos);
        }
    }

    private Path kernelFile() {
        return dir.resolve("daxfs-bench-" + ProcessHandle.current().pid() + "-" + serial++ + ".dat");
    }

    // ---------------------------------------------------------------- 4 KiB write-fault rate

    /** Fresh sparse files, mapped without huge pages, one store per page, for the measured time: faults per second. */
    private double daxFaultRate() throws IOException {
        long size = Math.min(o.fileSize(), FAULT_FILE);
        warm(s -> daxFirstTouch(s, false, false));
        long pages = 0;
        long nanos = 0;
        do {
            nanos += daxFirstTouch(size, false, false);
            pages += size / PAGE;
        } while (nanos < o.duration().toNanos());
        return pages * 1e9 / nanos;
    }

    private double kernelFaultRate() throws IOException {
        long size = Math.min(o.fileSize(), FAULT_FILE);
        warm(s -> kernelFirstTouch(s, false));
        long pages = 0;
        long nanos = 0;
        do {
            nanos += kernelFirstTouch(size, false);
            pages += size / PAGE;
        } while (nanos < o.duration().toNanos());
        return pages * 1e9 / nanos;
    }

    // ---------------------------------------------------------------- reads (reads per second)

    /**
     * Reads through a read-only mapping of a preallocated, written daxfs file (2 MiB windows)
     * and through the raw segment of a tmpfs file with the same contents, both faulted in first.
     * Each daxfs reader has a raw partner with the same loop: getLong against a plain segment
     * load, and a window per page against a slice of the raw segment per 2 MiB page. Random
     * offsets cover the largest power of two within the file, picked by mask.
     */
    private Result reads(Metric metric, long size) throws IOException {
        String path = "/read";
        Path p = kernelFile();
        try (DaxFile f = fs.open(path, CREATE, READ, WRITE);
             FileChannel ch = FileChannel.open(p, CREATE_NEW, READ, WRITE);
             Arena arena = Arena.ofShared()) {
            f.allocate(0, size, false);
            fill(f, ch, size);
            MemorySegment raw = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            try (DaxMapping m = f.map(0, size, DaxMapMode.READ_ONLY)) {
                sink += sequentialGetLong(m, 0, size) + sequentialRaw(raw, 0, size); // fault everything in
                boolean random = metric == Metric.RANDOM_WINDOW || metric == Metric.RANDOM_GET_LONG;
                long mask = randomMask(size);
                Reader daxReader = switch (metric) {
                    case SEQUENTIAL_GET_LONG -> (from, n) -> sequentialGetLong(m, from, n);
                    case SEQUENTIAL_WINDOW -> (from, n) -> sequentialWindow(m, from, n);
                    case RANDOM_GET_LONG -> (seed, n) -> randomGetLong(m, mask, seed, n);
                    case RANDOM_WINDOW -> (seed, n) -> randomWindow(m, mask, seed, n);
                    default -> throw new IllegalArgumentException(metric.toString());
                };
                Reader rawReader = switch (metric) {
                    case SEQUENTIAL_GET_LONG -> (from, n) -> sequentialRaw(raw, from, n);
                    case SEQUENTIAL_WINDOW -> (from, n) -> sequentialRawWindow(raw, HUGE, from, n);
                    case RANDOM_GET_LONG -> (seed, n) -> randomRaw(raw, mask, seed, n);
                    case RANDOM_WINDOW -> (seed, n) -> randomRawWindow(raw, HUGE, mask, seed, n);
                    default -> throw new IllegalArgumentException(metric.toString());
                };
                double dax = readRate(daxReader, random, size);
                double kernel = readRate(rawReader, random, size);
                return new Result(metric, dax, kernel);
            }
        } finally {
            fs.unlink(path);
            Files.deleteIfExists(p);
        }
    }

    /** Reads {@code n} longs (random: from seed {@code at}; sequential: the bytes {@code [at, at + n)}); returns their sum. */
    private interface Reader {
        long read(long at, long n);
    }

    private double readRate(Reader r, boolean random, long size) {
        if (!o.warmup().isZero()) {
            readFor(r, random, size, o.warmup());
        }
        return readFor(r, random, size, o.duration());
    }

    /** Reads for {@code d}; returns 8-byte reads per second. */
    private static double readFor(Reader r, boolean random, long size, Duration d) {
        long chunk = Math.min(size, HUGE);
        long start = System.nanoTime();
        long deadline = start + d.toNanos();
        long reads = 0;
        long at = 0;
        long sum = 0;
        long now;
        do {
            if (random) {
                sum += r.read(at++ * 0x9E3779B97F4A7C15L | 1, RANDOM_BATCH);
                reads += RANDOM_BATCH;
            } else {
                sum += r.read(at, chunk);
                reads += chunk / 8;
                at = at + chunk == size ? 0 : at + chunk;
            }
            now = System.nanoTime();
        } while (now < deadline);
        sink += sum;
        return reads * 1e9 / (now - start);
    }

    /*
     * The readers come in pairs, daxfs and raw, each pair the same source but for the
     * expression that reaches memory, so that the JIT compiles the same loop on both sides.
     * Keep them in step.
     */

    static long sequentialRaw(MemorySegment seg, long from, long n) {
        long sum = 0;
        for (long off = from, end = from + n; off < end; off += 8) {
            sum += seg.get(LONG, off);
        }
        return sum;
    }

    static long sequentialGetLong(DaxMapping m, long from, long n) {
        long sum = 0;
        for (long off = from, end = from + n; off < end; off += 8) {
            sum += m.getLong(off);
        }
        return sum;
    }

    /** Slices the segment per {@code page} bytes once, then reads the longs of that page through the slice. */
    static long sequentialRawWindow(MemorySegment seg, long page, long from, long n) {
        long sum = 0;
        long end = from + n;
        for (long base = from; base < end; ) {
            MemorySegment w = seg.asSlice(base & -page, page);
            long o = base & (w.byteSize() - 1);
            long stop = Math.min(w.byteSize(), o + end - base);
            for (long off = o; off < stop; off += 8) {
                sum += w.get(LONG, off);
            }
            base += stop - o;
        }
        return sum;
    }

    /** Gets the window of each (huge) page once, then reads the longs of that page through it. */
    static long sequentialWindow(DaxMapping m, long from, long n) {
        long sum = 0;
        long end = from + n;
        for (long base = from; base < end; ) {
            MemorySegment w = m.window(base);
            long o = base & (w.byteSize() - 1);
            long stop = Math.min(w.byteSize(), o + end - base);
            for (long off = o; off < stop; off += 8) {
                sum += w.get(LONG, off);
            }
            base += stop - o;
        }
        return sum;
    }

    /** The next of a xorshift sequence: the same cheap generator for every random reader. */
    static long next(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        return x ^ (x << 17);
    }

    /**
     * The mask that makes a random number an aligned long offset within the first
     * {@code highestOneBit(size)} bytes: a mask rather than a modulo, whose division would cost
     * more than the read being measured.
     */
    static long randomMask(long size) {
        return (Long.highestOneBit(size) - 1) & -8L;
    }

    static long randomRaw(MemorySegment seg, long mask, long seed, long n) {
        long sum = 0;
        long x = seed;
        for (long i = 0; i < n; i++) {
            x = next(x);
            sum += seg.get(LONG, x & mask);
        }
        return sum;
    }

    static long randomGetLong(DaxMapping m, long mask, long seed, long n) {
        long sum = 0;
        long x = seed;
        for (long i = 0; i < n; i++) {
            x = next(x);
            sum += m.getLong(x & mask);
        }
        return sum;
    }

    static long randomRawWindow(MemorySegment seg, long page, long mask, long seed, long n) {
        long sum = 0;
        long x = seed;
        for (long i = 0; i < n; i++) {
            x = next(x);
            long off = x & mask;
            MemorySegment w = seg.asSlice(off & -page, page);
            sum += w.get(LONG, off & (w.byteSize() - 1));
        }
        return sum;
    }

    static long randomWindow(DaxMapping m, long mask, long seed, long n) {
        long sum = 0;
        long x = seed;
        for (long i = 0; i < n; i++) {
            x = next(x);
            long off = x & mask;
            MemorySegment w = m.window(off);
            sum += w.get(LONG, off & (w.byteSize() - 1));
        }
        return sum;
    }

    /** The same bytes in both files: a counter per long. */
    private static void fill(DaxFile f, FileChannel ch, long size) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment chunk = a.allocate(1 << 20, 4096);
            for (long pos = 0; pos < size; pos += chunk.byteSize()) {
                for (long i = 0; i < chunk.byteSize(); i += 8) {
                    chunk.set(LONG, i, pos + i);
                }
                f.write(pos, chunk);
                java.nio.ByteBuffer b = chunk.asByteBuffer();
                while (b.hasRemaining()) {
                    ch.write(b, pos + b.position());
                }
            }
        }
    }

    // ---------------------------------------------------------------- truncate of a mapped file (ms)

    /** A written file mapped whole, every page faulted for writing, then truncated to 0: the truncate's time. */
    private long daxTruncate(long size, boolean huge) throws IOException {
        String path = "/trunc-" + serial++;
        try (DaxFile f = fs.open(path, CREATE, READ, WRITE)) {
            f.allocate(0, size, false);
            try (DaxMapping m = huge ? f.map(0, size, DaxMapMode.READ_WRITE)
                    : f.map(0, size, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES)) {
                touchPages(m, size);
                long t0 = System.nanoTime();
                f.truncate(0);
                return System.nanoTime() - t0;
            }
        } finally {
            fs.unlink(path);
        }
    }

    private long kernelTruncate(long size) throws IOException {
        Path p = kernelFile();
        try (FileChannel ch = FileChannel.open(p, CREATE_NEW, READ, WRITE); Arena arena = Arena.ofShared()) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            touchPages(seg, size);
            long t0 = System.nanoTime();
            ch.truncate(0);
            return System.nanoTime() - t0;
        } finally {
            Files.deleteIfExists(p);
        }
    }
}
