package io.daxfs.cli.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The durability path under load: N threads, each with its own file, each writing 4 KiB and then
 * syncing, measured on a daxfs file system in process memory, on a daxfs image file in a
 * directory, and on plain files in that directory through FileChannel (what users would
 * otherwise use). Every {@link Workload} and thread count is measured on all three in turn,
 * FileChannel first, so that a daxfs row can give its ratio to FileChannel as soon as it is
 * measured.
 *
 * <p>The timed loop is the same on every side and allocates nothing: each thread has its own
 * buffer, random stream and {@link LatencyHistogram}, and an op is the write and the sync, timed
 * with one clock read between ops. Appending threads start their file over (truncate to 0,
 * outside the op's time but inside the run's) when it reaches the file size, so a run needs
 * bounded space however fast it is.
 */
public final class SyncBench {
    static final int BLOCK = 4096;
    private static final int FILL_CHUNK = 1 << 20;
    /** The JIT warm-up stops here even when it has not done its ops (a very slow path). */
    private static final Duration JIT_WARMUP_LIMIT = Duration.ofSeconds(10);

    /** What each thread does in a loop. */
    public enum Workload {
        /** Append a 4 KiB record to the thread's own file, then fsync (metadata changes every time). */
        APPEND_FSYNC("append+fsync"),
        /** Overwrite a random 4 KiB block of the thread's written file, then fdatasync (data only). */
        OVERWRITE_FDATASYNC("overwrite+fdatasync");

        private final String label;

        Workload(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Where the files live. */
    public enum Target {
        FILE_CHANNEL("FileChannel"), MEMORY("daxfs memory"), IMAGE("daxfs image");

        private final String label;

        Target(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public boolean isDaxfs() {
            return this != FILE_CHANNEL;
        }
    }

    /**
     * What to measure.
     *
     * @param fileSize     each thread's file: the overwrite range, and the length an appending thread
     *                     reaches before it starts over; a power of two, at least 64 KiB
     * @param jitWarmupOps ops one thread runs untimed before the first measurement of each side and
     *                     workload, so that the JIT has compiled the whole path (at most 10 s; 0: none)
     * @param warmup       time each measurement runs unmeasured first
     * @param duration     time each measurement is measured
     * @param threads      thread counts, each measured in turn (sorted, without repeats)
     * @param dir          directory for the daxfs image and the FileChannel files
     */
    public record Options(long fileSize, long jitWarmupOps, Duration warmup, Duration duration, List<Integer> threads,
                          Path dir) {
        public Options {
            if (jitWarmupOps < 0) {
                throw new IllegalArgumentException("JIT warm-up ops must be 0 or more: " + jitWarmupOps);
            }
            if (fileSize < 64 << 10 || Long.bitCount(fileSize) != 1) {
                throw new IllegalArgumentException("file size must be a power of two of at least 64 KiB: " + fileSize);
            }
            if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("durations must be positive");
            }
            if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1 || t > 1024)) {
                throw new IllegalArgumentException("thread counts must be between 1 and 1024: " + threads);
            }
            threads = threads.stream().distinct().sorted().toList();
        }

        int maxThreads() {
            return threads.getLast();
        }
    }

    /**
     * One measurement.
     *
     * @param opsPerSecond     write+sync pairs per second, summed over the threads
     * @param commitsPerSecond journal commits per second; NaN where unknown or not applicable
     * @param p50Nanos         median duration of one op
     * @param p99Nanos         99th percentile duration of one op
     * @param speedup          ops/s over the same target's and workload's ops/s with the fewest threads
     * @param vsFileChannel    daxfs ops/s over FileChannel ops/s (same workload and threads); NaN for FileChannel
     */
    public record Result(Target target, Workload workload, int threads, double opsPerSecond, double commitsPerSecond,
                         long p50Nanos, long p99Nanos, double speedup, double vsFileChannel) {
    }

    private SyncBench() {
    }

    /** Journal commits of {@code fs} since mount: commits/s below ops/s is commits shared. */
    static long commitCount(DaxFileSystem fs) {
        return fs.commitCount();
    }

    /** Room for every thread's file three times over (appends free and reallocate) plus metadata. */
    static long imageSizeFor(long fileSize, int threads) {
        long size = 3L * threads * fileSize;
        size += size / 8 + (64L << 20);
        return (size + FILL_CHUNK - 1) / FILL_CHUNK * FILL_CHUNK;
    }

