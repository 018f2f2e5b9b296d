package io.daxfs.fs;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The on-device directory index: lookups find every name without reading the directory, the
 * tree stays exact through splits at every level and through removals and renames, readers
 * racing splits never miss a name that is not changing, and fsck agrees with what the file
 * system wrote. Most tests cap index nodes at a few keys ({@code daxfs.test.dirIndexFill}) so a
 * few hundred names build trees several levels deep.
 */
class DirectoryIndexTest {
    @TempDir
    Path dir;

    Path image;
    DaxFileSystem fs;

    @BeforeEach
    void format() throws Exception {
        image = dir.resolve("fs.img");
        fs = DaxFileSystem.format(image, 128L << 20);
    }

    @AfterEach
    void close() throws Exception {
        System.clearProperty("daxfs.test.dirIndexFill");
        if (fs != null) {
            fs.close();
        }
    }

    void remount() throws DaxException {
        if (fs != null) {
            fs.close();
            fs = null;
        }
        FsckReport r = DaxFileSystem.fsck(image, false, ProgressListener.NONE);
        assertTrue(r.clean(), () -> "fsck: " + r.problems());
        fs = DaxFileSystem.mount(image);
    }

    void touch(String path) throws DaxException {
        fs.open(path, CREATE_NEW, WRITE).close();
    }

    Directory entries(String path) throws DaxException {
        Volume v = Internals.volume(fs);
        return v.lookup.dirOf(v.lookup.resolve(path, true));
    }

    /** Names of every length from 1 to 255 bytes, some not UTF-8. */
    static String name(int i) {
        String base = "f" + i + "_";
        String n = base + "x".repeat((i * 37) % (250 - base.length()));
        return i % 7 == 0 ? n + io.daxfs.types.FileNames.fromBytes(new byte[]{(byte) 0xff, (byte) 0xfe}) : n;
    }

    @Test
    void aBigDirectoryIsSearchedThroughItsIndexAfterARemountWithoutBeingRead() throws Exception {
        int n = 6000;
        fs.mkdir("/big");
        for (int i = 0; i < n; i++) {
            touch("/big/" + name(i));
        }
        remount();
        assertEquals(1, fs.stat("/big/" + name(4321)).nlink());
        Directory d = entries("/big");
        // Opening it read its block map and block 0, not its entries: nothing of them is on the heap.
        assertTrue(d.estimatedBytes() < 64 << 10, "opened directory holds " + d.estimatedBytes() + " bytes");
        for (int i = 0; i < n; i++) {
            assertEquals(1, fs.stat("/big/" + name(i)).nlink());
        }
        DaxException e = assertThrowsErrno(Errno.ENOENT, () -> fs.stat("/big/" + name(n)));
        assertTrue(e.getMessage().contains("no such file"));
        Set<String> listed = new HashSet<>();
        for (DirEntry x : fs.readdir("/big")) {
            assertTrue(listed.add(x.name()), "listed twice: " + x.name());
        }
        assertEquals(n, listed.size());
        // Lookups keep at most a bounded cache of names: nothing else of the entries.
        assertTrue(d.nameCacheBytesForTests() <= 32 + 124L * NameCache.MAX_SLOTS, "name cache: " + d.nameCacheBytesForTests());
        assertTrue(d.estimatedBytes() - d.nameCacheBytesForTests() < 64 << 10,
                "lookups and a listing keep nothing but the name cache: " + d.estimatedBytes());
        // Removing them all keeps only the blocks changed since the last commits, not one image per block touched.
        for (int i = 0; i < n; i++) {
            fs.unlink("/big/" + name(i));
            if (i % 1000 == 999) {
                fs.sync();
            }
        }
        assertTrue(d.estimatedBytes() < 4 << 20, "images after removing everything: " + d.estimatedBytes());
        fs.rmdir("/big");
    }

