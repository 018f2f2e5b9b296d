package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxFaultException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.types.DaxStats;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;

import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mapped accesses under stress: several threads over several files at once map (every mode,
 * with and without huge pages, 2 MiB-aligned and not, whole and odd lengths), fault (read and
 * write, 4 KiB and 2 MiB), read(), write(), truncate, punch, collapse, insert, zero range,
 * allocate, fsync, msync, pin and close, while every answer is checked against a model.
 *
 * <h2>How the checks stay exact under concurrency</h2>
 * Each file has a read/write lock <em>in the test</em> and a model (bytes and size). Workers take
 * it exclusively for whatever changes the file's contents (write, truncate, punch, collapse,
 * insert, zero range, allocate, mapped stores; private-mapping stores too, to check they stay
 * private) and update the model; they take it shared for read() and mapped loads and compare
 * every byte, the zero tail of the EOF page, and SIGBUS exactly when a page lies wholly past EOF.
 * The file system's own locking is what is under test; the test lock only makes the expected
 * answer well defined.
 *
 * <p>"Chaos" threads take no lock: they map, read, pin and hold pins (so layout changes must
 * wait) while everything changes. Every byte a writer writes to file F carries F's tag in its
 * top two bits (never zero), so whatever a chaos reader sees must be zero or carry the tag of the
 * file it reads: another file's data, freed or reused blocks exposed, show up at once. A chaos
 * read also compares exactly when the file's version (a seqlock bumped around each change) did
 * not move while it read: holes must then read zero, and SIGBUS must match the size.
 *
 * <p>A watchdog fails the test with every thread's stack if nothing progresses for 30 s. At the
 * end every file is verified through read() and a fresh mapping, the file system is unmounted
 * and checked with fsck, and the DAX counters must show 2 MiB and 4 KiB faults and revocations.
 *
 * <p>45 s ({@code -Ddaxfs.test.long=true}: 10 min; {@code -Ddaxfs.stress.millis=N});
 * {@code -Ddaxfs.stress.seed=N} fixes the seed (printed at the start and on failure; thread
 * interleaving still varies).
 */
class MappingStressTest {
    private static final boolean LONG = Boolean.getBoolean("daxfs.test.long");
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final int PAGE = 4096;
    private static final long HUGE = 2 * MIB;
    private static final int FILES = 3;
    private static final int WORKERS = 4;
    private static final int CHAOS = 2;
    /** Files never grow past this (so the model is an array and the device never fills). */
    private static final int CAP = (int) (20 * MIB);
    /** Zeros past the capacity in the model: mappings and loads reach a little past it (they see zeros or SIGBUS). */
    private static final int SLACK = (int) (8 * MIB);
    private static final long DEVICE = 256 * MIB;
    private static final long STALL_NANOS = 30_000_000_000L;
    /**
     * JDK behaviour, not a daxfs bug: closing a page-table epoch's shared Arena while another
     * thread is inside an access through it makes the JVM stop that access with an async
     * exception, which may also set the thread's interrupt status. DaxMapping retries the
     * access transparently and leaves the status alone (clearing it could drop a genuine
     * interrupt; MappingAccessSpec checks that), so the caller's next interruptible wait (a
     * truncate waiting for a pinned page: EINTR; Thread.sleep) may fail spuriously. By default
     * this test clears and counts these; {@code -Ddaxfs.stress.strictInterrupts=true} fails on them.
     */
    private static final boolean STRICT_INTERRUPTS = Boolean.getBoolean("daxfs.stress.strictInterrupts");

    // ---------------------------------------------------------------- the model

    /** One file: the handle all threads share, the test's lock, the model and its seqlock. */
    static final class F {
        final int id;
        final String path;
        final DaxFile file;
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        /** Odd while a change is in progress; bumped under the exclusive lock only. */
        final AtomicLong version = new AtomicLong();
        /** Contents; every byte at or past {@link #size} is zero. Written under the exclusive lock. */
        final byte[] data = new byte[CAP + SLACK];
        volatile long size;
        /** Mappings the chaos threads share and replace (closing the old one under a reader's feet). */
        final AtomicReferenceArray<DaxMapping> pool = new AtomicReferenceArray<>(2);

        F(int id, String path, DaxFile file) {
            this.id = id;
            this.path = path;
            this.file = file;
        }

        void beginChange() {
            lock.writeLock().lock();
            version.incrementAndGet();
        }

        void endChange() {
            version.incrementAndGet();
            lock.writeLock().unlock();
        }

        void write(long pos, byte[] b, int off, int n) {
            System.arraycopy(b, off, data, (int) pos, n);
            size = Math.max(size, pos + n);
        }

        void truncate(long s) {
            if (s < size) {
                Arrays.fill(data, (int) s, (int) size, (byte) 0);
            }
            size = s;
        }

        void zero(long pos, long len) {
            int from = (int) Math.min(pos, CAP);
            int to = (int) Math.min(pos + len, CAP);
            Arrays.fill(data, from, to, (byte) 0);
        }

        void collapse(long pos, long len) {
            int p = (int) pos;
            int l = (int) len;
            int s = (int) size;
            System.arraycopy(data, p + l, data, p, s - p - l);
            Arrays.fill(data, s - l, s, (byte) 0);
            size = s - l;
        }

