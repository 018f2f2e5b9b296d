package io.daxfs.cli.bench;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Block allocation on a fragmented device, through the public API only.
 *
 * <p><b>Fragmenting.</b> Pieces of 4 to 64 KiB are allocated one after another over
 * {@link #FRAGMENTED} of the device, in files of up to {@link #FRAGMENT_FILE} each, then every
 * other piece is punched out: the free space is then a large number of 4-64 KiB holes, each
 * between two kept pieces, and the rest of the device, left whole so that 2 MiB-aligned runs
 * exist. A punched piece frees what deleting a small file of its size would, for the allocator
 * the same free space, at a fraction of the cost of creating and deleting hundreds of thousands
 * of files (and of inode numbers, which the lever below needs few of). Allocation (fallocate)
 * writes no data block, so a sparse image stays sparse.
 *
 * <p><b>Making freed blocks reusable.</b> daxfs hands a freed block out again only after the
 * transaction that freed it is checkpointed, and the API has no call that checkpoints. Creating a
 * file when every inode number is in use or being freed makes daxfs checkpoint first, so the file
 * system is formatted with just enough inode numbers for the run and the rest are taken by empty
 * "lever" files; deleting one lever file and creating it again then forces a checkpoint. The
 * create can succeed only if the checkpoint happened (the deleted number is reusable only after
 * one), so a daxfs that stops checkpointing there makes this benchmark fail rather than measure
 * something else.
 *
 * <p><b>Measuring.</b> Each measurement runs in bursts: every thread allocates into its own file
 * at consecutive file offsets (2 MiB-aligned ones for 2 MiB allocations) up to its share of the
 * burst's budget, or for at most a quarter of the measurement's time; between bursts, untimed,
 * the files are truncated and a checkpoint is forced, so every burst starts from the same
 * fragmented layout. The 2 MiB budget is half the unfragmented space, so an aligned run is always
 * left. One-thread and two-thread bursts alternate, so the ratio between them is not a drift of
 * the machine. The rate is allocations over the time spent in bursts.
 */
public final class AllocBench {
    static final int BLOCK = 4096;
    static final long HUGE = 2L << 20;
    /** Share of the device filled with pieces before every other one is punched out. */
    static final double FRAGMENTED = 0.75;
    /** Pieces are 1 to this many blocks (4-64 KiB). */
    private static final int MAX_PIECE_BLOCKS = 16;
    /** The pieces are laid out in files of at most this many bytes. */
    static final long FRAGMENT_FILE = 256L << 20;
    /** Inode numbers beyond the fragment files: directories, the burst files and the lever files. */
    private static final int SPARE_INODES = 64;
    /** One file per allocating thread; up to two threads. */
    private static final int BURST_FILES = 2;
    /** At most this many 4 KiB allocations per burst, over all threads. */
    private static final long MAX_SMALL_BURST = 1 << 16;
    /** The goals the numbers are judged by. */
    public static final double GOAL_HUGE_PER_SECOND = 100_000;
    public static final double GOAL_TWO_THREADS = 1.6;

    /**
     * What to measure.
     *
     * @param deviceSize size of the file system (a multiple of 2 MiB, at least 64 MiB)
     * @param warmup     time each measurement runs bursts unmeasured first
     * @param duration   time each measurement runs bursts measured (the bursts' own time counts in the rate)
     * @param dir        directory for an image file; null for a file system in process memory
     */
    public record Options(long deviceSize, Duration warmup, Duration duration, Path dir) {
        public Options {
            if (deviceSize < 64L << 20 || deviceSize % HUGE != 0) {
                throw new IllegalArgumentException("size must be a multiple of 2 MiB of at least 64 MiB: " + deviceSize);
            }
            if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }
    }

    /**
     * What fragmenting made.
     *
     * @param pieces           pieces of 4-64 KiB allocated
     * @param files            files they were allocated in
     * @param holes            pieces punched out, each leaving a free run of 4-64 KiB between two kept ones
     * @param holeBytes        bytes in those runs
     * @param unfragmentedBytes free bytes outside the fragmented part (whole, at the end of the device)
     * @param setupNanos       time formatting and fragmenting took
     */
    public record Layout(long pieces, long files, long holes, long holeBytes, long unfragmentedBytes, long setupNanos) {
        /** 2 MiB-aligned runs in the unfragmented part (at most one partial run lost at each end). */
        public long hugeRuns() {
            return Math.max(0, unfragmentedBytes / HUGE - 1);
        }
    }

    /**
     * One measurement.
     *
     * @param allocationBytes 2 MiB or 4 KiB
     * @param allocations     allocations made in the measured bursts, over all threads
     * @param bursts          measured bursts
     * @param perSecond       allocations per second of burst time
     * @param vsOneThread     perSecond over the one-thread perSecond of the same size (1 for one thread)
     */
    public record Result(long allocationBytes, int threads, long allocations, long bursts, double perSecond,
                         double vsOneThread) {
        /** The goal of this row: a rate for one thread and 2 MiB, a ratio for two threads; none otherwise. */
        public String goal() {
            if (threads == 1) {
                return allocationBytes == HUGE ? ">= 100k/s" : "-";
            }
            return String.format(java.util.Locale.ROOT, ">= %.2fx", GOAL_TWO_THREADS);
        }

        /** True, false, or null when the row has no goal. */
        public Boolean passed() {
            if (threads == 1) {
                return allocationBytes == HUGE ? perSecond >= GOAL_HUGE_PER_SECOND : null;
            }
            return vsOneThread >= GOAL_TWO_THREADS;
        }
    }

    private AllocBench() {
    }

    /**
     * Formats, fragments and measures 2 MiB and 4 KiB allocations with one and two threads;
     * {@code onLayout} sees the fragmented layout before the first measurement, {@code onResult}
     * each result as soon as it is measured.
     */
    public static List<Result> run(Options o, Consumer<Layout> onLayout, Consumer<Result> onResult) throws IOException {
        int[] pieces = plan(o.deviceSize());
        FormatOptions format = FormatOptions.DEFAULT.withInodes(o.deviceSize() / FRAGMENT_FILE + SPARE_INODES);
        Path work = null;
        Path image = null;
        if (o.dir() != null) {
            ImageSpace.require(o.dir(), o.deviceSize(), 0);
            work = Files.createTempDirectory(o.dir(), "daxfs-bench-alloc-");
            image = work.resolve("bench.img");
        }
        try {
            long start = System.nanoTime();
            try (DaxFileSystem fs = image == null ? DaxFileSystem.formatMemory(o.deviceSize(), format)
                    : DaxFileSystem.format(image, o.deviceSize(), format)) {
                return measure(fs, pieces, start, o, onLayout, onResult);
            }
        } finally {
            if (work != null) {
                SyncBench.deleteTree(work);
            }
        }
    }

    /** Sizes in blocks of the pieces that cover {@link #FRAGMENTED} of the device, in allocation order. */
    static int[] plan(long deviceSize) {
        long target = (long) (deviceSize * FRAGMENTED) / BLOCK;
        SplittableRandom random = new SplittableRandom(0x5eed);
        int[] blocks = new int[(int) (target / (MAX_PIECE_BLOCKS / 2) + 16)];
        int n = 0;
        for (long sum = 0; sum < target; n++) {
            if (n == blocks.length) {
                blocks = java.util.Arrays.copyOf(blocks, n * 2);
            }
            blocks[n] = 1 + random.nextInt(MAX_PIECE_BLOCKS);
            sum += blocks[n];
        }
        return java.util.Arrays.copyOf(blocks, n);
    }

    private static List<Result> measure(DaxFileSystem fs, int[] pieces, long start, Options o,
                                        Consumer<Layout> onLayout, Consumer<Result> onResult) throws IOException {
        Lever lever = new Lever(fs);
        Layout layout = fragment(fs, pieces, lever, start);
        onLayout.accept(layout);
        if (layout.unfragmentedBytes() < 4 * HUGE) {
            throw new DaxException(Errno.ENOSPC, "the device is too small: " + layout.unfragmentedBytes()
                    + " bytes stay unfragmented, not enough for 2 MiB-aligned allocations; use a larger --size");
        }
        List<Result> results = new ArrayList<>();
        DaxFile[] files = new DaxFile[BURST_FILES];
        ExecutorService pool = Executors.newFixedThreadPool(files.length);
        try {
            for (int i = 0; i < files.length; i++) {
                files[i] = fs.open(burstFile(i), READ, WRITE);
            }
            long hugeBudget = layout.unfragmentedBytes() / 2 / HUGE;
            long smallBudget = Math.max(2, Math.min(MAX_SMALL_BURST, layout.holeBytes() / 2 / BLOCK));
            for (long bytes : new long[] {HUGE, BLOCK}) {
                long budget = bytes == HUGE ? hugeBudget : smallBudget;
                List<Bursts> kinds = new ArrayList<>();
                for (int threads = 1; threads <= BURST_FILES; threads++) {
                    kinds.add(new Bursts(pool, files, threads, bytes, budget, lever));
                }
                // Each kind gets --seconds of bursts, taken in turns.
                alternate(kinds, o.warmup(), false, o.duration().toNanos() / 4);
                alternate(kinds, o.duration().multipliedBy(kinds.size()), true, o.duration().toNanos() / 4);
                double one = kinds.getFirst().rate();
                for (Bursts b : kinds) {
                    Result r = new Result(bytes, b.threads, b.allocations, b.bursts, b.rate(), b.rate() / one);
                    results.add(r);
                    onResult.accept(r);
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
            pool.close();
            for (DaxFile f : files) {
                if (f != null) {
                    f.close();
                }
            }
        }
    }

    /**
     * Allocates the planned pieces in files of at most {@link #FRAGMENT_FILE}, punches out every
     * other one and arms the lever, whose first checkpoint makes the punched blocks reusable.
     */
    private static Layout fragment(DaxFileSystem fs, int[] pieces, Lever lever, long start) throws IOException {
        fs.mkdir("/frag");
        List<int[]> files = new ArrayList<>(); // first and end piece of each file
        for (int first = 0; first < pieces.length; ) {
            int end = first;
            long length = 0;
            while (end < pieces.length && (end == first || length + (long) pieces[end] * BLOCK <= FRAGMENT_FILE)) {
                length += (long) pieces[end++] * BLOCK;
            }
            try (DaxFile f = fs.open(fragmentFile(files.size()), CREATE_NEW, WRITE)) {
                f.allocate(0, length, false);
            } catch (DaxException e) {
                if (e.errno() == Errno.ENOSPC) {
                    throw new DaxException(Errno.ENOSPC, "the device filled up while fragmenting it, at piece " + first
                            + " of " + pieces.length + ": " + e.detail());
                }
                throw e;
            }
            files.add(new int[] {first, end});
            first = end;
        }
        for (int i = 0; i < BURST_FILES; i++) {
            fs.open(burstFile(i), CREATE_NEW, WRITE).close();
        }
        var stat = fs.statfs();
        long unfragmented = stat.freeBlocks() * stat.blockSize();
        long holes = 0;
        long holeBytes = 0;
        for (int k = 0; k < files.size(); k++) {
            try (DaxFile f = fs.open(fragmentFile(k), READ, WRITE)) {
                long pos = 0;
                for (int i = files.get(k)[0]; i < files.get(k)[1]; i++) {
                    long bytes = (long) pieces[i] * BLOCK;
                    if (i % 2 == 1) {
                        f.punchHole(pos, bytes);
                        holes++;
                        holeBytes += bytes;
                    }
                    pos += bytes;
                }
            }
        }
        lever.arm();
        return new Layout(pieces.length, files.size(), holes, holeBytes, unfragmented, System.nanoTime() - start);
    }

    /** The file thread {@code i} allocates into. */
    private static String burstFile(int i) {
        return "/alloc-" + i;
    }

    private static String fragmentFile(int k) {
        return "/frag/" + k;
    }

    /** Forces a checkpoint through the public API: see the class comment. */
    private static final class Lever {
        private static final String DIR = "/lever";
        private final DaxFileSystem fs;
        private int files;

        Lever(DaxFileSystem fs) {
            this.fs = fs;
        }

        /**
         * Creates empty lever files until no inode number is left. The create that finds none
         * checkpoints before it fails, which makes every block freed so far reusable (and any
         * number being freed, which the loop then takes too). Called once, when every other file
         * exists; from then on every number is in use and nothing is pending.
         */
        void arm() throws IOException {
            fs.mkdir(DIR);
            try {
                while (true) {
                    fs.open(DIR + "/" + files, CREATE_NEW, WRITE).close();
                    files++;
                }
            } catch (DaxException e) {
                if (e.errno() != Errno.ENOSPC) {
                    throw e;
                }
            }
            if (files == 0) {
                throw new IllegalStateException("no inode number was left for the lever files");
            }
            pull(); // fails, rather than the measurements later, if creating does not checkpoint
        }

        /** Deletes a lever file and creates it again: the create must checkpoint to find an inode number. */
        void pull() throws IOException {
            String name = DIR + "/0";
            fs.unlink(name);
            try {
                fs.open(name, CREATE_NEW, WRITE).close();
            } catch (DaxException e) {
                if (e.errno() == Errno.ENOSPC) {
                    throw new DaxException(Errno.EIO, "could not make freed blocks reusable: a create with every "
                            + "inode number in use or being freed did not checkpoint (" + e.detail() + ")");
                }
                throw e;
            }
        }
    }

    /**
     * Runs a burst of each kind in turn until {@code time} has passed (when {@code measured}, at
     * least one of each), so that a drift of the machine or of the JIT touches every kind alike.
     * A burst stops after {@code slice} however far it got, so a slow allocator cannot stretch the run.
     */
    private static void alternate(List<Bursts> kinds, Duration time, boolean measured, long slice) throws IOException {
        long end = System.nanoTime() + time.toNanos();
        boolean first = true;
        while (System.nanoTime() < end || measured && first) {
            first = false;
            for (Bursts b : kinds) {
                b.once(System.nanoTime() + Math.max(slice, 1_000_000L), measured);
            }
        }
    }

    /** The bursts of one measurement: size, thread count and per-burst budget fixed. */
    private static final class Bursts {
        private final ExecutorService pool;
        private final DaxFile[] files;
        final int threads;
        private final long bytes;
        private final long perThread;
        private final Lever lever;
        long allocations;
        long bursts;
        long nanos;

        Bursts(ExecutorService pool, DaxFile[] files, int threads, long bytes, long budget, Lever lever) {
            this.pool = pool;
            this.files = files;
            this.threads = threads;
            this.bytes = bytes;
            this.perThread = Math.max(1, budget / threads);
            this.lever = lever;
        }

        /** One burst and the reclaim after it; counted when {@code measured}. */
        void once(long deadline, boolean measured) throws IOException {
            long[] done = burst(deadline);
            reclaim();
            if (measured) {
                allocations += done[0];
                nanos += done[1];
                bursts++;
            }
        }

        /** Allocations per second of burst time. */
        double rate() {
            return allocations * 1e9 / Math.max(1, nanos);
        }

        /**
         * One burst: every thread allocates its share, or as much of it as it can before
         * {@code deadline}. Returns the allocations made and the time from the first thread's
         * start to the last one's end.
         */
        private long[] burst(long deadline) throws IOException {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<long[]>> running = new ArrayList<>(threads);
            for (int t = 0; t < threads; t++) {
                DaxFile f = files[t];
                running.add(pool.submit(() -> {
                    go.await();
                    long from = System.nanoTime();
                    long now = from;
                    long k = 0;
                    while (k < perThread && (k == 0 || now < deadline)) {
                        f.allocate(k * bytes, bytes, false);
                        k++;
                        now = System.nanoTime();
                    }
                    return new long[] {from, now, k};
                }));
            }
            go.countDown();
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            long made = 0;
            try {
                for (Future<long[]> r : running) {
                    long[] span = r.get();
                    first = Math.min(first, span[0]);
                    last = Math.max(last, span[1]);
                    made += span[2];
                }
            } catch (ExecutionException e) {
                for (Future<long[]> r : running) {
                    r.cancel(true);
                }
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            return new long[] {made, last - first};
        }

        /** Frees what the burst allocated and makes it reusable. */
        private void reclaim() throws IOException {
            for (int t = 0; t < threads; t++) {
                files[t].truncate(0);
            }
            lever.pull();
        }
    }
}