    @Test
    void smallNodesStayExactThroughRandomCreatesRemovesAndRenames() throws Exception {
        System.setProperty("daxfs.test.dirIndexFill", "3");
        remount(); // directories opened from here on use nodes of three keys
        Random rnd = new Random(20261202L);
        String[] dirs = {"/a", "/b", "/a/c"};
        Map<String, Set<String>> model = new HashMap<>();
        for (String d : dirs) {
            fs.mkdir(d);
            model.put(d, new HashSet<>());
        }
        model.get("/a").add("c");
        for (int op = 0; op < 3000; op++) {
            String d = dirs[rnd.nextInt(dirs.length)];
            Set<String> names = model.get(d);
            int kind = rnd.nextInt(10);
            List<String> files = new ArrayList<>(names);
            files.remove("c");
            if (kind < 6 || files.isEmpty()) {
                String nm = name(rnd.nextInt(1500));
                if (names.add(nm)) {
                    touch(d + "/" + nm);
                }
            } else if (kind < 8) {
                String victim = files.get(rnd.nextInt(files.size()));
                fs.unlink(d + "/" + victim);
                names.remove(victim);
            } else {
                String from = files.get(rnd.nextInt(files.size()));
                String toDir = dirs[rnd.nextInt(dirs.length)];
                String to = name(rnd.nextInt(1500));
                if (!model.get(toDir).contains(to)) {
                    fs.rename(d + "/" + from, toDir + "/" + to);
                    names.remove(from);
                    model.get(toDir).add(to);
                }
            }
            if (op % 500 == 499) {
                checkAgainst(model, rnd);
                remount();
                checkAgainst(model, rnd);
            }
        }
        assertTrue(entries("/a").depthForTests() >= 3, "the tree grew several levels");
    }

    void checkAgainst(Map<String, Set<String>> model, Random rnd) throws DaxException {
        for (Map.Entry<String, Set<String>> e : model.entrySet()) {
            Set<String> listed = new HashSet<>();
            for (DirEntry x : fs.readdir(e.getKey())) {
                assertTrue(listed.add(x.name()));
            }
            assertEquals(e.getValue(), listed, "listing of " + e.getKey());
            for (String nm : e.getValue()) {
                fs.lstat(e.getKey() + "/" + nm);
            }
            for (int i = 0; i < 50; i++) {
                String absent = name(1500 + rnd.nextInt(1000));
                assertThrowsErrno(Errno.ENOENT, () -> fs.lstat(e.getKey() + "/" + absent));
            }
        }
    }