        void insert(long pos, long len) {
            int p = (int) pos;
            int l = (int) len;
            int s = (int) size;
            System.arraycopy(data, p, data, p + l, s - p);
            Arrays.fill(data, p, p + l, (byte) 0);
            size = s + l;
        }

        /** Whether byte {@code b} may be read from this file at any time: zero, or this file's tag. */
        boolean mayHold(byte b) {
            return b == 0 || ((b & 0xff) >>> 6) == id;
        }

        @Override
        public String toString() {
            return path + " (tag " + id + ", size " + size + ")";
        }
    }

    /** Fills {@code b[off, off+n)} with bytes carrying tag {@code id} (1..3) in the top two bits: never zero. */
    static void tagged(SplittableRandom r, byte[] b, int off, int n, int id) {
        int k = 0;
        long x = 0;
        for (int i = 0; i < n; i++) {
            if ((k++ & 7) == 0) {
                x = r.nextLong();
            }
            b[off + i] = (byte) ((id << 6) | (int) (x & 63));
            x >>>= 8;
        }
    }

    // ---------------------------------------------------------------- run state

    private final AtomicLong progress = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicReference<String> hang = new AtomicReference<>();
    private volatile boolean stop;
    private final LongAdder exactChaosChecks = new LongAdder();
    private final LongAdder chaosReads = new LongAdder();
    private final LongAdder sigbusSeen = new LongAdder();
    private final LongAdder privateDiscards = new LongAdder();
    private final LongAdder heldPins = new LongAdder();
    private final LongAdder spuriousInterrupts = new LongAdder();
    private final Map<String, LongAdder> opCounts = new java.util.concurrent.ConcurrentHashMap<>();
    private long seed;
    private F[] files;

    private final ThreadLocal<String> lastOp = new ThreadLocal<>();

