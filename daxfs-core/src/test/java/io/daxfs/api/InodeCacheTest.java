package io.daxfs.api;

import io.daxfs.fs.Volume;
import io.daxfs.types.DaxException;
import io.daxfs.types.FileStat;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inode cache keeps to its memory budget: clean, unused inodes (and the directory contents
 * they hold) are dropped and loaded again on the next lookup, with every attribute, name, byte
 * and extended attribute as it was; open files, dirty inodes and the root stay; changes made
 * while evictions run are never lost (a lost update would show after a remount).
 */
class InodeCacheTest {
    @TempDir
    Path tmp;

    private static final int DIRS = 20, FILES = 100;

    private static byte[] content(int d, int f) {
        return ("file " + d + "/" + f + " ").repeat(1 + (d * 7 + f) % 40).getBytes(StandardCharsets.UTF_8);
    }

    private static void write(DaxFileSystem fs, String path, byte[] data) throws DaxException {
        try (DaxFile f = fs.open(path, CREATE, WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            f.write(0, data, 0, data.length);
        }
    }

    private static byte[] read(DaxFileSystem fs, String path) throws DaxException {
        try (DaxFile f = fs.open(path, READ)) {
            byte[] b = new byte[(int) f.size()];
            f.read(0, b, 0, b.length);
            return b;
        }
    }

    private Path populated() throws DaxException {
        Path image = tmp.resolve("img");
        try (DaxFileSystem fs = DaxFileSystem.format(image, 64L << 20)) {
            for (int d = 0; d < DIRS; d++) {
                fs.mkdir("/d" + d);
                fs.setxattr("/d" + d, "user.dir", ("dir " + d).getBytes(StandardCharsets.UTF_8), 0);
                for (int f = 0; f < FILES; f++) {
                    String p = "/d" + d + "/f" + f;
                    write(fs, p, content(d, f));
                    fs.chmod(p, 0600 + f % 64);
                    if (f % 10 == 0) {
                        fs.setxattr(p, "user.n", new byte[]{(byte) d, (byte) f}, 0);
                    }
                }
            }
        }
        return image;
    }

    private static void verifyAll(DaxFileSystem fs) throws DaxException {
        for (int d = 0; d < DIRS; d++) {
            assertEquals("dir " + d, new String(fs.getxattr("/d" + d, "user.dir"), StandardCharsets.UTF_8));
            assertEquals(FILES, fs.readdir("/d" + d).size());
            for (int f = 0; f < FILES; f++) {
                String p = "/d" + d + "/f" + f;
                assertArrayEquals(content(d, f), read(fs, p), p);
                assertEquals(0600 + f % 64, fs.stat(p).mode() & 07777, p);
                if (f % 10 == 0) {
                    assertArrayEquals(new byte[]{(byte) d, (byte) f}, fs.getxattr(p, "user.n"), p);
                }
            }
        }
    }

    @Test
    void aSmallBudgetDropsCleanInodesWhichLoadAgainUnchanged() throws Exception {
        Path image = populated();
        try (DaxFileSystem fs = DaxFileSystem.mount(image, MountOptions.DEFAULT.withCacheBudget(256 << 10))) {
            Volume v = Internals.volume(fs);
            verifyAll(fs); // loads all 2,021 inodes
            int loaded = (int) v.cacheFigures()[0];
            assertTrue(loaded > DIRS * FILES, "cached " + loaded);
            fs.sync(); // reading set access times: dirty inodes stay until committed
            v.evictNow(Long.MAX_VALUE); // the first pass only clears referenced bits
            v.evictNow(Long.MAX_VALUE); // (the background evictor may have done some of it)
            long left = v.cacheFigures()[0];
            long evicted = v.cacheFigures()[1];
            assertTrue(evicted >= DIRS * FILES && left < 10, "evicted " + evicted + ", left " + left);
            verifyAll(fs); // everything loads again, as it was
            // Changes to reloaded inodes stick, across more evictions and a remount.
            fs.chmod("/d3/f7", 0644);
            write(fs, "/d4/f8", "rewritten".getBytes(StandardCharsets.UTF_8));
            fs.rename("/d5/f9", "/d6/moved");
            fs.setxattr("/d7", "user.more", new byte[5000], 0);
            fs.sync();
            v.evictNow(Long.MAX_VALUE);
            v.evictNow(Long.MAX_VALUE);
            assertEquals(0644, fs.stat("/d3/f7").mode() & 07777);
            assertEquals(5000, fs.getxattr("/d7", "user.more").length);
        }
        FsckReport r = DaxFileSystem.fsck(image, false, ProgressListener.NONE);
        assertTrue(r.clean(), r::toString);
        try (DaxFileSystem fs = DaxFileSystem.mount(image)) {
            assertEquals(0644, fs.stat("/d3/f7").mode() & 07777);
            assertArrayEquals("rewritten".getBytes(StandardCharsets.UTF_8), read(fs, "/d4/f8"));
            assertArrayEquals(content(5, 9), read(fs, "/d6/moved"));
            assertEquals(false, fs.exists("/d5/f9"));
        }
    }

    @Test
    void openDirtyAndRootInodesStay() throws Exception {
        Path image = populated();
        try (DaxFileSystem fs = DaxFileSystem.mount(image, MountOptions.DEFAULT.withCacheBudget(64 << 10)
                .withCommitIntervalMs(0))) {
            Volume v = Internals.volume(fs);
            long openIno = fs.stat("/d1/f1").ino();
            try (DaxFile open = fs.open("/d1/f1", READ, WRITE)) {
                fs.chmod("/d2/f2", 0640); // dirty until the next commit (no commit timer)
                v.evictNow(Long.MAX_VALUE);
                v.evictNow(Long.MAX_VALUE);
                // The open file's object is the one the handle uses: a write through it must be
                // what a lookup sees, which it would not be if a second object had been loaded.
                open.write(0, "X".getBytes(StandardCharsets.UTF_8), 0, 1);
                fs.chmod("/d1/f1", 0604);
                assertEquals(0604, open.stat().mode() & 07777);
                assertEquals(openIno, open.stat().ino());
                assertEquals('X', read(fs, "/d1/f1")[0]);
                assertEquals(0640, fs.stat("/d2/f2").mode() & 07777);
            }
            fs.sync();
        }
        try (DaxFileSystem fs = DaxFileSystem.mount(image)) {
            assertEquals(0640, fs.stat("/d2/f2").mode() & 07777, "the dirty inode was not dropped before its commit");
            assertEquals(0604, fs.stat("/d1/f1").mode() & 07777);
        }
    }

    /**
     * Threads change a shared tree (chmod, xattrs, create, unlink, rename) while another evicts
     * in a loop with a tiny budget. A change applied to an object the cache had already dropped
     * would be lost: the final state, after a remount, must be exactly the model's.
     */
    @Test
    void changesRacingEvictionsAreNeverLost() throws Exception {
        Path image = tmp.resolve("img");
        DaxFileSystem.format(image, 64L << 20).close();
        Map<String, Integer> modes = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (DaxFileSystem fs = DaxFileSystem.mount(image, MountOptions.DEFAULT.withCacheBudget(16 << 10))) {
            Volume v = Internals.volume(fs);
            int threads = 3;
            for (int t = 0; t < threads; t++) {
                fs.mkdir("/t" + t);
            }
            AtomicBoolean stop = new AtomicBoolean();
            Thread evictor = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    v.evictNow(Long.MAX_VALUE);
                }
            });
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom rnd = new SplittableRandom(1000 + id);
                    Map<String, Integer> mine = new HashMap<>();
                    try {
                        // At least 3000 operations each, and more until the evictor has dropped
                        // over 100 inodes (its rate depends on scheduling; the count is what makes
                        // the test mean something), at most 30000.
                        for (int i = 0; i < 3000 || i < 30000 && v.cacheFigures()[1] <= 100; i++) {
                            String p = "/t" + id + "/f" + rnd.nextInt(40);
                            int op = rnd.nextInt(10);
                            if (!mine.containsKey(p)) {
                                fs.open(p, CREATE, WRITE).close();
                                fs.chmod(p, 0600);
                                mine.put(p, 0600);
                            } else if (op < 5) {
                                int mode = 0400 | rnd.nextInt(0100);
                                fs.chmod(p, mode);
                                mine.put(p, mode);
                            } else if (op < 7) {
                                fs.setxattr(p, "user.m", Integer.toString(mine.get(p)).getBytes(StandardCharsets.UTF_8), 0);
                            } else if (op < 8) {
                                fs.unlink(p);
                                mine.remove(p);
                            } else {
                                String to = "/t" + id + "/f" + rnd.nextInt(40);
                                if (!to.equals(p)) {
                                    fs.rename(p, to);
                                    mine.put(to, mine.remove(p));
                                }
                            }
                            FileStat st = fs.stat("/t" + id);
                            assertEquals(2, st.nlink());
                        }
                        modes.putAll(mine);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            stop.set(true);
            evictor.join();
            if (failure.get() != null) {
                throw new AssertionError("a worker failed", failure.get());
            }
            assertTrue(v.cacheFigures()[1] > 100, "evictions: " + v.cacheFigures()[1]);
            for (Map.Entry<String, Integer> e : modes.entrySet()) {
                assertEquals(e.getValue(), fs.stat(e.getKey()).mode() & 07777, e.getKey());
            }
        }
        assertTrue(DaxFileSystem.fsck(image, false, ProgressListener.NONE).clean());
        try (DaxFileSystem fs = DaxFileSystem.mount(image)) {
            int files = 0;
            for (int t = 0; t < 3; t++) {
                files += fs.readdir("/t" + t).size();
            }
            assertEquals(modes.size(), files, "exactly the model's names");
            for (Map.Entry<String, Integer> e : modes.entrySet()) {
                assertEquals(e.getValue(), fs.stat(e.getKey()).mode() & 07777, e.getKey() + " after a remount");
            }
        }
    }

    @Test
    void aBudgetIsPositiveOrZeroForTheDefault() {
        assertEquals(MountOptions.defaultCacheBudget(), MountOptions.DEFAULT.effectiveCacheBudget());
        assertEquals(1234, MountOptions.DEFAULT.withCacheBudget(1234).effectiveCacheBudget());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MountOptions.DEFAULT.withCacheBudget(-1));
    }
}
