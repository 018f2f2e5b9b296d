package io.daxfs.cli.mount;

import io.daxfs.types.FsckReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * kill -9 of the mount server in the middle of a write-heavy workload (threads of this JVM
 * writing, creating, renaming, unlinking and fsyncing files through the mount), then: fsck of
 * the image is clean, and after a remount every file fsynced (and not unlinked since) is there
 * under its name at its last completed fsync (or a later one), every byte it had at that fsync
 * is there, and no byte holds anything but its fsynced value or a value a later write put there.
 *
 * <p>Every write's bytes are a function of a unique write number and the position, so a byte is
 * checked against exactly the writes that could have left it there. Seeded: the seed is printed;
 * rerun with {@code -Ddaxfs.fuse.seed=SEED} (the rounds use SEED, SEED+1, ...).
 */
class MountCrashSpec {
    private static final int THREADS = 3;
    private static final int LIVE = 4;
    private static final int SPAN = 1 << 20;
    private static final int MAX_WRITE = 32 << 10;

    @TempDir
    Path tmp;

    /** One file ever created: what it held at its last completed fsync, and what was attempted since. */
    private static final class Rec {
        final String firstName;
        final List<String> allNames = new ArrayList<>();
        /** Names it may have after a crash now: its name at the last completed fsync and any taken since. */
        final Set<String> candidates = new LinkedHashSet<>();
        String name;
        boolean synced;
        boolean maybeGone;
        final byte[] cur = new byte[SPAN + MAX_WRITE];
        long curSize;
        byte[] durable = new byte[0];
        /** {writeId, off, len} of the writes issued since the last completed fsync. */
        final List<long[]> since = new ArrayList<>();
        long fsyncs;
        FileChannel ch;

        Rec(String name) {
            this.firstName = name;
            this.name = name;
            allNames.add(name);
            candidates.add(name);
        }
    }

    /** The byte a write puts at a position: distinct writes disagree at almost every byte. */
    static byte pattern(long writeId, long pos) {
        long h = writeId * 0x9E3779B97F4A7C15L + pos * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return (byte) (h | 1); // never 0, so a lost write is never mistaken for a hole
    }

    @Test
    void killNineDuringWritesLosesNothingThatWasFsynced() throws Exception {
        String s = System.getProperty("daxfs.fuse.seed", "");
        long seed = s.isBlank() ? new SplittableRandom().nextLong() : Long.decode(s.trim());
        int rounds = Integer.getInteger("daxfs.fuse.crash.rounds", Boolean.getBoolean("daxfs.test.long") ? 10 : 3);
        System.out.println("MountCrashSpec: seed=" + seed + " rounds=" + rounds
                + " (rerun with -Ddaxfs.fuse.seed=" + seed + ")");
        for (int round = 0; round < rounds; round++) {
            crashRound(round, seed + round);
        }
    }