    private void count(String op) {
        lastOp.set(op);
        opCounts.computeIfAbsent(op, k -> new LongAdder()).increment();
        progress.incrementAndGet();
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES) // the long mode runs 10 minutes, the build's default timeout
    void mappedAccessesRaceWithEverything() throws Exception {
        seed = Long.getLong("daxfs.stress.seed", System.nanoTime());
        long millis = Long.getLong("daxfs.stress.millis", LONG ? 600_000 : 45_000);
        System.out.println("MappingStressTest seed " + seed + " (-Ddaxfs.stress.seed=" + seed + "), " + millis + " ms");
        RetainedDevice device = RetainedDevice.allocateFreeable(DEVICE);
        boolean hung = false;
        try {
            DaxFileSystem fs = DaxFileSystem.format(device, FormatOptions.DEFAULT);
            files = new F[FILES];
            for (int i = 0; i < FILES; i++) {
                String path = "/m" + i;
                files[i] = new F(i + 1, path, fs.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE));
            }
            long deadline = System.nanoTime() + millis * 1_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < WORKERS + CHAOS; t++) {
                int n = t;
                boolean chaos = t >= WORKERS;
                threads.add(Thread.ofPlatform().daemon().name((chaos ? "chaos-" : "worker-") + t).start(() -> {
                    SplittableRandom r = new SplittableRandom(seed * 31 + n);
                    List<Held> mine = new ArrayList<>();
                    try {
                        while (!stop && System.nanoTime() - deadline < 0) {
                            if (chaos) {
                                chaosStep(r, mine);
                            } else {
                                workerStep(r, mine);
                            }
                            clearRevocationInterrupt(lastOp.get());
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, new AssertionError(Thread.currentThread().getName() + ": " + e, e));
                        stop = true;
                    } finally {
                        for (Held h : mine) {
                            closeQuietly(h.m);
                        }
                    }
                }));
            }
            Thread dog = Thread.ofPlatform().daemon().name("stress-watchdog").start(() -> watch(threads));
            for (Thread t : threads) {
                while (t.isAlive() && hang.get() == null) {
                    t.join(200);
                }
            }
            stop = true;
            dog.interrupt();
            dog.join();
            if (hang.get() != null) {
                hung = true;
                throw new AssertionError("MappingStressTest seed " + seed + ": " + hang.get(), failure.get());
            }
            if (failure.get() != null) {
                throw new AssertionError("MappingStressTest seed " + seed + " failed: " + failure.get().getMessage(),
                        failure.get());
            }
            for (F f : files) {
                for (int i = 0; i < f.pool.length(); i++) {
                    closeQuietly(f.pool.getAndSet(i, null));
                }
            }
            finalVerification();
            DaxStats st = fs.stats();
            System.out.println("MappingStressTest seed " + seed + ": " + progress.get() + " ops " + opCounts
                    + "; chaos reads " + chaosReads.sum() + " (" + exactChaosChecks.sum() + " exact), SIGBUS seen "
                    + sigbusSeen.sum() + ", private copies discarded " + privateDiscards.sum() + ", pins held across changes "
                    + heldPins.sum() + ", interrupt status left by revocations " + spuriousInterrupts.sum() + "; " + st);
            for (F f : files) {
                f.file.close();
            }
            fs.close();
            FsckReport report = DaxFileSystem.fsck(device, false, ProgressListener.NONE);
            assertTrue(report.clean(), () -> "seed " + seed + ": fsck after unmount: " + report.problems());
            assertTrue(st.faults2m() > 0, "no 2 MiB fault: " + st);
            assertTrue(st.faults4k() > 0, "no 4 KiB fault: " + st);
            assertTrue(st.revocations() > 0, "no window was ever revoked: " + st);
            assertTrue(st.writebackFlushes() > 0, "no writeback flush: " + st);
        } finally {
            if (!hung) {
                device.free(); // a hung thread may still touch it: leave it to the process then
            }
        }
    }

    private void watch(List<Thread> threads) {
        long last = progress.get();
        long since = System.nanoTime();
        while (!stop) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            long p = progress.get();
            if (p != last) {
                last = p;
                since = System.nanoTime();
            } else if (System.nanoTime() - since > STALL_NANOS && threads.stream().anyMatch(Thread::isAlive)) {
                StringBuilder sb = new StringBuilder("no progress for 30 s (at " + p + " operations). Threads:\n");
                for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                    sb.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
                    for (StackTraceElement s : e.getValue()) {
                        sb.append("    at ").append(s).append('\n');
                    }
                }
                hang.set(sb.toString());
                stop = true;
                return;
            }
        }
    }

    private static void closeQuietly(DaxMapping m) {
        if (m != null) {
            try {
                m.close();
            } catch (DaxException | RuntimeException e) {
                // best effort
            }
        }
    }

    // ---------------------------------------------------------------- mappings

    /** A mapping a thread keeps across operations (so other threads' changes revoke its windows). */
    record Held(F f, DaxMapping m) {
        long pos() {
            return m.filePosition();
        }

        long len() {
            return m.length();
        }
    }

    private static final DaxMapMode[] MODES = DaxMapMode.values();

    /** A new mapping of {@code f}: any mode, 2 MiB-aligned or not, huge pages or not, odd lengths too. */
    private DaxMapping newMapping(SplittableRandom r, F f, DaxMapMode mode) throws DaxException {
        long pos;
        long len;
        switch (r.nextInt(4)) {
            case 0 -> { // the whole file space
                pos = 0;
                len = CAP + (r.nextBoolean() ? 0 : r.nextInt(1, PAGE));
            }
            case 1 -> { // 2 MiB-aligned, 2 MiB multiples: huge faults possible
                pos = r.nextLong(CAP / HUGE) * HUGE;
                len = HUGE * r.nextLong(1, (CAP - pos) / HUGE + 1);
            }
            case 2 -> { // page-aligned but not 2 MiB-aligned: 2 MiB faults fall back at the edges
                pos = (long) r.nextInt(CAP / PAGE) * PAGE;
                len = r.nextLong(1, CAP - pos + 1);
            }
            default -> { // around the current end of file
                long s = f.size;
                pos = Math.max(0, (s - r.nextLong(8 * PAGE)) & -PAGE);
                len = r.nextLong(1, 16 * PAGE);
            }
        }
        if (r.nextInt(200) == 0) {
            long bad = pos + 1 + r.nextInt(PAGE - 1);
            DaxException e = expectThrows(DaxException.class, () -> f.file.map(bad, 100, mode));
            check(e.errno() == Errno.EINVAL, "map at unaligned " + bad + ": " + e);
        }
        return r.nextInt(3) == 0 ? f.file.map(pos, len, mode, DaxMapOption.NO_HUGE_PAGES) : f.file.map(pos, len, mode);
    }

    /** One of the thread's mappings of some file (new, or one it holds), in a mode that suits {@code write}. */
    private Held pick(SplittableRandom r, List<Held> mine, boolean write) throws DaxException {
        if (!mine.isEmpty() && r.nextInt(4) != 0) {
            Held h = mine.get(r.nextInt(mine.size()));
            if (!write || h.m.mode() == DaxMapMode.READ_WRITE || h.m.mode() == DaxMapMode.READ_WRITE_SYNC) {
                return h;
            }
        }
        F f = files[r.nextInt(FILES)];
        DaxMapMode mode = write ? (r.nextInt(4) == 0 ? DaxMapMode.READ_WRITE_SYNC : DaxMapMode.READ_WRITE)
                : r.nextInt(5) == 0 ? DaxMapMode.PRIVATE : MODES[r.nextInt(3)];
        Held h = new Held(f, newMapping(r, f, mode));
        mine.add(h);
        if (mine.size() > 5) {
            mine.remove(r.nextInt(mine.size() - 1)).m.close();
            count("munmap");
        }
        return h;
    }

    // ---------------------------------------------------------------- workers (use the test lock)

    private enum Op { READ, MAPREAD, WRITE, MAPWRITE, HUGE_TOUCH, TRUNCATE, PUNCH, ZERO, COLLAPSE, INSERT, ALLOCATE,
        FSYNC, MSYNC, PIN, PRIVATE, CLOSE, RO_STORE }

    private static final Op[] WEIGHTED = weights(new Object[][]{
            {Op.READ, 12}, {Op.MAPREAD, 20}, {Op.WRITE, 12}, {Op.MAPWRITE, 16}, {Op.HUGE_TOUCH, 4}, {Op.TRUNCATE, 4},
            {Op.PUNCH, 5}, {Op.ZERO, 4}, {Op.COLLAPSE, 3}, {Op.INSERT, 3}, {Op.ALLOCATE, 4}, {Op.FSYNC, 2},
            {Op.MSYNC, 3}, {Op.PIN, 3}, {Op.PRIVATE, 3}, {Op.CLOSE, 3}, {Op.RO_STORE, 1}});

    private static Op[] weights(Object[][] w) {
        List<Op> l = new ArrayList<>();
        for (Object[] e : w) {
            for (int i = 0; i < (Integer) e[1]; i++) {
                l.add((Op) e[0]);
            }
        }
        return l.toArray(Op[]::new);
    }

    private void workerStep(SplittableRandom r, List<Held> mine) throws Exception {
        Op op = WEIGHTED[r.nextInt(WEIGHTED.length)];
        F f = files[r.nextInt(FILES)];
        switch (op) {
            case READ -> shared(f, () -> checkRead(r, f));
            case MAPREAD -> {
                Held h = pick(r, mine, false);
                shared(h.f, () -> checkMapRead(r, h));
            }
            case WRITE -> change(f, () -> {
                long pos = offset(r, f);
                int n = (int) Math.min(length(r), CAP - pos);
                byte[] b = new byte[n];
                tagged(r, b, 0, n, f.id);
                long done = f.file.write(pos, b, 0, n);
                check(done == n, "write of " + n + " at " + pos + " returned " + done);
                f.write(pos, b, 0, n);
            });
            case MAPWRITE -> {
                Held h = pick(r, mine, true);
                change(h.f, () -> mapWrite(r, h));
            }
            case HUGE_TOUCH -> hugeTouch(r, f);
            case TRUNCATE -> change(f, () -> {
                long s = switch (r.nextInt(4)) {
                    case 0 -> r.nextLong(CAP + 1);
                    case 1 -> r.nextLong(CAP / HUGE + 1) * HUGE;
                    case 2 -> Math.clamp(f.size + r.nextLong(-3 * PAGE, 3 * PAGE), 0, CAP);
                    default -> Math.max(f.size, r.nextLong(CAP + 1));
                };
                f.file.truncate(s);
                f.truncate(s);
            });
            case PUNCH -> change(f, () -> {
                long pos = offset(r, f);
                long len = r.nextInt(30) == 0 ? (1L << 44) - pos : length(r);
                f.file.punchHole(pos, len);
                f.zero(pos, len);
            });
            case ZERO -> change(f, () -> {
                long pos = offset(r, f);
                long len = Math.min(length(r), CAP - pos);
                boolean keep = r.nextBoolean();
                f.file.zeroRange(pos, len, keep);
                f.zero(pos, len);
                if (!keep) {
                    f.size = Math.max(f.size, pos + len);
                }
            });
            case COLLAPSE -> change(f, () -> {
                long pages = (f.size - 1) / PAGE; // the range must end before EOF
                if (f.size == 0 || pages < 1) {
                    return;
                }
                long n = 1 + r.nextLong(Math.min(pages, r.nextBoolean() ? 16 : 1024));
                long p = r.nextLong(pages - n + 1);
                f.file.collapseRange(p * PAGE, n * PAGE);
                f.collapse(p * PAGE, n * PAGE);
            });
            case INSERT -> change(f, () -> {
                long room = (CAP - f.size) / PAGE;
                if (f.size == 0 || room < 1) {
                    return;
                }
                long n = 1 + r.nextLong(Math.min(room, r.nextBoolean() ? 16 : 1024));
                long p = r.nextLong((f.size + PAGE - 1) / PAGE);
                f.file.insertRange(p * PAGE, n * PAGE);
                f.insert(p * PAGE, n * PAGE);
            });
            case ALLOCATE -> change(f, () -> {
                long pos = r.nextLong(CAP / HUGE) * HUGE;
                long len = Math.min(HUGE * r.nextLong(1, 4), CAP - pos);
                boolean keep = r.nextInt(3) == 0;
                f.file.allocate(pos, len, keep);
                if (!keep) {
                    f.size = Math.max(f.size, pos + len);
                }
            });
            case FSYNC -> {
                if (r.nextBoolean()) {
                    f.file.fsync();
                } else {
                    f.file.fdatasync();
                }
            }
            case MSYNC -> {
                Held h = pick(r, mine, r.nextBoolean());
                long off = r.nextLong(h.len());
                h.m.msync(off, r.nextLong(h.len() - off + 1));
            }
            case PIN -> {
                Held h = pick(r, mine, false);
                shared(h.f, () -> pinAndRead(r, h));
            }
            case PRIVATE -> change(f, () -> privateMapping(r, f));
            case CLOSE -> {
                if (!mine.isEmpty()) {
                    Held h = mine.remove(r.nextInt(mine.size()));
                    h.m.close();
                    check(h.m.isClosed(), "closed mapping is not closed");
                    DaxFaultException e = expectThrows(DaxFaultException.class, () -> h.m.getByte(0));
                    check(e.errno() == Errno.EBADF, "access to a closed mapping: " + e.errno());
                }
            }
            case RO_STORE -> {
                try (DaxMapping m = f.file.map(0, PAGE, DaxMapMode.READ_ONLY)) {
                    DaxFaultException e = expectThrows(DaxFaultException.class, () -> m.setByte(0, (byte) 0x40));
                    check(e.errno() == Errno.EACCES, "store to a read-only mapping: " + e.errno());
                }
            }
        }
        count(op.name());
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void shared(F f, Body b) throws Exception {
        f.lock.readLock().lock();
        try {
            b.run();
        } finally {
            f.lock.readLock().unlock();
        }
    }

    private static void change(F f, Body b) throws Exception {
        f.beginChange();
        try {
            b.run();
        } finally {
            f.endChange();
        }
    }

    private static long offset(SplittableRandom r, F f) {
        long s = f.size;
        long pos = switch (r.nextInt(5)) {
            case 0, 1 -> s == 0 ? 0 : r.nextLong(s);
            case 2 -> s + r.nextLong(-64 * KIB, 64 * KIB);
            case 3 -> r.nextLong(CAP / HUGE) * HUGE + (r.nextBoolean() ? 0 : r.nextLong(HUGE));
            default -> r.nextLong(CAP);
        };
        return Math.clamp(pos, 0, CAP - 1);
    }

    private static long length(SplittableRandom r) {
        int c = r.nextInt(100);
        if (c < 5) {
            return HUGE * r.nextLong(1, 3);
        }
        if (c < 15) {
            return r.nextLong(64 * KIB, 2 * MIB);
        }
        long len = 1 + r.nextLong(1L << r.nextInt(17));
        return r.nextInt(3) == 0 ? Math.max(PAGE, len & -PAGE) : len;
    }

    /** read() at a random place: the count and every byte as the model says. */
    private void checkRead(SplittableRandom r, F f) throws DaxException {
        long pos = offset(r, f);
        int n = (int) Math.max(1, Math.min(length(r), 4 * MIB));
        byte[] b = new byte[n];
        long got = f.file.read(pos, b, 0, n);
        long size = f.size;
        long want = pos >= size ? -1 : Math.min(n, size - pos);
        check(got == want, f + ": read of " + n + " at " + pos + " returned " + got + ", expected " + want);
        if (got > 0) {
            compare(f, "read", pos, b, 0, (int) got);
        }
    }

    /** A mapped load of a random range: model bytes inside EOF, zeros in the EOF page's tail, SIGBUS past it. */
    private void checkMapRead(SplittableRandom r, Held h) {
        F f = h.f;
        long off = r.nextLong(h.len());
        int n = (int) Math.min(Math.max(1, Math.min(length(r), 4 * MIB)), h.len() - off);
        int how = r.nextInt(4);
        if (how == 0 && n >= 8) {
            n = 8;
        } else if (how == 1 && n >= 4) {
            n = 4;
        } else if (how == 2) {
            n = 1;
        } else {
            how = 3;
        }
        byte[] b = new byte[n];
        long pos = h.pos() + off;
        boolean sigbus = pastEof(pos, n, f.size);
        try {
            load(h.m, off, b, how);
        } catch (DaxFaultException e) {
            check(e.errno() == Errno.SIGBUS && sigbus, f + ": mapped load [" + pos + ", +" + n + ") in " + h.m
                    + " failed with " + e.errno() + " (" + e.getMessage() + "), size " + f.size);
            sigbusSeen.increment();
            return;
        }
        check(!sigbus, f + ": mapped load [" + pos + ", +" + n + ") past EOF (size " + f.size + ") did not raise SIGBUS");
        compare(f, "mapped load via " + h.m, pos, b, 0, n);
    }

    /** Whether {@code [pos, pos + n)} touches a page wholly past end of file. */
    private static boolean pastEof(long pos, long n, long size) {
        long pages = (size + PAGE - 1) / PAGE;
        return (pos + n - 1) / PAGE >= pages;
    }

    private static void load(DaxMapping m, long off, byte[] b, int how) {
        MemorySegment s = MemorySegment.ofArray(b);
        switch (how) {
            case 0 -> s.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, m.getLong(off));
            case 1 -> s.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, m.getInt(off));
            case 2 -> b[0] = m.getByte(off);
            default -> m.copyTo(off, s);
        }
    }

    private static void store(DaxMapping m, long off, byte[] b, int how) {
        MemorySegment s = MemorySegment.ofArray(b);
        switch (how) {
            case 0 -> m.setLong(off, s.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0));
            case 1 -> m.setInt(off, s.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0));
            case 2 -> m.setByte(off, b[0]);
            default -> m.copyFrom(s, off);
        }
    }

    /** Compares {@code b[off, off+n)}, read at file position {@code pos}, with the model (zeros past EOF). */
    private void compare(F f, String what, long pos, byte[] b, int off, int n) {
        int at = Arrays.mismatch(b, off, off + n, f.data, (int) pos, (int) pos + n);
        if (at >= 0) {
            long bad = pos + at;
            throw new AssertionError(f + ": " + what + " [" + pos + ", +" + n + "): first wrong byte at " + bad
                    + " (page " + bad / PAGE + " +" + bad % PAGE + "): got " + hex(b, off + at) + " expected "
                    + hex(f.data, (int) bad) + (bad >= f.size ? " (past EOF)" : ""));
        }
    }

    private static String hex(byte[] b, int from) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < Math.min(b.length, from + 16); i++) {
            sb.append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }

    /** Stores through a shared writable mapping inside EOF (model updated), or past it (SIGBUS, nothing changes). */
    private void mapWrite(SplittableRandom r, Held h) throws DaxException {
        F f = h.f;
        long size = f.size;
        long lo = h.pos();
        long hi = Math.min(h.pos() + h.len(), size); // stores stay inside EOF
        int how = r.nextInt(4);
        if (hi <= lo || r.nextInt(20) == 0) {
            long first = (size + PAGE - 1) / PAGE * PAGE; // the first page wholly past EOF
            long from = Math.max(first, lo);
            if (from < h.pos() + h.len()) {
                long off = from - lo + r.nextLong(Math.min(PAGE, h.pos() + h.len() - from));
                off = Math.min(off, h.len() - 1);
                long at = off;
                DaxFaultException e = expectThrows(DaxFaultException.class,
                        () -> h.m.setByte(at, (byte) ((f.id << 6) | 1)));
                check(e.errno() == Errno.SIGBUS, f + ": store past EOF: " + e.errno());
                sigbusSeen.increment();
            }
            return;
        }
        long pos = lo + r.nextLong(hi - lo);
        int n = (int) Math.min(length(r), hi - pos);
        if (how == 0 && n >= 8) {
            n = 8;
        } else if (how == 1 && n >= 4) {
            n = 4;
        } else if (how == 2) {
            n = 1;
        } else {
            how = 3;
        }
        byte[] b = new byte[n];
        tagged(r, b, 0, n, f.id);
        store(h.m, pos - lo, b, how);
        f.write(pos, b, 0, n);
        if (r.nextInt(4) == 0) {
            h.m.msync(pos - lo, n);
        }
        if (r.nextInt(4) == 0) {
            byte[] back = new byte[n];
            check(f.file.read(pos, back, 0, n) == n, "read after mapped store");
            compare(f, "read() after a mapped store", pos, back, 0, n);
        }
    }

    private interface Thrower {
        void run() throws Exception;
    }

    private static <T extends Throwable> T expectThrows(Class<T> type, Thrower t) {
        try {
            t.run();
        } catch (Throwable e) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
            throw new AssertionError("expected " + type.getSimpleName() + " but got " + e, e);
        }
        throw new AssertionError("expected " + type.getSimpleName());
    }

    /**
     * ndctl-style: allocate (or write-fault) a 2 MiB-aligned region inside EOF, map it aligned and
     * store once per 4 KiB page, so 2 MiB faults happen; every store checked afterwards by read().
     */
    private void hugeTouch(SplittableRandom r, F f) throws Exception {
        change(f, () -> {
            long base = r.nextLong(CAP / HUGE) * HUGE;
            if (f.size < base + HUGE) {
                f.file.truncate(base + HUGE);
                f.truncate(base + HUGE);
            }
            if (r.nextBoolean()) {
                f.file.allocate(base, HUGE, false);
            }
            DaxMapMode mode = r.nextInt(3) == 0 ? DaxMapMode.READ_WRITE_SYNC : DaxMapMode.READ_WRITE;
            try (DaxMapping m = f.file.map(base, HUGE, mode)) {
                byte[] b = new byte[8];
                for (long off = r.nextInt(PAGE - 8); off < HUGE; off += PAGE) {
                    tagged(r, b, 0, 8, f.id);
                    store(m, off, b, 0);
                    f.write(base + off, b, 0, 8);
                }
                if (r.nextBoolean()) {
                    m.msync(0, HUGE);
                }
            }
            byte[] back = new byte[(int) HUGE];
            check(f.file.read(base, back, 0, back.length) == back.length, "read after huge touch");
            compare(f, "read() after 2 MiB of mapped stores", base, back, 0, back.length);
        });
    }

    /** Pins part of a mapping (its pages stay allocated), reads through it, unpins. */
    private void pinAndRead(SplittableRandom r, Held h) throws DaxException {
        F f = h.f;
        long off = r.nextLong(h.len());
        long n = Math.min(1 + r.nextLong(64 * KIB), h.len() - off);
        boolean sigbus = pastEof(h.pos() + off, n, f.size);
        DaxPin pin;
        try {
            pin = h.m.pin(off, n);
        } catch (DaxFaultException e) { // not expected: pin reports a checked DaxException
            throw new AssertionError("pin threw " + e, e);
        } catch (DaxException e) {
            check(e.errno() == Errno.SIGBUS && sigbus, f + ": pin [" + (h.pos() + off) + ", +" + n + ") failed: " + e);
            return;
        }
        try (pin) {
            check(!sigbus, f + ": pin past EOF succeeded");
            byte[] b = new byte[(int) n];
            h.m.copyTo(off, MemorySegment.ofArray(b));
            compare(f, "load from pinned pages", h.pos() + off, b, 0, b.length);
        }
    }

    /**
     * A private mapping: stores reach only the mapping (copies of the pages), the file and other
     * mappings are unchanged; a layout change in its range discards its copies, so it then shows
     * the file again.
     */
    private void privateMapping(SplittableRandom r, F f) throws Exception {
        long size = f.size;
        if (size == 0) {
            return;
        }
        long pos = (r.nextLong(size) & -PAGE);
        long len = Math.min(r.nextLong(1, 4 * MIB), CAP - pos);
        DaxMapping p = r.nextBoolean() ? f.file.map(pos, len, DaxMapMode.PRIVATE)
                : f.file.map(pos, len, DaxMapMode.PRIVATE, DaxMapOption.NO_HUGE_PAGES);
        try (p) {
            long inEof = Math.min(len, size - pos);
            byte[] overlay = Arrays.copyOfRange(f.data, (int) pos, (int) (pos + len));
            if (r.nextBoolean()) { // read first: shared pages (maybe the zero page), then copy on write
                byte[] b = new byte[(int) inEof];
                p.copyTo(0, MemorySegment.ofArray(b));
                compare(f, "private mapping before stores", pos, b, 0, b.length);
            }
            int stores = 1 + r.nextInt(8);
            for (int i = 0; i < stores; i++) {
                long off = r.nextLong(inEof);
                int n = (int) Math.min(1 + r.nextLong(3 * PAGE), inEof - off);
                byte[] b = new byte[n];
                tagged(r, b, 0, n, f.id);
                store(p, off, b, 3);
                System.arraycopy(b, 0, overlay, (int) off, n);
            }
            byte[] got = new byte[(int) inEof];
            p.copyTo(0, MemorySegment.ofArray(got));
            int bad = Arrays.mismatch(got, 0, got.length, overlay, 0, got.length);
            check(bad < 0, f + ": private mapping at " + pos + " reads wrong at +" + bad);
            byte[] file = new byte[(int) inEof];
            check(f.file.read(pos, file, 0, file.length) == file.length, "read under a private mapping");
            compare(f, "read() after private stores (must not see them)", pos, file, 0, file.length);
            if (r.nextInt(3) == 0) {
                // Punch a hole over the mapping: its private copies in the range are discarded.
                clearRevocationInterrupt("loads through a private mapping");
                f.file.punchHole(pos, len);
                f.zero(pos, len);
                p.copyTo(0, MemorySegment.ofArray(got));
                compare(f, "private mapping after a punch over it (copies discarded)", pos, got, 0, got.length);
                privateDiscards.increment();
            }
        }
    }

    // ---------------------------------------------------------------- chaos (no test lock)

    private void chaosStep(SplittableRandom r, List<Held> mine) throws Exception {
        F f = files[r.nextInt(FILES)];
        switch (r.nextInt(6)) {
            case 0, 1 -> {
                Held h = null;
                for (Held x : mine) {
                    if (x.f == f && r.nextBoolean()) {
                        h = x;
                    }
                }
                if (h == null) {
                    DaxMapMode mode = r.nextInt(4) == 0 ? DaxMapMode.PRIVATE : MODES[r.nextInt(3)];
                    h = new Held(f, newMapping(r, f, mode));
                    mine.add(h);
                    if (mine.size() > 4) {
                        mine.remove(0).m.close();
                    }
                }
                chaosMapRead(r, h, false);
                count("chaos-mapread");
            }
            case 2 -> {
                int slot = r.nextInt(f.pool.length());
                DaxMapping m = f.pool.get(slot);
                if (m == null || r.nextInt(10) == 0) {
                    DaxMapping fresh = newMapping(r, f, DaxMapMode.READ_ONLY);
                    closeQuietly(f.pool.getAndSet(slot, fresh)); // maybe while another chaos thread reads it
                    m = fresh;
                }
                chaosMapRead(r, new Held(f, m), true);
                count("chaos-pool");
            }
            case 3 -> {
                chaosRead(r, f);
                count("chaos-read");
            }
            case 4 -> {
                chaosPin(r, f);
                count("chaos-pin");
            }
            default -> {
                if (r.nextBoolean()) {
                    f.file.fdatasync();
                } else {
                    Thread.sleep(0, 100_000);
                }
                count("chaos-sync");
            }
        }
    }

    private void chaosMapRead(SplittableRandom r, Held h, boolean mayBeClosed) {
        F f = h.f;
        long off = r.nextLong(h.len());
        int n = (int) Math.min(1 + r.nextLong(256 * KIB), h.len() - off);
        byte[] b = new byte[n];
        long pos = h.pos() + off;
        long v = f.version.get();
        Errno err = null;
        try {
            h.m.copyTo(off, MemorySegment.ofArray(b));
        } catch (DaxFaultException e) {
            err = e.errno();
            boolean ok = err == Errno.SIGBUS || (mayBeClosed && err == Errno.EBADF);
            check(ok, f + ": chaos mapped load [" + pos + ", +" + n + ") failed with " + err + ": " + e.getMessage());
        }
        chaosReads.increment();
        tags(f, "chaos mapped load via " + h.m, pos, b, n); // a partial copy leaves zeros: fine
        exact(f, v, pos, b, n, err, true);
    }

    private void chaosRead(SplittableRandom r, F f) throws DaxException {
        long s = f.size;
        long pos = r.nextInt(3) == 0 ? r.nextLong(CAP) : s == 0 ? 0 : r.nextLong(s);
        int n = 1 + r.nextInt((int) (256 * KIB));
        byte[] b = new byte[n];
        long v = f.version.get();
        long got = f.file.read(pos, b, 0, n);
        check(got == -1 || (got >= 0 && got <= n), "read returned " + got);
        chaosReads.increment();
        tags(f, "chaos read()", pos, b, n);
        if (got < 0 || (v & 1) != 0) {
            return;
        }
        // A seqlock read: copy the model first, then check the version. Comparing with the live
        // model after the check raced with a change starting meanwhile (which writes the model
        // before the file: a false "got zeros" when this thread was preempted in between).
        long size = f.size;
        byte[] model = Arrays.copyOfRange(f.data, (int) pos, (int) pos + n);
        VarHandle.acquireFence();
        if (v != f.version.get()) {
            return;
        }
        long want = pos >= size ? -1 : Math.min(n, size - pos);
        check(got == want, f + ": read count " + got + ", expected " + want + " (file unchanged meanwhile)");
        int at = Arrays.mismatch(b, 0, (int) got, model, 0, (int) got);
        if (at >= 0) {
            long bad = pos + at;
            check(false, f + ": chaos read() (file unchanged meanwhile) [" + pos + ", +" + got + "): first wrong byte at "
                    + bad + " (page " + bad / PAGE + " +" + bad % PAGE + "): got " + hex(b, at) + " expected " + hex(model, at));
        }
        exactChaosChecks.increment();
    }

    /** Maps, pins a range and holds it a moment (truncate and co. must wait), loading through it. */
    private void chaosPin(SplittableRandom r, F f) throws Exception {
        long s = f.size;
        long pos = s < PAGE ? 0 : (r.nextLong(s) & -PAGE);
        try (DaxMapping m = newMappingAt(r, f, pos)) {
            long n = Math.min(1 + r.nextLong(32 * KIB), m.length());
            DaxPin pin;
            try {
                pin = m.pin(0, n);
            } catch (DaxException e) {
                check(e.errno() == Errno.SIGBUS, f + ": chaos pin at " + pos + " failed: " + e);
                return;
            }
            try (pin) {
                long t0 = System.nanoTime();
                long v = f.version.get();
                byte[] b = new byte[(int) n];
                while (System.nanoTime() - t0 < 2_000_000L) {
                    Errno err = null;
                    try {
                        m.copyTo(0, MemorySegment.ofArray(b));
                    } catch (DaxFaultException e) {
                        err = e.errno();
                        check(err == Errno.SIGBUS, f + ": load from pinned mapping failed: " + e);
                    }
                    tags(f, "load from a pinned range", pos, b, (int) n);
                    exact(f, v, pos, b, (int) n, err, true);
                    v = f.version.get();
                    Thread.onSpinWait();
                }
                if (f.version.get() != v) {
                    heldPins.increment();
                }
            }
        }
    }

    private DaxMapping newMappingAt(SplittableRandom r, F f, long pos) throws DaxException {
        long len = r.nextBoolean() ? HUGE : r.nextLong(1, 64 * KIB);
        DaxMapMode mode = MODES[r.nextInt(MODES.length)];
        return r.nextBoolean() ? f.file.map(pos, len, mode) : f.file.map(pos, len, mode, DaxMapOption.NO_HUGE_PAGES);
    }

    /** Every byte read from {@code f} is zero or carries its tag, whatever happened meanwhile. */
    private void tags(F f, String what, long pos, byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (!f.mayHold(b[i])) {
                throw new AssertionError(f + ": " + what + " [" + pos + ", +" + n + ") byte at " + (pos + i)
                        + " is 0x" + Integer.toHexString(b[i] & 0xff) + ": tag " + ((b[i] & 0xff) >>> 6)
                        + ", another file's data (or a stale block) exposed");
            }
        }
    }

    /**
     * If {@code f} did not change since version {@code v} (and was not changing), the load must have
     * seen exactly the model: bytes (zeros in holes and past EOF), and SIGBUS exactly past EOF.
     */
    private void exact(F f, long v, long pos, byte[] b, int n, Errno err, boolean mapped) {
        if ((v & 1) != 0 || err == Errno.EBADF) {
            return;
        }
        long size = f.size;
        byte[] want = new byte[n];
        System.arraycopy(f.data, (int) pos, want, 0, n);
        VarHandle.acquireFence();
        if (f.version.get() != v) {
            return;
        }
        exactChaosChecks.increment();
        boolean sigbus = mapped && pastEof(pos, n, size);
        check((err == Errno.SIGBUS) == sigbus, f + ": chaos load [" + pos + ", +" + n + ") with size " + size
                + " unchanged: " + (sigbus ? "no SIGBUS" : "unexpected SIGBUS"));
        if (err == null) {
            int at = Arrays.mismatch(b, 0, n, want, 0, n);
            check(at < 0, f + ": chaos load [" + pos + ", +" + n + ") with the file unchanged: wrong byte at "
                    + (pos + at) + ": got " + hex(b, Math.max(0, at)) + " expected " + hex(want, Math.max(0, at)));
        }
    }

    // ---------------------------------------------------------------- the end

    private void finalVerification() throws DaxException {
        for (F f : files) {
            long size = f.file.size();
            check(size == f.size, f + ": size " + size + " at the end");
            byte[] b = new byte[(int) size];
            check(size == 0 || f.file.read(0, b, 0, b.length) == size, "final read");
            compare(f, "final read()", 0, b, 0, b.length);
            if (size > 0) {
                try (DaxMapping m = f.file.map(0, CAP, DaxMapMode.READ_ONLY)) {
                    long end = (size + PAGE - 1) / PAGE * PAGE;
                    byte[] c = new byte[(int) end];
                    m.copyTo(0, MemorySegment.ofArray(c));
                    compare(f, "final mapped load (with the EOF page's tail)", 0, c, 0, c.length);
                    if (end < CAP) {
                        DaxFaultException e = expectThrows(DaxFaultException.class, () -> m.getByte(end));
                        check(e.errno() == Errno.SIGBUS, "final load past EOF: " + e.errno());
                    }
                }
            }
        }
    }

    /**
     * Clears an interrupt status left by a revocation (see {@link #STRICT_INTERRUPTS}) and
     * counts it; with the strict property set, fails instead.
     */
    private void clearRevocationInterrupt(String after) {
        if (Thread.interrupted()) {
            spuriousInterrupts.increment();
            if (STRICT_INTERRUPTS) {
                throw new AssertionError("the interrupt status was set by " + after
                        + " (a window revoked while this thread was inside an access to it)");
            }
        }
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what + " [seed " + seed + "]");
        }
    }
}