    @Test
    void lookupsRacingSplitsNeverMissANameThatIsNotChanging() throws Exception {
        System.setProperty("daxfs.test.dirIndexFill", "4");
        remount();
        fs.mkdir("/d");
        List<String> stable = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            stable.add("stable" + i);
            touch("/d/stable" + i);
        }
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                go.await();
                for (int i = 0; i < 4000; i++) {
                    touch("/d/churn" + i);
                    if (i % 3 == 2) {
                        fs.unlink("/d/churn" + (i - 2));
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            int seed = r;
            readers.add(new Thread(() -> {
                Random rnd = new Random(seed);
                try {
                    go.await();
                    while (writer.isAlive()) {
                        String nm = stable.get(rnd.nextInt(stable.size()));
                        fs.lstat("/d/" + nm);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        writer.start();
        readers.forEach(Thread::start);
        go.countDown();
        writer.join();
        for (Thread t : readers) {
            t.join();
        }
        assertNull(failure.get(), () -> "a racing lookup failed: " + failure.get());
        remount();
        for (String nm : stable) {
            fs.lstat("/d/" + nm);
        }
    }

    /**
     * RACES R26, forced: a lookup has descended to the root leaf of three keys when a create
     * splits that leaf, moving the looked-up key to a new sibling. The lookup then reads a leaf
     * without its key; it must see that its stamp is no longer valid and search again.
     */
    @Test
    void aLookupThatReadsALeafBeingSplitSearchesAgain() throws Exception {
        System.setProperty("daxfs.test.dirIndexFill", "3");
        remount();
        fs.mkdir("/d");
        Volume v = Internals.volume(fs);
        String sought = null;
        for (String nm : List.of("a", "b", "c")) {
            touch("/d/" + nm);
            int h = io.daxfs.media.DirIndexNode.hash(v.dirHashSeed(), io.daxfs.types.FileNames.toBytes(nm));
            if (sought == null || Integer.compareUnsigned(h, io.daxfs.media.DirIndexNode.hash(v.dirHashSeed(),
                    io.daxfs.types.FileNames.toBytes(sought))) > 0) {
                sought = nm; // the highest key moves to the new sibling
            }
        }
        assertEquals(1, entries("/d").depthForTests(), "one full leaf as the root");
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch splitDone = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean();
        long d = fs.stat("/d").ino();
        v.hooks(new FsHooks() {
            @Override
            public void directoryLeafReached(long dirIno) {
                if (dirIno == d && first.compareAndSet(false, true)) {
                    reached.countDown();
                    try {
                        splitDone.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        String path = "/d/" + sought;
        Thread reader = new Thread(() -> {
            try {
                fs.lstat(path);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        reached.await();
        touch("/d/d4");
        assertEquals(2, entries("/d").depthForTests(), "the create split the root leaf");
        splitDone.countDown();
        reader.join();
        v.hooks(FsHooks.NONE);
        assertNull(failure.get(), () -> "the lookup of " + path + " failed: " + failure.get());
    }

    /**
     * RACES R31, forced: a lookup has found a name in the directory's blocks and not yet cached
     * it when a rename moves the name away and a create gives it to another file. The cache must
     * not keep what the lookup found: later lookups see the new file.
     */
    @Test
    void aLookupThatFoundANameJustBeforeItWasRenamedAwayDoesNotCacheIt() throws Exception {
        remount();
        fs.mkdir("/d");
        touch("/d/x"); // created, never looked up: the name cache does not hold it
        Volume v = Internals.volume(fs);
        long d = fs.stat("/d").ino();
        CountDownLatch found = new CountDownLatch(1);
        CountDownLatch changed = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean();
        v.hooks(new FsHooks() {
            @Override
            public void directoryNameFound(long dirIno) {
                if (dirIno == d && first.compareAndSet(false, true)) {
                    found.countDown();
                    try {
                        changed.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Long> readerSaw = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                readerSaw.set(fs.lstat("/d/x").ino());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        found.await(); // the reader found /d/x and has not cached it yet
        fs.rename("/d/x", "/d/u");
        touch("/d/x");
        changed.countDown();
        reader.join();
        v.hooks(FsHooks.NONE);
        assertNull(failure.get(), () -> "the racing lookup failed: " + failure.get());
        long moved = fs.lstat("/d/u").ino();
        assertEquals(moved, readerSaw.get(), "the racing lookup answers what it found");
        assertNotEquals(moved, fs.lstat("/d/x").ino(), "later lookups see the new file, not what the racing lookup found");
    }

    /**
     * Two names whose hashes collide, split across two leaves (the first leaf ends with one, the
     * next begins with the other): a lookup of the second reads past the end of the first leaf.
     */
    @Test
    void namesWithTheSameHashAreFoundAcrossALeafBoundary() throws Exception {
        System.setProperty("daxfs.test.dirIndexFill", "3");
        remount();
        long seed = Internals.volume(fs).dirHashSeed();
        Map<Integer, String> seen = new HashMap<>();
        String first = null;
        String second = null;
        for (int i = 0; second == null; i++) {
            String nm = "c" + i;
            String other = seen.putIfAbsent(hash(seed, nm), nm);
            if (other != null) {
                first = other;
                second = nm;
            }
        }
        int h = hash(seed, first);
        List<String> above = new ArrayList<>();
        for (int i = 0; above.size() < 2; i++) {
            if (Integer.compareUnsigned(hash(seed, "g" + i), h) > 0) {
                above.add("g" + i);
            }
        }
        fs.mkdir("/d");
        touch("/d/" + first);
        touch("/d/" + second);
        touch("/d/" + above.get(0)); // the root leaf is full: [first, second, g]
        touch("/d/" + above.get(1)); // it splits into [first] and [second, g, g']
        assertEquals(2, entries("/d").depthForTests());
        fs.lstat("/d/" + first);
        fs.lstat("/d/" + second);
        String gone = "/d/" + second;
        fs.unlink(gone);
        assertThrowsErrno(Errno.ENOENT, () -> fs.lstat(gone));
        fs.lstat("/d/" + first);
        remount();
        assertEquals(3, fs.readdir("/d").size());
    }

    static int hash(long seed, String name) throws DaxException {
        return io.daxfs.media.DirIndexNode.hash(seed, io.daxfs.types.FileNames.toBytes(name));
    }

    /**
     * A version 4 image has no directory index: its directories are read block by block, and one
     * gets its index when it next grows by a block (it has at most 64).
     */
    @Test
    void anUnindexedDirectoryOfAnOlderImageIsReadAndIndexedWhenItGrows() throws Exception {
        System.setProperty("daxfs.test.dirIndexFill", "-1");
        remount();
        fs.mkdir("/old");
        int n = 0;
        while (Internals.volume(fs).lookup.resolve("/old", true).size < 4L * 4096) {
            touch("/old/" + name(n++));
        }
        assertEquals(0, entries("/old").depthForTests(), "written without an index");
        fs.close();
        fs = null;
        setVersion(4);
        System.clearProperty("daxfs.test.dirIndexFill");
        remount();
        for (int i = 0; i < n; i++) {
            fs.lstat("/old/" + name(i));
        }
        assertThrowsErrno(Errno.ENOENT, () -> fs.lstat("/old/" + name(99_999)));
        assertEquals(0, entries("/old").depthForTests());
        long size = fs.stat("/old").size();
        while (fs.stat("/old").size() == size) {
            touch("/old/" + name(n++));
        }
        assertEquals(1, entries("/old").depthForTests(), "indexed on its new block");
        remount();
        assertEquals(n, fs.readdir("/old").size());
        for (int i = 0; i < n; i++) {
            fs.lstat("/old/" + name(i));
        }
        assertEquals(io.daxfs.media.Superblock.VERSION, versionOnDevice(), "a read-write mount upgraded the image");
    }

    void setVersion(int version) throws Exception {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment seg = ch.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, 2 * 4096, arena);
            for (int slot = 0; slot < 2; slot++) {
                java.lang.foreign.MemorySegment sb = seg.asSlice(slot * 4096L, 4096);
                io.daxfs.media.Le.putInt(sb, 8, version);
                io.daxfs.media.Le.putInt(sb, 4092, io.daxfs.media.Crc.of(sb, 0, 4092));
            }
        }
    }

    int versionOnDevice() throws Exception {
        fs.close();
        fs = null;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(image)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096 * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            int a = b.getInt(8);
            int bb = b.getInt(4096 + 8);
            return Math.max(a, bb);
        }
    }

    /** RACES R27: a directory is marked gone before its blocks are freed, so a stale reference reads none of them. */
    @Test
    void aRemovedDirectoryAnswersNothingFromBlocksThatWereFreed() throws Exception {
        fs.mkdir("/gone");
        for (int i = 0; i < 400; i++) {
            touch("/gone/" + name(i));
        }
        Directory d = entries("/gone");
        assertNotEquals(null, d.lookup(name(7)));
        for (int i = 0; i < 400; i++) {
            fs.unlink("/gone/" + name(i));
        }
        fs.rmdir("/gone");
        fs.sync();
        Internals.volume(fs).journal().checkpoint();
        // Its blocks are free and may hold anything now: a lookup through a stale handle to it answers nothing.
        assertNull(d.lookup(name(7)));
        assertEquals(List.of(), d.list(0, 10));
    }

    static DaxException assertThrowsErrno(Errno errno, org.junit.jupiter.api.function.Executable op) {
        DaxException e = org.junit.jupiter.api.Assertions.assertThrows(DaxException.class, op);
        assertEquals(errno, e.errno(), e.getMessage());
        return e;
    }
}
