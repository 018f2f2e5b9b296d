package io.daxfs.api;

import io.daxfs.types.SetAttr;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stat, chmod, chown and utimes: the fields of {@link FileStat}, how operations move the times,
 * and that every attribute is stored.
 */
class AttributesSpec extends FsSpec {

    static long nowNs() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    static int processUid() throws Exception {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    static int processGid() throws Exception {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    }

    /** Sleeps long enough for the clock to move (nanosecond timestamps, microsecond clocks). */
    static void tick() throws InterruptedException {
        Thread.sleep(2);
    }

    @Nested
    class Stat {
        @Test
        void aNewFile() throws Exception {
            long before = nowNs();
            fs.open("/f", 0640, CREATE_NEW, WRITE).close();
            long after = nowNs();
            FileStat st = fs.stat("/f");
            assertEquals(FileType.REGULAR, st.type());
            assertEquals(0100640, st.mode());
            assertEquals(0640, st.permissions());
            assertEquals(1, st.nlink());
            assertEquals(processUid(), st.uid(), "owned by the creating process");
            assertEquals(processGid(), st.gid(), "group of the creating process");
            assertEquals(0, st.size());
            assertEquals(0, st.blocks());
            assertTrue(st.btimeNs() >= before - 1_000_000 && st.btimeNs() <= after + 1_000_000,
                    "birth time is the creation time, in ns");
            assertEquals(st.btimeNs(), st.atimeNs());
            assertEquals(st.btimeNs(), st.mtimeNs());
            assertEquals(st.btimeNs(), st.ctimeNs());
        }

        @Test
        void aNewDirectoryAndTheRoot() throws Exception {
            fs.mkdir("/d", 0750);
            FileStat d = fs.stat("/d");
            assertEquals(FileType.DIRECTORY, d.type());
            assertEquals(040750, d.mode());
            assertEquals(2, d.nlink());
            FileStat root = fs.stat("/");
            assertEquals(FileType.DIRECTORY, root.type());
            assertEquals(040755, root.mode());
            assertTrue(root.ino() > 0);
        }

        @Test
        void inodeNumbersAreDistinctAndStable() throws Exception {
            fs.open("/a", CREATE_NEW, WRITE).close();
            fs.open("/b", CREATE_NEW, WRITE).close();
            fs.mkdir("/d");
            long a = fs.stat("/a").ino();
            assertNotEquals(a, fs.stat("/b").ino());
            assertNotEquals(a, fs.stat("/d").ino());
            assertNotEquals(fs.stat("/").ino(), fs.stat("/d").ino());
            fs.rename("/a", "/d/a");
            assertEquals(a, fs.stat("/d/a").ino());
        }

        @Test
        void blocksCountAllocated512ByteUnits() throws Exception {
            try (DaxFile f = fs.open("/f", CREATE, WRITE)) {
                write(f, 0, new byte[1]);
                assertEquals(8, f.stat().blocks(), "one 4 KiB block = 8 units");
                write(f, 1, new byte[BLOCK]);
                assertEquals(16, f.stat().blocks());
                f.truncate(1L << 30);
                assertEquals(16, f.stat().blocks(), "sparse size costs nothing");
                assertEquals(1L << 30, f.stat().size());
            }
        }

        @Test
        void statThroughAHandleEqualsStatThroughThePath() throws Exception {
            writeFile("/f", pattern(12_345, 1));
            try (DaxFile f = fs.open("/f")) {
                assertEquals(fs.stat("/f"), f.stat());
            }
        }

        @Test
        void statOfAMissingPathIsENOENT() {
            fails(Errno.ENOENT, () -> fs.stat("/missing"));
            fails(Errno.ENOENT, () -> fs.lstat("/missing"));
        }
    }

    @Nested
    class Times {
        @Test
        void writeAdvancesMtimeAndCtimeButNotAtimeOrBtime() throws Exception {
            writeFile("/f", utf8("a"));
            FileStat before = fs.stat("/f");
            tick();
            try (DaxFile f = fs.open("/f", WRITE)) {
                write(f, 1, utf8("b"));
            }
            FileStat after = fs.stat("/f");
            assertTrue(after.mtimeNs() > before.mtimeNs());
            assertTrue(after.ctimeNs() > before.ctimeNs());
            assertEquals(after.mtimeNs(), after.ctimeNs());
            assertEquals(before.atimeNs(), after.atimeNs());
            assertEquals(before.btimeNs(), after.btimeNs());
        }

        @Test
        void readsAndOpensDoNotChangeMtimeOrCtime() throws Exception {
            writeFile("/f", utf8("abc"));
            FileStat before = fs.stat("/f");
            tick();
            try (DaxFile f = fs.open("/f", READ, WRITE)) {
                read(f, 0, 3);
                f.seekData(0);
                f.fsync();
            }
            FileStat after = fs.stat("/f");
            assertEquals(before.mtimeNs(), after.mtimeNs());
            assertEquals(before.ctimeNs(), after.ctimeNs());
        }

        @Test
        void chmodChownAndLinkAdvanceCtimeOnly() throws Exception {
            writeFile("/f", utf8("a"));
            FileStat st = fs.stat("/f");
            tick();
            fs.chmod("/f", 0600);
            FileStat c1 = fs.stat("/f");
            assertTrue(c1.ctimeNs() > st.ctimeNs());
            assertEquals(st.mtimeNs(), c1.mtimeNs());
            tick();
            fs.chown("/f", 123, 456);
            FileStat c2 = fs.stat("/f");
            assertTrue(c2.ctimeNs() > c1.ctimeNs());
            assertEquals(st.mtimeNs(), c2.mtimeNs());
        }
    }

    @Nested
    class Chmod {
        @Test
        void chmodSetsThePermissionBitsAndKeepsTheType() throws Exception {
            fs.open("/f", CREATE_NEW, WRITE).close();
            fs.mkdir("/d");
            fs.chmod("/f", 0755);
            assertEquals(0100755, fs.stat("/f").mode());
            fs.chmod("/f", 07777);
            assertEquals(0107777, fs.stat("/f").mode(), "setuid, setgid and sticky are permission bits too");
            fs.chmod("/f", FileType.DIRECTORY.modeBits() | 0600);
            assertEquals(FileType.REGULAR, fs.stat("/f").type(), "type bits in the argument are ignored");
            assertEquals(0600, fs.stat("/f").permissions());
            fs.chmod("/d", 0);
            assertEquals(040000, fs.stat("/d").mode());
            fs.chmod("/d", 0xFFFF_FFFF);
            assertEquals(047777, fs.stat("/d").mode());
        }

        @Test
        void chmodOfAMissingPathIsENOENT() {
            fails(Errno.ENOENT, () -> fs.chmod("/missing", 0644));
        }
    }

    @Nested
    class Chown {
        @Test
        void chownSetsOwnerAndGroup() throws Exception {
            fs.open("/f", CREATE_NEW, WRITE).close();
            fs.chown("/f", 1000, 2000);
            assertEquals(1000, fs.stat("/f").uid());
            assertEquals(2000, fs.stat("/f").gid());
        }

        @Test
        void minusOneLeavesAFieldUnchanged() throws Exception {
            fs.open("/f", CREATE_NEW, WRITE).close();
            fs.chown("/f", 1000, 2000);
            fs.chown("/f", 1001, -1);
            assertEquals(1001, fs.stat("/f").uid());
            assertEquals(2000, fs.stat("/f").gid());
            fs.chown("/f", -1, 2001);
            assertEquals(1001, fs.stat("/f").uid());
            assertEquals(2001, fs.stat("/f").gid());
            long ctime = fs.stat("/f").ctimeNs();
            tick();
            fs.chown("/f", -1, -1);
            assertEquals(1001, fs.stat("/f").uid());
            assertEquals(2001, fs.stat("/f").gid());
            assertTrue(fs.stat("/f").ctimeNs() > ctime, "chown(-1, -1) still touches ctime, as on Linux");
        }

        @Test
        void chownFollowsSymlinks() throws Exception {
            fs.open("/t", CREATE_NEW, WRITE).close();
            fs.symlink("/t", "/l");
            int linkUid = fs.lstat("/l").uid();
            fs.chown("/l", 4242, 4343);
            assertEquals(4242, fs.stat("/t").uid());
            assertEquals(4343, fs.stat("/t").gid());
            assertEquals(linkUid, fs.lstat("/l").uid());
        }

        @Test
        void newFilesTakeTheGroupOfTheProcessNotOfTheirDirectory() throws Exception {
            fs.mkdir("/d");
            fs.chown("/d", -1, 777);
            fs.open("/d/f", CREATE_NEW, WRITE).close();
            fs.mkdir("/d/sub");
            assertEquals(processGid(), fs.stat("/d/f").gid());
            assertEquals(processGid(), fs.stat("/d/sub").gid());
            assertEquals(0, fs.stat("/d/sub").mode() & 02000);
        }

        @Test
        void inASetGroupIdDirectoryNewFilesTakeItsGroupAndSubdirectoriesTheBitToo() throws Exception {
            fs.mkdir("/d");
            fs.chown("/d", -1, 777);
            fs.chmod("/d", 02775);
            fs.open("/d/f", 0644, CREATE_NEW, WRITE).close();
            fs.mkdir("/d/sub", 0755);
            fs.symlink("f", "/d/l");
            assertEquals(777, fs.stat("/d/f").gid());
            assertEquals(0100644, fs.stat("/d/f").mode(), "files do not get the bit");
            assertEquals(777, fs.stat("/d/sub").gid());
            assertEquals(042755, fs.stat("/d/sub").mode());
            assertEquals(777, fs.lstat("/d/l").gid());
            fs.mkdir("/d/sub/deeper");
            assertEquals(777, fs.stat("/d/sub/deeper").gid(), "inherited down the tree");
        }
    }

    @Nested
    class Utimes {
        @Test
        void utimesSetsExactNanosecondTimesAndCtimeToNow() throws Exception {
            fs.open("/f", CREATE_NEW, WRITE).close();
            long before = nowNs();
            fs.utimes("/f", 1_234_567_890_123_456_789L, 987_654_321_987_654_321L);
            FileStat st = fs.stat("/f");
            assertEquals(1_234_567_890_123_456_789L, st.atimeNs());
            assertEquals(987_654_321_987_654_321L, st.mtimeNs());
            assertTrue(st.ctimeNs() >= before - 1_000_000, "ctime is the time of the change");
        }

        @Test
        void utimeOmitLeavesATime() throws Exception {
            fs.open("/f", CREATE_NEW, WRITE).close();
            fs.utimes("/f", 111L, 222L);
            fs.utimes("/f", SetAttr.UTIME_OMIT, 333L);
            assertEquals(111L, fs.stat("/f").atimeNs());
            assertEquals(333L, fs.stat("/f").mtimeNs());
            fs.utimes("/f", 444L, SetAttr.UTIME_OMIT);
            assertEquals(444L, fs.stat("/f").atimeNs());
            assertEquals(333L, fs.stat("/f").mtimeNs());
        }

        @Test
        void utimeNowSetsTheCurrentTime() throws Exception {
            fs.open("/f", CREATE_NEW, WRITE).close();
            fs.utimes("/f", 1L, 2L);
            long before = nowNs();
            fs.utimes("/f", SetAttr.UTIME_NOW, SetAttr.UTIME_OMIT);
            long after = nowNs();
            FileStat st = fs.stat("/f");
            assertTrue(st.atimeNs() >= before - 1_000_000 && st.atimeNs() <= after + 1_000_000);
            assertEquals(2L, st.mtimeNs());
            fs.utimes("/f", SetAttr.UTIME_OMIT, SetAttr.UTIME_NOW);
            assertTrue(fs.stat("/f").mtimeNs() >= before - 1_000_000);
        }

        @Test
        void timesBeforeTheEpochAreKept() throws Exception {
            fs.mkdir("/d");
            fs.utimes("/d", -1L, -86_400_000_000_000L);
            assertEquals(-1L, fs.stat("/d").atimeNs());
            assertEquals(-86_400_000_000_000L, fs.stat("/d").mtimeNs());
        }

        @Test
        void utimesFollowsSymlinksAndFailsForMissingPaths() throws Exception {
            fs.open("/t", CREATE_NEW, WRITE).close();
            fs.symlink("/t", "/l");
            fs.utimes("/l", 5L, 6L);
            assertEquals(6L, fs.stat("/t").mtimeNs());
            fails(Errno.ENOENT, () -> fs.utimes("/missing", 1L, 1L));
        }
    }

    @Test
    void everyAttributeSurvivesARemount(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("attrs.img");
        FileStat file;
        FileStat directory;
        FileStat link;
        try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
            a.mkdir("/d", 0711);
            try (DaxFile f = a.open("/d/f", 04600, CREATE_NEW, WRITE)) {
                write(f, 3 * BLOCK, pattern(5000, 2));
            }
            a.chown("/d/f", 1234, 5678);
            a.utimes("/d/f", -5L, 1_700_000_000_123_456_789L);
            a.chown("/d", 42, -1);
            a.symlink("/d/f", "/l");
            a.link("/d/f", "/hard");
            file = a.stat("/d/f");
            directory = a.stat("/d");
            link = a.lstat("/l");
        }
        try (DaxFileSystem b = DaxFileSystem.mount(image)) {
            assertEquals(file, b.stat("/d/f"));
            assertEquals(directory, b.stat("/d"));
            assertEquals(link, b.lstat("/l"));
            assertEquals(2, b.stat("/hard").nlink());
            assertEquals(2 * SECTORS_PER_BLOCK, b.stat("/d/f").blocks());
        }
    }
}
