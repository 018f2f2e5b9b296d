package io.daxfs.model;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.MountOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fsx with threads: three runners, each on its own files, share one file system (with a 20 ms
 * background commit), while another thread syncs, lists the root directory, reads statfs and
 * opens the runners' files behind their backs to read, seek, stat and fsync them. Every runner checks its own answers as it goes; at the end every file is verified,
 * the file system remounted and every file verified again, so one file's data showing up in
 * another's, or a lost update, fails the test. A hang fails after 60 s with every thread's stack.
 *
 * <p>Runs for 20 s (200 s with {@code -Ddaxfs.test.long=true}, or {@code -Ddaxfs.fsx.millis=N});
 * {@code -Ddaxfs.fsx.seed=N} sets the first runner's seed (runner i uses N + i),
 * {@code -Ddaxfs.fsx.threads=N} the number of runners. Thread interleaving makes a failure not exactly
 * replayable; the seeds still reproduce each thread's operations.
 */
class FsxConcurrentTest {
    private static final int THREADS = Integer.getInteger("daxfs.fsx.threads", 3);

    /**
     * Opens a runner's file behind its back and reads, seeks, stats and fsyncs it while the
     * runner changes it: no model says what the bytes are at that moment, but every call must
     * either succeed with a sane answer or fail with the errno the race explains.
     */
    private static void prowl(DaxFileSystem fs, SplittableRandom rnd) throws DaxException {
        String path = "/t" + rnd.nextInt(THREADS) + "-" + rnd.nextInt(FsxConfig.concurrent("").files());
        DaxFile f;
        try {
            f = fs.open(path);
        } catch (DaxException e) {
            if (e.errno() == Errno.ENOENT) {
                return; // between unlink and re-create
            }
            throw e;
        }
        try (f) {
            byte[] b = new byte[1 + rnd.nextInt(256 << 10)];
            for (int i = 0; i < 8; i++) {
                long size = f.size();
                long pos = size == 0 ? 0 : rnd.nextLong(size + (size >> 3) + 1);
                switch (rnd.nextInt(4)) {
                    case 0 -> {
                        int n = f.read(pos, b, 0, b.length);
                        if (n < -1 || n > b.length) {
                            throw new AssertionError("read of " + b.length + " at " + pos + " returned " + n);
                        }
                    }
                    case 1 -> {
                        long at = seekOrMinusOne(() -> f.seekData(pos));
                        if (at != -1 && at < pos) {
                            throw new AssertionError("SEEK_DATA from " + pos + " went back to " + at);
                        }
                    }
                    case 2 -> {
                        long at = seekOrMinusOne(() -> f.seekHole(pos));
                        if (at != -1 && at < pos) {
                            throw new AssertionError("SEEK_HOLE from " + pos + " went back to " + at);
                        }
                    }
                    default -> {
                        if (f.stat().blocks() < 0) {
                            throw new AssertionError("negative st_blocks");
                        }
                        f.fsync();
                    }
                }
            }
        }
    }

    private interface Seek {
        long seek() throws DaxException;
    }

    /** The offset, or -1 for ENXIO (past EOF, or the file shrank under us). */
    private static long seekOrMinusOne(Seek s) throws DaxException {
        try {
            return s.seek();
        } catch (DaxException e) {
            if (e.errno() == Errno.ENXIO) {
                return -1;
            }
            throw e;
        }
    }

    @Test
    void runnersShareAFileSystem() throws Exception {
        long base = FsxTest.seeds(4001).findFirst().orElseThrow();
        long millis = Long.getLong("daxfs.fsx.millis", FsxTest.LONG ? 200_000 : 20_000);
        FsxTarget target = FsxTarget.memory(256L << 20, MountOptions.DEFAULT.withCommitIntervalMs(20));
        DaxFileSystem fs = target.format();
        List<FsxRunner> runners = new ArrayList<>();
        boolean hung = false;
        try {
            for (int t = 0; t < THREADS; t++) {
                FsxRunner r = new FsxRunner(FsxTest.tuned(FsxConfig.concurrent("t" + t + "-")), base + t, fs, null);
                r.setup();
                runners.add(r);
            }
            CountDownLatch running = new CountDownLatch(THREADS);
            AtomicLong syncs = new AtomicLong();
            long deadline = System.nanoTime() + millis * 1_000_000L;
            List<Watchdog.Task> tasks = new ArrayList<>();
            for (FsxRunner r : runners) {
                tasks.add(() -> {
                    try {
                        r.run(Long.MAX_VALUE, deadline);
                    } finally {
                        running.countDown();
                    }
                });
            }
            DaxFileSystem shared = fs;
            tasks.add(() -> {
                SplittableRandom rnd = new SplittableRandom(base);
                while (running.getCount() > 0) {
                    switch (rnd.nextInt(6)) {
                        case 0 -> shared.readdir("/");
                        case 1 -> shared.statfs();
                        case 2, 3 -> prowl(shared, rnd);
                        default -> shared.sync();
                    }
                    syncs.incrementAndGet();
                    Thread.sleep(rnd.nextInt(3));
                }
            });
            try {
                // Progress counts the runners only: a syncer spinning next to one hung runner must not hide it.
                Watchdog.run("fsx-concurrent", FsxTest.STALL,
                        () -> runners.stream().mapToLong(FsxRunner::progress).sum(),
                        () -> runners.forEach(FsxRunner::requestStop), tasks);
            } catch (Watchdog.Hang h) {
                hung = true; // leave the file system alone: unmounting would hang as well
                throw h;
            }

            for (FsxRunner r : runners) {
                r.verifyAll("end of the concurrent run");
            }
            fs = target.remount(fs);
            for (FsxRunner r : runners) {
                r.reattach(fs);
                r.finish();
            }
            FsxStats total = new FsxStats();
            runners.forEach(r -> total.add(r.stats()));
            System.out.println("fsx concurrent (" + THREADS + " threads, " + syncs.get() + " syncs/listings): " + total);
            assertTrue(total.total > 5_000, "too few operations ran: " + total.total);
        } finally {
            if (!hung) {
                runners.forEach(FsxRunner::close);
                fs.close();
                target.close();
            }
        }
    }
}