    /** Runs every workload and thread count on every target; {@code onResult} sees each result as soon as it is measured. */
    public static List<Result> run(Options o, Consumer<Result> onResult) throws IOException {
        long imageSize = imageSizeFor(o.fileSize(), o.maxThreads());
        // Written data: the image's files up to three times over (blocks freed by a restarted
        // append are reused only after a checkpoint), and the FileChannel files once.
        ImageSpace.require(o.dir(), imageSize, 4L * o.maxThreads() * o.fileSize());
        List<Result> results = new ArrayList<>();
        Path work = Files.createTempDirectory(o.dir(), "daxfs-bench-sync-");
        try {
            Path image = work.resolve("bench.img");
            try (DaxFileSystem memory = DaxFileSystem.formatMemory(imageSize);
                 DaxFileSystem imageFs = DaxFileSystem.format(image, imageSize)) {
                Map<Target, Side> sides = new EnumMap<>(Target.class);
                sides.put(Target.FILE_CHANNEL, new ChannelSide(work));
                sides.put(Target.MEMORY, new DaxSide(memory));
                sides.put(Target.IMAGE, new DaxSide(imageFs));
                for (Workload w : Workload.values()) {
                    if (o.jitWarmupOps() > 0) {
                        for (Target t : Target.values()) {
                            measure(sides.get(t), w, 1, o.fileSize(), 0, JIT_WARMUP_LIMIT.toNanos(), o.jitWarmupOps());
                        }
                    }
                    Map<Target, Double> base = new EnumMap<>(Target.class);
                    for (int threads : o.threads()) {
                        double channelRate = Double.NaN;
                        for (Target t : Target.values()) {
                            Measured m = measure(sides.get(t), w, threads, o.fileSize(), o.warmup().toNanos(),
                                    o.duration().toNanos(), Long.MAX_VALUE);
                            base.putIfAbsent(t, m.opsPerSecond);
                            if (t == Target.FILE_CHANNEL) {
                                channelRate = m.opsPerSecond;
                            }
                            Result r = new Result(t, w, threads, m.opsPerSecond, m.commitsPerSecond,
                                    m.latency.percentile(0.50), m.latency.percentile(0.99),
                                    m.opsPerSecond / base.get(t),
                                    t.isDaxfs() ? m.opsPerSecond / channelRate : Double.NaN);
                            results.add(r);
                            onResult.accept(r);
                        }
                    }
                }
            } finally {
                Files.deleteIfExists(image);
            }
        } finally {
            deleteTree(work);
        }
        return results;
    }

    /** One file under load, through one path. */
    private interface SyncFile extends AutoCloseable {
        void write(long pos, BenchFile.Buffer buf) throws IOException;

        /** fsync, or fdatasync when {@code dataOnly}. */
        void sync(boolean dataOnly) throws IOException;

        void truncate(long size) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Where a measurement's files are made: one per thread, removed when the measurement ends. */
    private interface Side {
        SyncFile create(int thread) throws IOException;

        void remove(int thread) throws IOException;

        /** Commits so far, -1 when unknown. */
        long commits();
    }

    private record DaxSide(DaxFileSystem fs) implements Side {
        @Override
        public SyncFile create(int thread) throws IOException {
            DaxFile f = fs.open(name(thread), CREATE_NEW, READ, WRITE);
            return new SyncFile() {
                @Override
                public void write(long pos, BenchFile.Buffer buf) throws IOException {
                    f.write(pos, buf.segment());
                }

                @Override
                public void sync(boolean dataOnly) throws IOException {
                    if (dataOnly) {
                        f.fdatasync();
                    } else {
                        f.fsync();
                    }
                }

                @Override
                public void truncate(long size) throws IOException {
                    f.truncate(size);
                }

                @Override
                public void close() throws IOException {
                    f.close();
                }
            };
        }

        @Override
        public void remove(int thread) throws IOException {
            if (fs.exists(name(thread))) {
                fs.unlink(name(thread));
            }
        }

        @Override
        public long commits() {
            return commitCount(fs);
        }

        private static String name(int thread) {
            return "/sync-" + thread;
        }
    }

    private record ChannelSide(Path dir) implements Side {
        @Override
        public SyncFile create(int thread) throws IOException {
            FileChannel ch = FileChannel.open(path(thread), CREATE, READ, WRITE);
            return new SyncFile() {
                @Override
                public void write(long pos, BenchFile.Buffer buf) throws IOException {
                    var b = buf.byteBuffer().clear();
                    while (b.hasRemaining()) {
                        ch.write(b, pos + b.position());
                    }
                }

                @Override
                public void sync(boolean dataOnly) throws IOException {
                    ch.force(!dataOnly);
                }

                @Override
                public void truncate(long size) throws IOException {
                    ch.truncate(size);
                }

                @Override
                public void close() throws IOException {
                    ch.close();
                }
            };
        }

        @Override
        public void remove(int thread) throws IOException {
            Files.deleteIfExists(path(thread));
        }

        @Override
        public long commits() {
            return -1;
        }

        private Path path(int thread) {
            return dir.resolve("sync-" + thread + ".dat");
        }
    }

    private record Measured(double opsPerSecond, double commitsPerSecond, LatencyHistogram latency) {
    }

    /** What one thread did in the measured time. */
    private record ThreadResult(long ops, long nanos, LatencyHistogram latency) {
    }

