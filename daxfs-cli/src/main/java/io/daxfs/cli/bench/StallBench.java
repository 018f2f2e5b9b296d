package io.daxfs.cli.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FormatOptions;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Whether one huge allocation stalls everybody else: one thread fallocates a large range of a
 * file on a sparse image while a second thread loops create, write 4 KiB, close and unlink of a
 * small file in another directory, timing each iteration. The small-file loop runs alone first
 * (a warm-up, then a measured stretch as the baseline), then during the fallocate, then as long
 * again after it returns (the commit of the allocation's last pieces lands there). Allocation
 * writes nothing to data blocks, so the image stays sparse: only its bitmaps and journal take
 * host space, which is checked first.
 */
public final class StallBench {
    static final int BLOCK = 4096;
    /** The goal the numbers are judged by: no iteration during or after the fallocate over this. */
    public static final long GOAL_NANOS = 50_000_000L;
    /** The loop's states besides the {@link Phase} ordinals: an unrecorded warm-up first, and stop. */
    private static final int WARMUP = -1;
    private static final int STOP = Phase.values().length;

    /** The stretches of the small-file loop that are reported. */
    public enum Phase {
        ALONE("alone"), DURING("during fallocate"), AFTER("after fallocate");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * What to measure.
     *
     * @param imageSize     size of the sparse image (a multiple of 4 KiB, at least 64 MiB)
     * @param fallocateSize bytes fallocated in one call (a multiple of 4 KiB, at most 3/4 of the image)
     * @param warmup        time the loop runs alone unmeasured, then alone measured, then after the fallocate
     * @param dir           directory for the image
     */
    public record Options(long imageSize, long fallocateSize, Duration warmup, Path dir) {
        public Options {
            if (imageSize < 64L << 20 || imageSize % BLOCK != 0) {
                throw new IllegalArgumentException("image size must be a multiple of 4 KiB of at least 64 MiB: " + imageSize);
            }
            if (fallocateSize <= 0 || fallocateSize % BLOCK != 0 || fallocateSize > imageSize / 4 * 3) {
                throw new IllegalArgumentException("fallocate size must be a positive multiple of 4 KiB "
                        + "of at most 3/4 of the image size: " + fallocateSize);
            }
            if (warmup.isNegative() || warmup.isZero()) {
                throw new IllegalArgumentException("warm-up must be positive");
            }
        }
    }

    /** The small-file loop's iterations of one phase (during: every one that overlapped the fallocate). */
    public record PhaseResult(Phase phase, long iterations, long p50Nanos, long p99Nanos, long maxNanos) {
    }

    /** The fallocate's duration and the loop's latency in each phase. */
    public record Result(long fallocateNanos, PhaseResult alone, PhaseResult during, PhaseResult after) {
        /** The slowest iteration that started during or after the fallocate. */
        public long worstNanos() {
            return Math.max(during.maxNanos(), after.maxNanos());
        }

        public boolean passed() {
            return worstNanos() <= GOAL_NANOS;
        }
    }

    private StallBench() {
    }

    public static Result run(Options o) throws IOException {
        // Little beyond the bitmaps and journal: the small files are 4 KiB each and unlinked at once.
        ImageSpace.require(o.dir(), o.imageSize(), 0);
        Path work = Files.createTempDirectory(o.dir(), "daxfs-bench-stall-");
        try {
            Path image = work.resolve("bench.img");
            try (DaxFileSystem fs = DaxFileSystem.format(image, o.imageSize(), FormatOptions.DEFAULT.withSparse(true))) {
                fs.mkdir("/small");
                fs.mkdir("/big");
                try (DaxFile big = fs.open("/big/file", CREATE_NEW, READ, WRITE)) {
                    return measure(fs, big, o);
                }
            } finally {
                Files.deleteIfExists(image);
            }
        } finally {
            SyncBench.deleteTree(work);
        }
    }

    private static Result measure(DaxFileSystem fs, DaxFile big, Options o) throws IOException {
        SmallFileLoop loop = new SmallFileLoop(fs);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> running = pool.submit(() -> {
                loop.run();
                return null;
            });
            long step = o.warmup().toNanos();
            pauseWatching(running, step);
            loop.phase = Phase.ALONE.ordinal();
            pauseWatching(running, step);
            loop.phase = Phase.DURING.ordinal();
            long start = System.nanoTime();
            big.allocate(0, o.fallocateSize(), false);
            long fallocateNanos = System.nanoTime() - start;
            loop.phase = Phase.AFTER.ordinal();
            pauseWatching(running, step);
            loop.phase = STOP;
            running.get();
            return new Result(fallocateNanos, loop.result(Phase.ALONE), loop.result(Phase.DURING),
                    loop.result(Phase.AFTER));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            loop.phase = STOP;
            pool.close(); // waits for the loop's last iteration, before the file system closes
        }
    }

    /** Sleeps {@code nanos}, returning early (to report the failure) if the loop has failed. */
    private static void pauseWatching(Future<?> loop, long nanos) throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + nanos;
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            Thread.sleep(Duration.ofNanos(Math.min(left, 20_000_000L)));
            if (loop.isDone()) {
                loop.get();
                throw new IllegalStateException("the small-file loop stopped early");
            }
        }
    }

    /**
     * The second thread: create, write 4 KiB, close, unlink, timed, into the histogram of the
     * phase it started in, or of DURING when it overlapped the fallocate.
     */
    private static final class SmallFileLoop {
        private final DaxFileSystem fs;
        private final LatencyHistogram[] latency = new LatencyHistogram[Phase.values().length];
        volatile int phase = WARMUP;

        SmallFileLoop(DaxFileSystem fs) {
            this.fs = fs;
            for (int i = 0; i < latency.length; i++) {
                latency[i] = new LatencyHistogram();
            }
        }

        void run() throws IOException {
            String name = "/small/file";
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocate(BLOCK, BLOCK);
                data.fill((byte) 0x33);
                int during = Phase.DURING.ordinal();
                int first;
                while ((first = phase) != STOP) {
                    long start = System.nanoTime();
                    try (DaxFile f = fs.open(name, CREATE_NEW, WRITE)) {
                        f.write(0, data);
                    }
                    fs.unlink(name);
                    long nanos = System.nanoTime() - start;
                    int last = phase;
                    // An iteration that overlaps the fallocate at all counts as during it, even one
                    // that began before it or outlasted it: those are the ones it may have stalled.
                    int p = first <= during && during <= last ? during : first;
                    if (p >= 0 && p < STOP) {
                        latency[p].record(nanos);
                    }
                }
            }
        }

        /** Read after the loop's thread has ended (its Future was waited for). */
        PhaseResult result(Phase p) {
            LatencyHistogram h = latency[p.ordinal()];
            return new PhaseResult(p, h.count(), h.percentile(0.50), h.percentile(0.99), h.count() == 0 ? -1 : h.max());
        }
    }
}