    private void crashRound(int round, long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        String where = "round " + round + " (seed " + seed + ")";
        Path base = IntegrityFalloc.fastDir(tmp.resolve("r" + round));
        AtomicLong writeIds = new AtomicLong();
        List<Rec> recs = new CopyOnWriteArrayList<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        long[] stats = new long[4];
        try (FuseMount m = FuseMount.create(base.resolve("fs"), "256M")) {
            Thread[] threads = new Thread[THREADS];
            boolean[] killed = {false};
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                long threadSeed = rnd.nextLong();
                threads[t] = Thread.ofPlatform().name("crash-writer-" + t).start(() -> {
                    try {
                        workload(m, id, new SplittableRandom(threadSeed), writeIds, recs, killed);
                    } catch (Throwable e) {
                        synchronized (killed) {
                            if (!killed[0]) {
                                errors.add(e);
                            }
                        }
                    }
                });
            }
            long delay = 1000 + rnd.nextInt(2000);
            Thread.sleep(delay);
            synchronized (killed) {
                killed[0] = true;
            }
            m.kill9();
            for (Thread t : threads) {
                t.join(60_000);
                assertTrue(!t.isAlive(), () -> t.getName() + " hangs after the kill (" + where + ")");
            }
            if (!errors.isEmpty()) {
                AssertionError e = new AssertionError("the workload failed before the kill in " + where);
                errors.forEach(e::addSuppressed);
                throw e;
            }
            for (Rec r : recs) {
                stats[0] += r.fsyncs;
                if (r.ch != null) {
                    try {
                        r.ch.close();
                    } catch (IOException ignored) {
                        // the mount is gone
                    }
                }
            }
            stats[1] = writeIds.get();
            assertTrue(stats[0] > 0, "no fsync completed before the kill: nothing was checked (" + where + ")");

            FsckReport report = m.fsck();
            assertTrue(report.clean(), () -> "fsck after kill -9 in " + where + ": " + report);
            m.remount();
            verify(m, recs, where, stats);
            m.unmount();
            FsckReport after = m.fsck();
            assertTrue(after.clean(), () -> "fsck after the remount in " + where + ": " + after);
        } finally {
            IntegrityFalloc.deleteFastDir(base, tmp.resolve("r" + round));
        }
        System.out.printf("MountCrashSpec: %s: %d writes, %d completed fsyncs, %d files (%d bytes fsynced) checked%n",
                where, stats[1], stats[0], stats[2], stats[3]);
    }

    private void workload(FuseMount m, int id, SplittableRandom rnd, AtomicLong writeIds, List<Rec> recs,
                          boolean[] killed) throws IOException {
        List<Rec> live = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocateDirect(MAX_WRITE);
        int created = 0;
        while (true) {
            synchronized (killed) {
                if (killed[0]) {
                    return;
                }
            }
            int r = rnd.nextInt(100);
            if (live.isEmpty() || (r < 10 && live.size() < LIVE)) {
                Rec f = new Rec("t" + id + "-" + created++);
                recs.add(f); // before the create: after a crash it may or may not be there
                f.ch = FileChannel.open(m.path(f.name), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                live.add(f);
                continue;
            }
            Rec f = live.get(rnd.nextInt(live.size()));
            if (r < 62 || r >= 88) {
                long w = writeIds.incrementAndGet();
                int len = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(MAX_WRITE) : 1 + rnd.nextInt(4096);
                long off = r >= 88 ? f.curSize : rnd.nextInt(4) == 0 ? rnd.nextLong(SPAN) & ~4095L : rnd.nextLong(SPAN);
                if (off + len > f.cur.length) {
                    off = rnd.nextLong(SPAN);
                }
                buf.clear().limit(len);
                for (int k = 0; k < len; k++) {
                    buf.put(k, pattern(w, off + k));
                }
                f.since.add(new long[] {w, off, len}); // before the write: it may be partly there after a crash
                long pos = off;
                while (buf.hasRemaining()) {
                    pos += f.ch.write(buf, pos);
                }
                for (int k = 0; k < len; k++) {
                    f.cur[(int) (off + k)] = pattern(w, off + k);
                }
                f.curSize = Math.max(f.curSize, off + len);
            } else if (r < 78) {
                f.ch.force(true);
                f.durable = Arrays.copyOf(f.cur, (int) f.curSize);
                f.since.clear();
                f.synced = true;
                f.candidates.clear();
                f.candidates.add(f.name);
                f.fsyncs++;
            } else if (r < 84) {
                String to = "t" + id + "-" + created++ + "-renamed";
                f.allNames.add(to);
                f.candidates.add(to);
                Files.move(m.path(f.name), m.path(to), StandardCopyOption.ATOMIC_MOVE);
                f.name = to;
            } else if (live.size() > 1) {
                f.maybeGone = true;
                live.remove(f);
                f.ch.close();
                f.ch = null;
                Files.delete(m.path(f.name));
            }
        }
    }

    private void verify(FuseMount m, List<Rec> recs, String where, long[] stats) throws IOException {
        Map<String, Rec> byName = new HashMap<>();
        for (Rec r : recs) {
            for (String n : r.allNames) {
                byName.put(n, r);
            }
        }
        Set<String> present = new LinkedHashSet<>();
        try (Stream<Path> list = Files.list(m.mnt)) {
            list.forEach(p -> present.add(p.getFileName().toString()));
        }
        for (String n : present) {
            if (!byName.containsKey(n)) {
                fail("after the crash in " + where + " there is a file nobody created: " + n + "; all: " + present);
            }
        }
        for (Rec r : recs) {
            List<String> there = r.allNames.stream().filter(present::contains).toList();
            if (there.size() > 1) {
                fail(where + ": file " + r.firstName + " is there under " + there + " at once");
            }
            if (r.synced && !r.maybeGone && there.isEmpty()) {
                fail(where + ": file " + r.firstName + " was fsynced as " + r.candidates.iterator().next()
                        + " (" + r.durable.length + " bytes) but is gone after the crash; names since: " + r.candidates);
            }
            if (there.isEmpty()) {
                continue;
            }
            String name = there.get(0);
            if (!r.candidates.contains(name)) {
                fail(where + ": file " + r.firstName + " is there as " + name + " but it was fsynced under "
                        + r.candidates.iterator().next() + " later (names since the fsync: " + r.candidates + ")");
            }
            byte[] actual = Files.readAllBytes(m.path(name));
            checkContent(r, name, actual, where);
            stats[2]++;
            stats[3] += r.durable.length;
        }
    }

    private static void checkContent(Rec r, String name, byte[] actual, String where) {
        long maxEnd = r.durable.length;
        for (long[] w : r.since) {
            maxEnd = Math.max(maxEnd, w[1] + w[2]);
        }
        if (actual.length < r.durable.length || actual.length > maxEnd) {
            fail(where + ": " + name + " has " + actual.length + " bytes; fsynced " + r.durable.length
                    + ", at most " + maxEnd + " were ever written");
        }
        for (int i = 0; i < actual.length; i++) {
            byte base = i < r.durable.length ? r.durable[i] : 0;
            if (actual[i] == base) {
                continue;
            }
            boolean ok = false;
            for (long[] w : r.since) {
                if (i >= w[1] && i < w[1] + w[2] && actual[i] == pattern(w[0], i)) {
                    ok = true;
                    break;
                }
            }
            if (!ok) {
                int from = Math.max(0, i - 16);
                int to = Math.min(actual.length, i + 32);
                HexFormat hex = HexFormat.ofDelimiter(" ");
                byte[] expected = new byte[to - from];
                for (int k = from; k < to; k++) {
                    expected[k - from] = k < r.durable.length ? r.durable[k] : 0;
                }
                fail(where + ": " + name + " byte " + i + " is 0x" + String.format("%02x", actual[i])
                        + ": neither its fsynced value 0x" + String.format("%02x", base) + " nor any of the "
                        + r.since.size() + " writes since (fsynced size " + r.durable.length + ", size now "
                        + actual.length + ")\n  bytes " + from + ".." + to
                        + "\n  got     " + hex.formatHex(actual, from, to)
                        + "\n  fsynced " + hex.formatHex(expected));
            }
        }
    }
}
