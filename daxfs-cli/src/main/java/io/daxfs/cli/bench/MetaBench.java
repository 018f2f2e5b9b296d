package io.daxfs.cli.bench;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FormatOptions;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Metadata operations at scale, in two runs.
 *
 * <p>{@link #runNamespace Namespace}: N empty files spread over D directories (file i in
 * directory i mod D, names made from the indices, so the benchmark holds no list of them), created,
 * stat'ed, listed and unlinked phase by phase on a daxfs image and on the default file system in
 * the same host directory, each phase on one side and then the other, for each thread count. The
 * threads share the directories out (thread t takes directories t, t+T, ...) and run the same loop
 * on both sides; a phase's rate is its operations over its wall time. A short untimed cycle on
 * both sides first lets the JIT compile the loops.
 *
 * <p>{@link #runMemory Memory}: many files created on a daxfs image, the image unmounted and
 * mounted again, and then every directory listed and every file stat'ed through the cold inode
 * cache, with the heap it took; and the first lookup in a directory of many entries after the
 * remount, which has to read the whole directory.
 */
public final class MetaBench {
    /** Most subdirectories one directory may have (the file system's link count limit). */
    static final int MAX_DIRS = 65000;
    /** Entries one readdir call asks for. */
    private static final int READDIR_PAGE = 4096;
    private static final long WARMUP_FILES = 20_000;
    private static final long PROGRESS_EVERY_MS = 5000;
    private static final long TWO_MIB = 2L << 20;

    /** A namespace phase, in the order they run. */
    public enum Phase {
        CREATE("create"), STAT("stat"), READDIR("readdir"), UNLINK("unlink");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * What the namespace run measures.
     *
     * @param files   empty files, file i in directory i mod dirs
     * @param dirs    directories (at most {@value #MAX_DIRS})
     * @param threads thread counts, each measured in turn (sorted, without repeats)
     * @param dir     where the daxfs image and the nio files go (deleted afterwards)
     */
    public record Options(long files, int dirs, List<Integer> threads, Path dir) {
        public Options {
            checkCounts(files, dirs);
            if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1 || t > 1024)) {
                throw new IllegalArgumentException("thread counts must be between 1 and 1024: " + threads);
            }
            threads = threads.stream().distinct().sorted().toList();
        }
    }

    /**
     * One phase at one thread count on both sides.
     *
     * @param ops          files (readdir: entries listed) the phase went through on each side
     * @param nioPerSecond ops per second through java.nio.file on the default file system
     * @param daxPerSecond ops per second through the daxfs API
     */
    public record Result(Phase phase, int threads, long ops, double nioPerSecond, double daxPerSecond) {
        /** daxfs over nio: above 1 daxfs is faster. */
        public double ratio() {
            return daxPerSecond / nioPerSecond;
        }
    }

    /**
     * What the memory run measures.
     *
     * @param files  empty files, file i in directory i mod dirs
     * @param dirs   directories (at most {@value #MAX_DIRS})
     * @param bigDir entries of the one big directory whose first lookup is timed (at least 1)
     * @param dir    where the daxfs image goes (deleted afterwards)
     */
    public record MemoryOptions(long files, int dirs, long bigDir, Path dir) {
        public MemoryOptions {
            checkCounts(files, dirs);
            if (bigDir < 1) {
                throw new IllegalArgumentException("the big directory needs at least 1 entry: " + bigDir);
            }
        }

        /** The name whose first lookup is timed: name-123456, or one that exists in a smaller directory. */
        String lookupName() {
            return "name-" + 123456 % bigDir;
        }

        /** Another name in the big directory, for the second (warm) lookup. */
        String secondName() {
            return "name-" + (123456 % bigDir + 1) % bigDir;
        }
    }

    /** One timed step of the memory run: {@code ops} operations in {@code nanos}. */
    public record Step(String label, long ops, long nanos) {
        public double perSecond() {
            return ops * 1e9 / Math.max(1, nanos);
        }
    }

    /**
     * Heap figures of the memory run, in bytes.
     *
     * @param max             the JVM's maximum heap
     * @param afterMount      in use after the remount, after a GC
     * @param walkPeak        the sum of the heap pools' peaks during the walk (an upper bound of the real peak)
     * @param afterWalk       in use after the walk, after a GC
     * @param afterLookup     in use after the big directory's lookups, after a GC
     */
    public record Heap(long max, long afterMount, long walkPeak, long afterWalk, long afterLookup) {
    }

    private static void checkCounts(long files, int dirs) {
        if (files < 1) {
            throw new IllegalArgumentException("files must be at least 1: " + files);
        }
        if (dirs < 1 || dirs > MAX_DIRS) {
            throw new IllegalArgumentException("directories must be between 1 and " + MAX_DIRS + ": " + dirs);
        }
    }

    private MetaBench() {
    }

    /**
     * Inodes for {@code files} files and {@code dirs} directories plus the root and a margin;
     * the image size that holds them, their directories' blocks (a generous 128 bytes an entry)
     * and 1 GiB to spare, in whole 2 MiB. The image is sparse: only what is written takes host space.
     */
    static long inodesFor(long files, long dirs) {
        return files + dirs + 1024;
    }

    /**
     * Inodes for the namespace run: a number for every file of every cycle (the warm-up and one
     * per thread count). A number freed by unlink is reusable only after the freeing transaction
     * is checkpointed, which the API cannot ask for; without the spare numbers a cycle's creates
     * would depend on when checkpoints happen (and did fail with ENOSPC, two threads, 2000 files).
     */
    static long namespaceInodes(Options o) {
        return inodesFor(o.files() * o.threads().size() + Math.min(o.files(), WARMUP_FILES), o.dirs());
    }

    static long imageSizeFor(long inodes, long entries) {
        long size = inodes * 256 + entries * 128 + (1L << 30);
        return (size + TWO_MIB - 1) / TWO_MIB * TWO_MIB;
    }

    /** Host bytes the image's inode table and directory blocks will take, for {@link ImageSpace#require}. */
    private static long writtenBytes(long inodes, long entries) {
        return inodes * 256 + entries * 64;
    }

    /**
     * The namespace run: every phase at every thread count on both sides; {@code onResult} sees
     * each result as soon as both sides are measured, {@code progress} a line every few seconds of
     * a long phase.
     */
    public static List<Result> runNamespace(Options o, Consumer<Result> onResult, Consumer<String> progress)
            throws IOException {
        long inodes = namespaceInodes(o);
        long size = imageSizeFor(inodes, o.files() + o.dirs());
        ImageSpace.require(o.dir(), size, writtenBytes(inodes, o.files() + o.dirs()));
        List<Result> results = new ArrayList<>();
        Path work = Files.createTempDirectory(o.dir(), "daxfs-bench-meta-");
        Path image = o.dir().resolve(work.getFileName() + ".img");
        try (Progress p = new Progress(progress);
             DaxFileSystem fs = DaxFileSystem.format(image, size, FormatOptions.DEFAULT.withInodes(inodes).withSparse(true))) {
            Path nioRoot = Files.createDirectory(work.resolve("nio"));
            Side nio = new NioSide(nioRoot, o.dirs());
            Side dax = new DaxSide(fs, o.dirs());
            for (Side s : new Side[] {nio, dax}) {
                for (int d = 0; d < o.dirs(); d++) {
                    s.mkdir(d);
                }
            }
            long warm = Math.min(o.files(), WARMUP_FILES);
            for (Side s : new Side[] {nio, dax}) {
                for (Phase phase : Phase.values()) {
                    runPhase(s, phase, 1, warm, o.dirs(), p, "warm-up");
                }
            }
            for (int threads : o.threads()) {
                for (Phase phase : Phase.values()) {
                    long nioNanos = runPhase(nio, phase, threads, o.files(), o.dirs(), p, "nio");
                    long daxNanos = runPhase(dax, phase, threads, o.files(), o.dirs(), p, "daxfs");
                    Result r = new Result(phase, threads, o.files(), o.files() * 1e9 / Math.max(1, nioNanos),
                            o.files() * 1e9 / Math.max(1, daxNanos));
                    results.add(r);
                    onResult.accept(r);
                }
            }
            for (Side s : new Side[] {nio, dax}) {
                for (int d = 0; d < o.dirs(); d++) {
                    s.rmdir(d);
                }
            }
        } finally {
            try {
                Files.deleteIfExists(image);
            } finally {
                SyncBench.deleteTree(work);
            }
        }
        return results;
    }

    /** What the memory run found: its timed steps, in order, and the heap. */
    public record MemoryReport(List<Step> steps, Heap heap, long firstLookupNanos, long secondLookupNanos,
                               long imageSize, long inodes) {
    }

    /**
     * The memory run: creates the files and the big directory, unmounts, mounts again, walks every
     * directory (readdir, then stat of each entry by path), then stats one name in the big directory
     * twice. {@code onStep} sees each timed step as it ends.
     */
    public static MemoryReport runMemory(MemoryOptions o, Consumer<Step> onStep, Consumer<String> progress)
            throws IOException {
        long entries = o.files() + o.bigDir();
        long inodes = inodesFor(entries, o.dirs() + 1);
        long size = imageSizeFor(inodes, entries + o.dirs() + 1);
        ImageSpace.require(o.dir(), size, writtenBytes(inodes, entries + o.dirs() + 1));
        Path image = Files.createTempFile(o.dir(), "daxfs-bench-meta-", ".img");
        List<Step> steps = new ArrayList<>();
        Consumer<Step> record = s -> {
            steps.add(s);
            onStep.accept(s);
        };
        try (Progress p = new Progress(progress)) {
            DaxFileSystem fs = DaxFileSystem.format(image, size, FormatOptions.DEFAULT.withInodes(inodes).withSparse(true));
            try {
                DaxSide dax = new DaxSide(fs, o.dirs());
                for (int d = 0; d < o.dirs(); d++) {
                    dax.mkdir(d);
                }
                record.accept(new Step("create files", o.files(),
                        runPhase(dax, Phase.CREATE, 1, o.files(), o.dirs(), p, "files")));
                fs.mkdir("/big");
                p.start("create /big", o.bigDir());
                long t0 = System.nanoTime();
                for (long i = 0; i < o.bigDir(); i++) {
                    fs.open("/big/name-" + i, CREATE_NEW, WRITE).close();
                    if ((i & 1023) == 1023) {
                        p.add(1024);
                    }
                }
                record.accept(new Step("create /big", o.bigDir(), System.nanoTime() - t0));
                p.stop();
                t0 = System.nanoTime();
                DaxFileSystem closing = fs;
                fs = null;
                closing.close();
                record.accept(new Step("unmount", 1, System.nanoTime() - t0));
            } finally {
                if (fs != null) {
                    fs.close();
                }
            }
            long t0 = System.nanoTime();
            try (DaxFileSystem remounted = DaxFileSystem.mount(image)) {
                record.accept(new Step("mount", 1, System.nanoTime() - t0));
                long max = Runtime.getRuntime().maxMemory();
                long afterMount = usedAfterGc();
                List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
                        .filter(pool -> pool.getType() == MemoryType.HEAP && pool.isValid()).toList();
                pools.forEach(MemoryPoolMXBean::resetPeakUsage);
                p.start("walk (readdir+stat)", o.files());
                t0 = System.nanoTime();
                long found = walk(remounted, o.dirs(), p);
                long walkNanos = System.nanoTime() - t0;
                p.stop();
                long peak = pools.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
                if (found != o.files()) {
                    throw new DaxException(Errno.EIO, "the walk found " + found + " files, not " + o.files());
                }
                record.accept(new Step("walk (readdir+stat)", o.files(), walkNanos));
                long afterWalk = usedAfterGc();
                t0 = System.nanoTime();
                sink(remounted.stat("/big/" + o.lookupName()));
                long first = System.nanoTime() - t0;
                t0 = System.nanoTime();
                sink(remounted.stat("/big/" + o.secondName()));
                long second = System.nanoTime() - t0;
                long afterLookup = usedAfterGc();
                return new MemoryReport(steps, new Heap(max, afterMount, peak, afterWalk, afterLookup), first, second,
                        size, inodes);
            }
        } finally {
            Files.deleteIfExists(image);
        }
    }

    /** Lists every directory and stats every entry by its path; the number of entries. */
    private static long walk(DaxFileSystem fs, int dirs, Progress p) throws DaxException {
        long found = 0;
        long sum = 0;
        for (int d = 0; d < dirs; d++) {
            String prefix = DaxSide.dirPath(d) + "/";
            long cookie = 0;
            List<DirEntry> page;
            do {
                page = fs.readdir(DaxSide.dirPath(d), cookie, READDIR_PAGE);
                for (DirEntry e : page) {
                    sum += fs.stat(prefix + e.name()).ino();
                    cookie = e.cookie();
                }
                found += page.size();
                p.add(page.size());
            } while (page.size() == READDIR_PAGE);
        }
        sinkValue = sum;
        return found;
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    @SuppressWarnings("unused")
    private static volatile long sinkValue;

    private static void sink(FileStat st) {
        sinkValue += st.ino();
    }

    /** One side's operations on file i of directory d, the same shape for both sides. */
    private interface Side {
        void mkdir(int d) throws IOException;

        void rmdir(int d) throws IOException;

        void create(int d, long i) throws IOException;

        /** Stats file i of directory d; something of the answer, so that the call is not optimised away. */
        long stat(int d, long i) throws IOException;

        /** Lists directory d whole; the number of entries. */
        long readdir(int d) throws IOException;

        void unlink(int d, long i) throws IOException;
    }

    private static final class DaxSide implements Side {
        private final DaxFileSystem fs;
        private final String[] dirs;

        DaxSide(DaxFileSystem fs, int dirs) {
            this.fs = fs;
            this.dirs = new String[dirs];
            for (int d = 0; d < dirs; d++) {
                this.dirs[d] = dirPath(d);
            }
        }

        static String dirPath(int d) {
            return "/d" + d;
        }

        private String path(int d, long i) {
            return dirs[d] + "/f" + i;
        }

        @Override
        public void mkdir(int d) throws IOException {
            fs.mkdir(dirs[d]);
        }

        @Override
        public void rmdir(int d) throws IOException {
            fs.rmdir(dirs[d]);
        }

        @Override
        public void create(int d, long i) throws IOException {
            fs.open(path(d, i), CREATE_NEW, WRITE).close();
        }

        @Override
        public long stat(int d, long i) throws IOException {
            return fs.stat(path(d, i)).ino();
        }

        @Override
        public long readdir(int d) throws IOException {
            long n = 0;
            long cookie = 0;
            List<DirEntry> page;
            do {
                page = fs.readdir(dirs[d], cookie, READDIR_PAGE);
                n += page.size();
                if (!page.isEmpty()) {
                    cookie = page.getLast().cookie();
                }
            } while (page.size() == READDIR_PAGE);
            return n;
        }

        @Override
        public void unlink(int d, long i) throws IOException {
            fs.unlink(path(d, i));
        }
    }

    private static final class NioSide implements Side {
        private final Path[] dirs;

        NioSide(Path root, int dirs) {
            this.dirs = new Path[dirs];
            for (int d = 0; d < dirs; d++) {
                this.dirs[d] = root.resolve("d" + d);
            }
        }

        private Path path(int d, long i) {
            return dirs[d].resolve("f" + i);
        }

        @Override
        public void mkdir(int d) throws IOException {
            Files.createDirectory(dirs[d]);
        }

        @Override
        public void rmdir(int d) throws IOException {
            Files.delete(dirs[d]);
        }

        @Override
        public void create(int d, long i) throws IOException {
            Files.createFile(path(d, i));
        }

        @Override
        public long stat(int d, long i) throws IOException {
            return Files.readAttributes(path(d, i), BasicFileAttributes.class).size();
        }

        @Override
        public long readdir(int d) throws IOException {
            long n = 0;
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dirs[d])) {
                for (Path ignored : s) {
                    n++;
                }
            }
            return n;
        }

        @Override
        public void unlink(int d, long i) throws IOException {
            Files.delete(path(d, i));
        }
    }

    /**
     * Runs one phase over files 0..files-1 with {@code threads} threads, thread t taking
     * directories t, t+T, ...; its wall time in nanoseconds. A readdir phase that lists other than
     * {@code files} entries fails (EIO): the other phases left the directories wrong.
     */
    private static long runPhase(Side side, Phase phase, int threads, long files, int dirs, Progress p, String what)
            throws IOException {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Long>> futures = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        p.start(String.format(Locale.ROOT, "%s %s, %d thread%s", phase.label(), what, threads, threads == 1 ? "" : "s"),
                files);
        try {
            for (int t = 0; t < threads; t++) {
                int first = t;
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return runDirs(side, phase, first, threads, files, dirs, p);
                }));
            }
            ready.await();
            long start = System.nanoTime();
            go.countDown();
            long listed = 0;
            for (Future<Long> f : futures) {
                listed += f.get();
            }
            long nanos = System.nanoTime() - start;
            if (phase == Phase.READDIR && listed != files) {
                throw new DaxException(Errno.EIO, what + " readdir listed " + listed + " entries, not " + files);
            }
            return nanos;
        } catch (ExecutionException e) {
            throw SyncBench.failure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            go.countDown();
            pool.shutdownNow();
            pool.close();
            p.stop();
        }
    }

    /** One thread's share of a phase: directories first, first+step, ...; entries listed (readdir) or a checksum. */
    private static long runDirs(Side side, Phase phase, int first, int step, long files, int dirs, Progress p)
            throws IOException {
        long result = 0;
        for (int d = first; d < dirs; d += step) {
            long ops = 0;
            switch (phase) {
                case CREATE -> {
                    for (long i = d; i < files; i += dirs) {
                        side.create(d, i);
                        ops++;
                    }
                }
                case STAT -> {
                    for (long i = d; i < files; i += dirs) {
                        result += side.stat(d, i);
                        ops++;
                    }
                }
                case READDIR -> {
                    ops = side.readdir(d);
                    result += ops;
                }
                case UNLINK -> {
                    for (long i = d; i < files; i += dirs) {
                        side.unlink(d, i);
                        ops++;
                    }
                }
            }
            p.add(ops);
        }
        if (phase != Phase.READDIR) {
            sinkValue += result;
            return 0;
        }
        return result;
    }


    /**
     * Progress of the current phase, reported as a line every few seconds while a phase runs
     * longer than that: the phase, how far it is and its rate so far.
     */
    private static final class Progress implements AutoCloseable {
        private final Consumer<String> out;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-meta-progress");
            t.setDaemon(true);
            return t;
        });
        private final AtomicLong done = new AtomicLong();
        private volatile String label;
        private volatile long total;
        private volatile long started;

        Progress(Consumer<String> out) {
            this.out = out;
            timer.scheduleAtFixedRate(this::report, PROGRESS_EVERY_MS, PROGRESS_EVERY_MS, TimeUnit.MILLISECONDS);
        }

        void start(String label, long total) {
            done.set(0);
            this.total = total;
            this.started = System.nanoTime();
            this.label = label;
        }

        void add(long n) {
            done.addAndGet(n);
        }

        void stop() {
            label = null;
        }

        private void report() {
            String l = label;
            if (l == null) {
                return;
            }
            long elapsed = System.nanoTime() - started;
            if (elapsed < TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS) / 2) {
                return;
            }
            long n = done.get();
            out.accept(String.format(Locale.ROOT, "bench meta: %s: %d of %d (%d%%), %.0f s, %s/s", l, n, total,
                    total == 0 ? 100 : n * 100 / total, elapsed / 1e9, BenchFormat.number(n * 1e9 / elapsed)));
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
