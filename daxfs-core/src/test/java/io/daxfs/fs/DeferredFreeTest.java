package io.daxfs.fs;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxInodes;
import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsStat;
import io.daxfs.types.SetAttr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.daxfs.api.DaxInodes.ROOT;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deferred frees: a block or an inode number freed by a transaction is counted free by statfs,
 * and handed out again, only once that transaction is checkpointed, since until then a replay
 * of the journal may bring back metadata that points to it (see the journal and allocator
 * classes). The API has no call for a checkpoint (unmount takes one, and so do a journal past
 * half full and an allocation that would otherwise fail), so these tests take it through the
 * internals ({@link VolumeFixture#checkpoint()}) and check the counts and numbers afterwards.
 *
 * <p>Each nested class holds the tests of the API specification of the same name that need a
 * checkpoint, whole; the specification keeps what they check through the public API alone.
 */
class DeferredFreeTest extends VolumeFixture {
    /** From StatfsSpec: the free counts statfs reports. */
    @Nested
    class Statfs {
        @Test
        void creatingAndRemovingMovesTheFreeInodes() throws Exception {
            long inodes = freeInodes();
            fs.open("/f", CREATE_NEW, WRITE).close();
            fs.mkdir("/d");
            fs.symlink("/f", "/l");
            assertEquals(inodes - 3, freeInodes());
            fs.link("/f", "/g");
            assertEquals(inodes - 3, freeInodes(), "a hard link is no new inode");
            fs.unlink("/f");
            fs.unlink("/g");
            fs.rmdir("/d");
            fs.unlink("/l");
            checkpoint();
            assertEquals(inodes, freeInodes());
        }

        @Test
        void writingAndTruncatingMovesTheFreeBlocksByExactlyTheBlocksUsed() throws Exception {
            try (DaxFile f = fs.open("/f", CREATE, WRITE)) {
                long free = freeBlocks();
                write(f, 0, new byte[10 * BLOCK]);
                assertEquals(free - 10, freeBlocks());
                write(f, 100L * BLOCK, new byte[1]);
                assertEquals(free - 11, freeBlocks(), "a hole costs nothing");
                f.truncate(5 * BLOCK);
                checkpoint();
                assertEquals(free - 5, freeBlocks());
                f.truncate(0);
                checkpoint();
                assertEquals(free, freeBlocks());
            }
        }

        @Test
        void runningOutOfInodesIsENOSPCAndFreeingOneHelps() throws Exception {
            fs.close();
            fs = DaxFileSystem.formatMemory(8L << 20, FormatOptions.DEFAULT.withInodes(64));
            long free = freeInodes();
            List<String> made = new ArrayList<>();
            DaxException full = null;
            for (int i = 0; i < 1000 && full == null; i++) {
                try {
                    fs.open("/f" + i, CREATE_NEW, WRITE).close();
                    made.add("/f" + i);
                } catch (DaxException e) {
                    full = e;
                }
            }
            assertTrue(full != null, "inodes ran out");
            assertEquals(Errno.ENOSPC, full.errno());
            assertEquals(free, made.size(), "every free inode was usable");
            assertEquals(0, freeInodes());
            fails(Errno.ENOSPC, () -> fs.mkdir("/d"));
            fails(Errno.ENOSPC, () -> fs.symlink("/x", "/l"));
            assertEquals(made.size(), fs.readdir("/").size(), "failed creates leave no entry");
            fs.unlink(made.getFirst());
            checkpoint();
            fs.mkdir("/d");
            assertEquals(0, freeInodes());
        }

        @Test
        void freeCountsSurviveARemount(@TempDir Path dir) throws Exception {
            Path image = dir.resolve("fs.img");
            FsStat before;
            try (DaxFileSystem a = DaxFileSystem.format(image, 32L << 20)) {
                a.mkdir("/d");
                try (DaxFile f = a.open("/d/f", CREATE, WRITE)) {
                    write(f, 0, new byte[123 * BLOCK]);
                }
                a.open("/d/g", CREATE, WRITE).close();
                a.unlink("/d/g");
                a.sync();
                Internals.volume(a).journal().checkpoint();
                before = a.statfs();
            }
            try (DaxFileSystem b = DaxFileSystem.mount(image)) {
                assertEquals(before, b.statfs());
            }
        }
    }

    /** From UnlinkSpec: space and inode come back when the last name and the last handle are gone. */
    @Nested
    class Unlink {
        long baseBlocks;
        long baseInodes;

        @BeforeEach
        void baseline() throws Exception {
            // The root directory gets its first block with its first entry; it keeps it afterwards.
            fs.open("/placeholder", CREATE_NEW, WRITE).close();
            checkpoint();
            baseBlocks = freeBlocks();
            baseInodes = freeInodes();
        }

        void assertAllSpaceFree() throws DaxException {
            checkpoint();
            assertEquals(baseBlocks, freeBlocks(), "free blocks back to the baseline");
            assertEquals(baseInodes, freeInodes(), "free inodes back to the baseline");
        }

        @Test
        void unlinkRemovesTheNameAndFreesTheFile() throws Exception {
            writeFile("/f", pattern(300_000, 1));
            assertTrue(freeBlocks() < baseBlocks);
            fs.unlink("/f");
            assertFalse(fs.exists("/f"));
            fails(Errno.ENOENT, () -> fs.stat("/f"));
            fails(Errno.ENOENT, () -> fs.open("/f"));
            assertAllSpaceFree();
        }

        @Test
        void aNewFileCanTakeTheNameAtOnce() throws Exception {
            writeFile("/f", utf8("old"));
            fs.unlink("/f");
            writeFile("/f", utf8("new"));
            assertArrayEquals(utf8("new"), readFile("/f"));
            assertEquals(1, fs.stat("/f").nlink());
            fs.unlink("/f");
            assertAllSpaceFree();
        }

        @Test
        void anOpenFileStaysReadableAndWritableAfterUnlink() throws Exception {
            byte[] data = pattern(200_000, 2);
            try (DaxFile f = fs.open("/f", CREATE, READ, WRITE)) {
                write(f, 0, data);
                fs.unlink("/f");
                assertFalse(fs.exists("/f"));
                assertEquals(0, f.stat().nlink());
                assertArrayEquals(data, readAll(f));

                byte[] more = pattern(500_000, 3);
                write(f, data.length, more);
                f.truncate(data.length + more.length + 10);
                f.punchHole(0, BLOCK);
                f.fsync();
                byte[] all = readAll(f);
                assertArrayEquals(new byte[BLOCK], Arrays.copyOf(all, BLOCK));
                assertArrayEquals(Arrays.copyOfRange(data, BLOCK, data.length), Arrays.copyOfRange(all, BLOCK, data.length));
                assertArrayEquals(more, Arrays.copyOfRange(all, data.length, data.length + more.length));
                checkpoint();
                assertTrue(freeBlocks() < baseBlocks, "still allocated while open");
                assertEquals(baseInodes - 1, freeInodes(), "the inode is still in use");
            }
            assertAllSpaceFree();
        }

        @Test
        void spaceIsFreedOnlyWhenTheLastOfSeveralHandlesCloses() throws Exception {
            writeFile("/f", pattern(100_000, 4));
            DaxFile a = fs.open("/f", READ);
            DaxFile b = fs.open("/f", WRITE);
            fs.unlink("/f");
            long used = baseBlocks - freeBlocks();
            assertTrue(used >= 25);

            a.close();
            checkpoint();
            assertEquals(baseBlocks - used, freeBlocks(), "b still holds the file");
            write(b, 0, utf8("still writable"));

            b.close();
            assertAllSpaceFree();
        }

        @Test
        void unmountFreesUnlinkedFilesThatAreStillOpen(@TempDir Path dir) throws Exception {
            Path image = dir.resolve("fs.img");
            long blocks;
            long inodes;
            try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
                a.open("/placeholder", CREATE_NEW, WRITE).close();
                a.sync();
                Internals.volume(a).journal().checkpoint();
                blocks = a.statfs().freeBlocks();
                inodes = a.statfs().freeInodes();
                DaxFile f = a.open("/f", CREATE, WRITE);
                write(f, 0, pattern(1 << 20, 5));
                a.unlink("/f");
                // unmounted with f still open
            }
            try (DaxFileSystem b = DaxFileSystem.mount(image)) {
                assertEquals(blocks, b.statfs().freeBlocks());
                assertEquals(inodes, b.statfs().freeInodes());
            }
        }
    }

    /** From RenameSpec: what a rename replaces is freed. */
    @Nested
    class Rename {
        @Test
        void renameOverAnExistingFileReplacesItAndFreesIt() throws Exception {
            writeFile("/keep", utf8("new contents"));
            writeFile("/victim", pattern(400_000, 1));
            checkpoint();
            long free = freeBlocks();
            long inodes = freeInodes();
            long ino = fs.stat("/keep").ino();
            fs.rename("/keep", "/victim");
            assertFalse(fs.exists("/keep"));
            assertEquals(ino, fs.stat("/victim").ino());
            assertArrayEquals(utf8("new contents"), readFile("/victim"));
            checkpoint();
            assertEquals(free + (400_000 + BLOCK - 1) / BLOCK, freeBlocks(), "the replaced file's blocks are free");
            assertEquals(inodes + 1, freeInodes());
        }

        @Test
        void renameOfADirectoryOverAnEmptyDirectoryInAnotherParent() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("/a/src");
            fs.mkdir("/b");
            fs.mkdir("/b/empty");
            long inodes = freeInodes();
            fs.rename("/a/src", "/b/empty");
            assertEquals(2, fs.stat("/a").nlink());
            assertEquals(3, fs.stat("/b").nlink());
            assertEquals(fs.stat("/b").ino(), fs.stat("/b/empty/..").ino());
            checkpoint();
            assertEquals(inodes + 1, freeInodes(), "the replaced directory is freed");
        }
    }

    /** From DirectorySpec.Rmdir: a removed directory's inode and blocks are freed. */
    @Nested
    class Rmdir {
        void touch(String path) throws DaxException {
            fs.open(path, CREATE_NEW, WRITE).close();
        }

        @Test
        void rmdirRemovesAnEmptyDirectoryAndFreesItsInode() throws Exception {
            fs.mkdir("/d");
            long inodes = freeInodes();
            fs.rmdir("/d");
            assertFalse(fs.exists("/d"));
            fails(Errno.ENOENT, () -> fs.stat("/d"));
            checkpoint();
            assertEquals(inodes + 1, freeInodes());
            fs.mkdir("/d");
            assertEquals(List.of(), fs.readdir("/d"), "a new directory under the old name");
        }

        @Test
        void aDirectoryThatHadEntriesCanBeRemovedOnceEmpty() throws Exception {
            fs.mkdir("/d");
            for (int i = 0; i < 300; i++) {
                touch("/d/file-with-a-longish-name-" + i);
            }
            fails(Errno.ENOTEMPTY, () -> fs.rmdir("/d"));
            for (int i = 0; i < 300; i++) {
                fs.unlink("/d/file-with-a-longish-name-" + i);
            }
            long free = freeBlocks();
            fs.rmdir("/d");
            checkpoint();
            assertTrue(freeBlocks() > free, "the directory's blocks are freed");
        }
    }

    /** From TruncateSpec: shrinking frees the blocks past the new end. */
    @Nested
    class Truncate {
        DaxFile f;

        @BeforeEach
        void openFile() throws Exception {
            f = fs.open("/f", CREATE, READ, WRITE);
        }

        @AfterEach
        void closeFile() throws Exception {
            f.close();
        }

        @Test
        void shrinkingFreesTheBlocksPastTheNewEnd() throws Exception {
            byte[] data = pattern(256 * BLOCK, 1); // 1 MiB
            write(f, 0, data);
            assertEquals(256 * SECTORS_PER_BLOCK, f.stat().blocks());
            long free = freeBlocks();

            f.truncate(10_000); // 3 blocks remain
            assertEquals(10_000, f.size());
            assertEquals(3 * SECTORS_PER_BLOCK, f.stat().blocks());
            assertArrayEquals(Arrays.copyOf(data, 10_000), readAll(f));
            checkpoint();
            assertEquals(free + 253, freeBlocks());

            f.truncate(0);
            assertEquals(0, f.size());
            assertEquals(0, f.stat().blocks());
            assertEquals(-1, f.read(0, new byte[1], 0, 1));
            checkpoint();
            assertEquals(free + 256, freeBlocks());
        }
    }

    /** From FallocateSpec: punch hole and collapse range free whole blocks. */
    @Nested
    class Fallocate {
        DaxFile f;

        @BeforeEach
        void openFile() throws Exception {
            f = fs.open("/f", CREATE, READ, WRITE);
        }

        @AfterEach
        void closeFile() throws Exception {
            f.close();
        }

        long blocks() throws DaxException {
            return f.stat().blocks() / SECTORS_PER_BLOCK;
        }

        /** Writes {@code n} blocks, block i filled with the byte value i + 1. */
        void writeNumberedBlocks(int n) throws DaxException {
            for (int i = 0; i < n; i++) {
                write(f, (long) i * BLOCK, filled(BLOCK, i + 1));
            }
        }

        /** The expected contents of a file made of whole blocks with the given fill values (0: hole). */
        static byte[] blocksOf(int... values) {
            byte[] b = new byte[values.length * BLOCK];
            for (int i = 0; i < values.length; i++) {
                Arrays.fill(b, i * BLOCK, (i + 1) * BLOCK, (byte) values[i]);
            }
            return b;
        }

        @Test
        void punchingWholeBlocksFreesThemAndReadsZerosWithoutChangingTheSize() throws Exception {
            writeNumberedBlocks(5);
            long free = freeBlocks();
            f.punchHole(BLOCK, 2 * BLOCK);
            assertEquals(5 * BLOCK, f.size());
            assertEquals(3, blocks());
            assertArrayEquals(blocksOf(1, 0, 0, 4, 5), readAll(f));
            checkpoint();
            assertEquals(free + 2, freeBlocks());
        }

        @Test
        void collapseRemovesTheRangeAndShiftsTheRestDown() throws Exception {
            writeNumberedBlocks(5);
            long free = freeBlocks();
            f.collapseRange(BLOCK, 2 * BLOCK);
            assertEquals(3 * BLOCK, f.size());
            assertEquals(3, blocks());
            assertArrayEquals(blocksOf(1, 4, 5), readAll(f));
            checkpoint();
            assertEquals(free + 2, freeBlocks());
        }
    }

    /** From LinkSpec: the blocks of a file with several names are freed with the last name. */
    @Nested
    class Links {
        @Test
        void unlinkingOneNameKeepsTheDataUnderTheOthers() throws Exception {
            writeFile("/a", pattern(50_000, 1));
            fs.link("/a", "/b");
            fs.link("/b", "/c");
            assertEquals(3, fs.stat("/a").nlink());
            checkpoint();
            long free = freeBlocks();
            fs.unlink("/a");
            assertFalse(fs.exists("/a"));
            assertEquals(2, fs.stat("/b").nlink());
            assertArrayEquals(pattern(50_000, 1), readFile("/c"));
            fs.unlink("/c");
            assertEquals(1, fs.stat("/b").nlink());
            checkpoint();
            assertEquals(free, freeBlocks(), "nothing is freed while a name is left");
            fs.unlink("/b");
            checkpoint();
            assertEquals(free + (50_000 + BLOCK - 1) / BLOCK, freeBlocks(), "the last unlink frees the blocks");
        }
    }

    /** From SymlinkSpec: a removed symlink gives back its inode and its block. */
    @Nested
    class Symlinks {
        /** A target of exactly {@code n} bytes. */
        static String target(int n) {
            StringBuilder b = new StringBuilder("/");
            while (b.length() < n) {
                b.append("component/".substring(0, Math.min(10, n - b.length())));
            }
            return b.toString();
        }

        @Test
        void removingALongSymlinkFreesItsBlock() throws Exception {
            fs.symlink(target(1000), "/first"); // gives the root directory its block
            checkpoint();
            long free = freeBlocks();
            fs.symlink(target(1000), "/l");
            assertEquals(free - 1, freeBlocks());
            fs.unlink("/l");
            checkpoint();
            assertEquals(free, freeBlocks());
        }

        @Test
        void symlinkTakesAnInode() throws Exception {
            long inodes = freeInodes();
            fs.symlink("/x", "/l");
            assertEquals(inodes - 1, freeInodes());
            fs.unlink("/l");
            checkpoint();
            assertEquals(inodes, freeInodes());
            fs.open("/l", CREATE_NEW, WRITE).close();
        }
    }

    /** From InodesSpec: freed numbers after a checkpoint, their reuse, and the space of orphans. */
    @Nested
    class Inodes {
        static final int UID = 1234;
        static final int GID = 5678;

        DaxInodes in;

        @BeforeEach
        void inodes() {
            in = fs.inodes();
        }

        @Test
        void aFreedNumberIsENOENTEvenAfterACheckpoint() throws Exception {
            long f = in.mknod(ROOT, "f", 0644, UID, GID).ino();
            long d = in.mkdir(ROOT, "d", 0755, UID, GID).ino();
            in.unlink(ROOT, "f");
            in.rmdir(ROOT, "d");
            fails(Errno.ENOENT, () -> in.getattr(f), "freed file, tombstone");
            fails(Errno.ENOENT, () -> in.getattr(d), "freed directory, tombstone");
            checkpoint(); // tombstones dropped: the numbers are now read from zeroed records
            fails(Errno.ENOENT, () -> in.getattr(f), "freed file, free record");
            fails(Errno.ENOENT, () -> in.getattr(d), "freed directory, free record");
            fails(Errno.ENOENT, () -> in.open(f, READ));
            fails(Errno.ENOENT, () -> in.lookup(d, "."));
        }

        @Test
        void generationIsTheInodesAndChangesWhenANumberIsReused() throws Exception {
            long f = in.mknod(ROOT, "f", 0644, UID, GID).ino();
            int g1 = in.generation(f);
            assertEquals(g1, in.generation(f), "stable");
            in.unlink(ROOT, "f");
            checkpoint();
            // Creating until the number comes back (the allocator may hand out others first).
            long reused = -1;
            for (int i = 0; i < 64 && reused != f; i++) {
                Thread.sleep(0, 1000);
                reused = in.mknod(ROOT, "g" + i, 0644, UID, GID).ino();
            }
            assertEquals(f, reused, "the freed number is reused");
            assertNotEquals(g1, in.generation(f));
        }

        @Test
        void anUnlinkedOpenFileCanBeOpenedByNumberAndIsFreedAtTheLastClose() throws Exception {
            fs.open("/placeholder", java.nio.file.StandardOpenOption.CREATE_NEW, WRITE).close();
            checkpoint();
            long baseBlocks = freeBlocks();
            long baseInodes = freeInodes();
            byte[] data = pattern(100_000, 7);
            DaxInodes.Created c = in.create(ROOT, "f", 0644, UID, GID, true, READ, WRITE);
            long ino = c.stat().ino();
            DaxFile first = c.file();
            write(first, 0, data);
            in.unlink(ROOT, "f");
            assertEquals(0, in.getattr(ino).nlink(), "an orphan still answers, with nlink 0");
            assertFalse(fs.exists("/f"));
            DaxFile second = in.open(ino, READ, WRITE);
            first.close();
            assertEquals(0, in.getattr(ino).nlink(), "still held by the second handle");
            assertArrayEquals(data, readAll(second));
            write(second, data.length, utf8("more"));
            assertEquals(data.length + 4, in.getattr(ino).size());
            second.close();
            fails(Errno.ENOENT, () -> in.getattr(ino));
            fails(Errno.ENOENT, () -> in.open(ino, READ));
            checkpoint();
            assertEquals(baseBlocks, freeBlocks(), "the space is back");
            assertEquals(baseInodes, freeInodes(), "the inode is back");
        }

        @Test
        void setattrSizeTruncatesAndExtends() throws Exception {
            writeFile("/f", pattern(3 * BLOCK, 3));
            long f = fs.stat("/f").ino();
            long blocksBefore = freeBlocks();
            FileStat s = in.setattr(f, SetAttr.NONE.withSize(100));
            assertEquals(100, s.size());
            assertEquals(SECTORS_PER_BLOCK, s.blocks(), "the blocks past the end are freed");
            checkpoint();
            assertEquals(blocksBefore + 2, freeBlocks());
            assertArrayEquals(java.util.Arrays.copyOf(pattern(3 * BLOCK, 3), 100), readFile("/f"));
            s = in.setattr(f, SetAttr.NONE.withSize(10_000).withMode(0600));
            assertEquals(10_000, s.size());
            assertEquals(0600, s.permissions());
            byte[] back = readFile("/f");
            assertEquals(0, back[5000], "extended with zeros");
            fs.mkdir("/d");
            fs.symlink("f", "/s");
            fails(Errno.EISDIR, () -> in.setattr(fs.stat("/d").ino(), SetAttr.NONE.withSize(0)));
            fails(Errno.EINVAL, () -> in.setattr(fs.lstat("/s").ino(), SetAttr.NONE.withSize(0)));
            fails(Errno.EINVAL, () -> in.setattr(f, SetAttr.NONE.withSize(-5)));
        }
    }

    /** From RemountSpec: freed space stays free across an unmount and a mount of an image file. */
    @Nested
    class Remount {
        @TempDir
        Path dir;

        Path image;

        @BeforeEach
        void formatImage() throws Exception {
            fs.close();
            image = dir.resolve("fs.img");
            fs = DaxFileSystem.format(image, 32L << 20);
        }

        void remount() throws DaxException {
            fs.close();
            fs = DaxFileSystem.mount(image);
        }

        static String target() {
            return "/" + "t".repeat(1000);
        }

        @Test
        void shrinkingAFragmentedFileGivesBackItsChainBlocks() throws Exception {
            fs.open("/placeholder", CREATE_NEW, WRITE).close();
            checkpoint();
            long free = freeBlocks();
            try (DaxFile f = fs.open("/frag", CREATE_NEW, READ, WRITE)) {
                for (int i = 0; i < 600; i += 2) {
                    write(f, (long) i * BLOCK, filled(BLOCK, i % 251 + 1));
                }
                long chain = f.stat().blocks() / SECTORS_PER_BLOCK - 300;
                assertEquals(2, chain, "the extents overflowed into chain blocks");
                assertEquals(free - 300 - chain, freeBlocks());
                f.truncate(10 * BLOCK);
                assertEquals(5 * SECTORS_PER_BLOCK, f.stat().blocks(), "five extents fit in the inode: no chain left");
            }
            remount();
            assertEquals(5 * SECTORS_PER_BLOCK, fs.stat("/frag").blocks());
            byte[] all = readFile("/frag");
            for (int i = 0; i < 10; i++) {
                byte want = (byte) (i % 2 == 0 ? i % 251 + 1 : 0);
                assertEquals(want, all[i * BLOCK], "block " + i);
            }
            fs.unlink("/frag");
            checkpoint();
            assertEquals(free, freeBlocks());
        }

        @Test
        void unlinkedFilesAndTheirSpaceStayFreed() throws Exception {
            fs.open("/placeholder", CREATE_NEW, WRITE).close();
            checkpoint();
            long free = freeBlocks();
            long inodes = freeInodes();
            writeFile("/a", pattern(1 << 20, 1));
            fs.mkdir("/d");
            fs.symlink(target(), "/d/long-link");
            fs.unlink("/a");
            fs.unlink("/d/long-link");
            fs.rmdir("/d");
            remount();
            assertEquals(free, freeBlocks());
            assertEquals(inodes, freeInodes());
            assertEquals(List.of("placeholder"), fs.readdir("/").stream().map(DirEntry::name).toList());
        }
    }

    /** From ConcurrencySpec: concurrent creates and unlinks leave exact inode counts. */
    @Nested
    class Concurrency {
        static final int THREADS = 4;

        /** Runs {@code task(i)} on THREADS threads started together; rethrows the first failure. */
        void inParallel(ThreadTask task) throws Exception {
            assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                try {
                    CyclicBarrier start = new CyclicBarrier(THREADS);
                    List<Future<Void>> futures = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        int id = t;
                        futures.add(pool.submit((Callable<Void>) () -> {
                            start.await();
                            task.run(id);
                            return null;
                        }));
                    }
                    for (Future<Void> f : futures) {
                        f.get();
                    }
                } finally {
                    pool.shutdownNow();
                }
            });
        }

        @FunctionalInterface
        interface ThreadTask {
            void run(int thread) throws Exception;
        }

        @Test
        void createsAndUnlinksInOneDirectory() throws Exception {
            fs.mkdir("/d");
            long inodes = freeInodes();
            inParallel(t -> {
                for (int i = 0; i < 400; i++) {
                    fs.open("/d/t" + t + "-" + i, CREATE_NEW, WRITE).close();
                    if (i % 2 == 1) {
                        fs.unlink("/d/t" + t + "-" + (i - 1));
                    }
                }
            });
            Set<String> expect = new HashSet<>();
            for (int t = 0; t < THREADS; t++) {
                for (int i = 1; i < 400; i += 2) {
                    expect.add("t" + t + "-" + i);
                }
            }
            Set<String> got = new HashSet<>();
            fs.readdir("/d").forEach(e -> got.add(e.name()));
            assertEquals(expect, got);
            checkpoint();
            assertEquals(inodes - expect.size(), freeInodes());
        }
    }
}