    /** Runs {@code threads} threads for a warm-up and then a measurement, which ends at its time or after {@code maxOps} ops per thread. */
    private static Measured measure(Side side, Workload w, int threads, long fileSize, long warmupNanos,
                                    long durationNanos, long maxOps) throws IOException {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long[] deadlines = new long[2]; // end of warm-up, end of measurement; published by go
        List<Future<ThreadResult>> futures = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int i = 0; i < threads; i++) {
                int thread = i;
                futures.add(pool.submit(() -> runThread(side, w, thread, fileSize, maxOps, ready, go, deadlines)));
            }
            awaitOrFail(ready, futures);
            long start = System.nanoTime();
            deadlines[0] = start + warmupNanos;
            deadlines[1] = deadlines[0] + durationNanos;
            go.countDown();
            sleepUntil(deadlines[0]);
            long commitsBefore = side.commits();
            long measuredFrom = System.nanoTime();
            double rate = 0;
            LatencyHistogram all = new LatencyHistogram();
            for (Future<ThreadResult> f : futures) {
                ThreadResult r = f.get();
                rate += r.ops() * 1e9 / Math.max(1, r.nanos());
                all.add(r.latency());
            }
            long commitsAfter = side.commits();
            double commitRate = commitsBefore < 0 || commitsAfter < 0 ? Double.NaN
                    : (commitsAfter - commitsBefore) * 1e9 / Math.max(1, System.nanoTime() - measuredFrom);
            return new Measured(rate, commitRate, all);
        } catch (ExecutionException e) {
            throw failure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            go.countDown(); // threads still waiting after a failed setup of another run on and end
            pool.shutdownNow();
            pool.close();
            for (int i = 0; i < threads; i++) {
                side.remove(i);
            }
        }
    }

    private static ThreadResult runThread(Side side, Workload w, int thread, long fileSize, long maxOps, CountDownLatch ready,
                                          CountDownLatch go, long[] deadlines) throws IOException, InterruptedException {
        boolean append = w == Workload.APPEND_FSYNC;
        long mask = fileSize / BLOCK - 1;
        SplittableRandom random = new SplittableRandom(0x9E3779B97F4A7C15L * (thread + 1));
        try (Arena arena = Arena.ofConfined(); SyncFile f = side.create(thread)) {
            MemorySegment segment = arena.allocate(BLOCK, BLOCK);
            for (long off = 0; off < BLOCK; off += 8) {
                segment.set(ValueLayout.JAVA_LONG_UNALIGNED, off, random.nextLong());
            }
            BenchFile.Buffer buf = BenchFile.Buffer.of(segment);
            if (!append) {
                prepareOverwrite(f, fileSize, arena);
            }
            LatencyHistogram latency = new LatencyHistogram();
            long[] pos = {0};
            ready.countDown();
            go.await();
            loop(f, buf, append, mask, fileSize, random, latency, pos, deadlines[0], Long.MAX_VALUE);
            latency.reset();
            long start = System.nanoTime();
            long ops = loop(f, buf, append, mask, fileSize, random, latency, pos, deadlines[1], maxOps);
            return new ThreadResult(ops, System.nanoTime() - start, latency);
        }
    }

    /**
     * The timed loop: ops until {@code deadline} or {@code maxOps}, each timed into {@code latency}. {@code pos}
     * carries an appending thread's end of file from the warm-up into the measurement.
     */
    private static long loop(SyncFile f, BenchFile.Buffer buf, boolean append, long mask, long fileSize,
                             SplittableRandom random, LatencyHistogram latency, long[] pos, long deadline, long maxOps)
            throws IOException {
        long ops = 0;
        long end = pos[0];
        long now = System.nanoTime();
        while (now < deadline && ops < maxOps) {
            long at;
            if (append) {
                if (end == fileSize) {
                    f.truncate(0);
                    end = 0;
                    now = System.nanoTime();
                }
                at = end;
                end += BLOCK;
            } else {
                at = (random.nextLong() & mask) * BLOCK;
            }
            long opStart = now;
            f.write(at, buf);
            f.sync(!append);
            now = System.nanoTime();
            latency.record(now - opStart);
            ops++;
        }
        pos[0] = end;
        return ops;
    }

    /** Allocates the whole file, writes every block and makes it durable: overwrites then change no block map. */
    private static void prepareOverwrite(SyncFile f, long fileSize, Arena arena) throws IOException {
        int chunk = (int) Math.min(FILL_CHUNK, fileSize);
        MemorySegment fill = arena.allocate(chunk, BLOCK);
        fill.fill((byte) 0x5a);
        BenchFile.Buffer buf = BenchFile.Buffer.of(fill);
        for (long p = 0; p < fileSize; p += chunk) {
            f.write(p, buf);
        }
        f.sync(false);
    }

    private static void awaitOrFail(CountDownLatch ready, List<Future<ThreadResult>> futures)
            throws InterruptedException, ExecutionException {
        // A thread whose setup fails never counts down; its failure must not leave us waiting.
        while (!ready.await(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            for (Future<ThreadResult> f : futures) {
                if (f.isDone()) {
                    f.get();
                }
            }
        }
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            Thread.sleep(Duration.ofNanos(left));
        }
    }

    /** The cause of a worker's failure: an IOException to return, anything unchecked rethrown. */
    static IOException failure(ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
            return io;
        }
        if (e.getCause() instanceof RuntimeException r) {
            throw r;
        }
        if (e.getCause() instanceof Error err) {
            throw err;
        }
        return new IOException(e.getCause());
    }

    /** Deletes {@code dir} and everything under it without holding a list of it. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

}
