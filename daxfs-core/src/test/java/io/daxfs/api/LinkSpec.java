package io.daxfs.api;

import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import org.junit.jupiter.api.Test;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hard links: several names of one regular file or symlink. */
class LinkSpec extends FsSpec {

    @Test
    void aLinkIsAnotherNameOfTheSameInode() throws Exception {
        writeFile("/a", utf8("shared"));
        fs.mkdir("/d");
        fs.link("/a", "/d/b");
        FileStat a = fs.stat("/a");
        FileStat b = fs.stat("/d/b");
        assertEquals(a.ino(), b.ino());
        assertEquals(2, a.nlink());
        assertEquals(2, b.nlink());
        assertArrayEquals(utf8("shared"), readFile("/d/b"));
        assertEquals(FileType.REGULAR, fs.readdir("/d").getFirst().type());
    }

    @Test
    void writesThroughOneNameAreSeenThroughTheOther() throws Exception {
        writeFile("/a", utf8("one"));
        fs.link("/a", "/b");
        try (DaxFile f = fs.open("/b", WRITE)) {
            write(f, 3, utf8(" two"));
        }
        assertArrayEquals(utf8("one two"), readFile("/a"));
        try (DaxFile f = fs.open("/a", WRITE)) {
            f.truncate(3);
        }
        assertArrayEquals(utf8("one"), readFile("/b"));
        fs.chmod("/a", 0600);
        assertEquals(0600, fs.stat("/b").permissions(), "one inode, one set of attributes");
    }

    @Test
    void unlinkingOneNameKeepsTheDataUnderTheOthers() throws Exception {
        writeFile("/a", pattern(50_000, 1));
        fs.link("/a", "/b");
        fs.link("/b", "/c");
        assertEquals(3, fs.stat("/a").nlink());
        long free = freeBlocks();
        fs.unlink("/a");
        assertFalse(fs.exists("/a"));
        assertEquals(2, fs.stat("/b").nlink());
        assertArrayEquals(pattern(50_000, 1), readFile("/c"));
        fs.unlink("/c");
        assertEquals(1, fs.stat("/b").nlink());
        assertEquals(free, freeBlocks(), "nothing is freed while a name is left");
        fs.unlink("/b");
        assertEquals(free + (50_000 + BLOCK - 1) / BLOCK, freeBlocks(), "the last unlink frees the blocks");
    }

    @Test
    void anOpenFileCanGetANewName() throws Exception {
        try (DaxFile f = fs.open("/a", CREATE_NEW, READ, WRITE)) {
            write(f, 0, utf8("x"));
            fs.link("/a", "/b");
            fs.unlink("/a");
            assertEquals(1, f.stat().nlink());
        }
        assertArrayEquals(utf8("x"), readFile("/b"));
    }

    @Test
    void linkingADirectoryIsEPERM() throws Exception {
        fs.mkdir("/d");
        fails(Errno.EPERM, () -> fs.link("/d", "/e"));
        fails(Errno.EPERM, () -> fs.link("/", "/root"));
        assertFalse(fs.exists("/e"));
        assertEquals(2, fs.stat("/d").nlink());
    }

    @Test
    void linkingOverAnExistingNameIsEEXIST() throws Exception {
        writeFile("/a", utf8("a"));
        writeFile("/b", utf8("b"));
        fs.mkdir("/d");
        fails(Errno.EEXIST, () -> fs.link("/a", "/b"));
        fails(Errno.EEXIST, () -> fs.link("/a", "/d"));
        fails(Errno.EEXIST, () -> fs.link("/a", "/a"));
        fails(Errno.EEXIST, () -> fs.link("/a", "/d/."));
        assertArrayEquals(utf8("b"), readFile("/b"));
        assertEquals(1, fs.stat("/a").nlink());
    }

    @Test
    void aMissingSourceOrTargetDirectoryIsENOENT() throws Exception {
        writeFile("/a", utf8("a"));
        fails(Errno.ENOENT, () -> fs.link("/missing", "/b"));
        fails(Errno.ENOENT, () -> fs.link("/a", "/missing/b"));
        fails(Errno.ENOTDIR, () -> fs.link("/a", "/a/b"));
        assertEquals(1, fs.stat("/a").nlink());
    }

    @Test
    void linkingASymlinkLinksTheSymlinkItself() throws Exception {
        writeFile("/t", utf8("t"));
        fs.symlink("/t", "/l");
        fs.link("/l", "/l2");
        assertEquals(FileType.SYMLINK, fs.lstat("/l2").type());
        assertEquals(2, fs.lstat("/l").nlink());
        assertEquals(1, fs.stat("/t").nlink(), "the target is not linked");
        assertEquals("/t", fs.readlink("/l2"));
        fs.unlink("/l");
        assertEquals("/t", fs.readlink("/l2"));
    }

    @Test
    void linksSurviveRenamesOfTheOtherName() throws Exception {
        writeFile("/a", utf8("a"));
        fs.link("/a", "/b");
        fs.mkdir("/d");
        fs.rename("/a", "/d/moved");
        assertEquals(fs.stat("/b").ino(), fs.stat("/d/moved").ino());
        assertEquals(2, fs.stat("/b").nlink());
    }

    @Test
    void linkChangesTheInodeCtimeAndTheDirectoryMtime() throws Exception {
        writeFile("/a", utf8("a"));
        fs.mkdir("/d");
        fs.utimes("/d", 1_000L, 2_000L);
        long ctime = fs.stat("/a").ctimeNs();
        long mtime = fs.stat("/a").mtimeNs();
        Thread.sleep(2);
        fs.link("/a", "/d/b");
        assertTrue(fs.stat("/a").ctimeNs() > ctime);
        assertEquals(mtime, fs.stat("/a").mtimeNs(), "the file's contents did not change");
        assertTrue(fs.stat("/d").mtimeNs() > 2_000L);
    }

    @Test
    void linksSurviveARemount(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path image = dir.resolve("links.img");
        try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
            a.open("/f", CREATE_NEW, WRITE).close();
            a.link("/f", "/g");
            a.link("/f", "/h");
            a.unlink("/g");
        }
        try (DaxFileSystem b = DaxFileSystem.mount(image)) {
            assertEquals(2, b.stat("/f").nlink());
            assertEquals(b.stat("/f").ino(), b.stat("/h").ino());
            assertFalse(b.exists("/g"));
        }
    }

    @Test
    void aDirectoryMayGrowByMoreThanTheJournalHoldsBetweenTwoSyncs() throws Exception {
        // 6000 links with 200-byte names: about 320 directory blocks, more than the 256-block
        // journal of this file system, in what would be one transaction without intermediate commits.
        writeFile("/f", utf8("x"));
        fs.mkdir("/d");
        String pad = "n".repeat(200);
        for (int i = 0; i < 6000; i++) {
            fs.link("/f", "/d/" + pad + i);
        }
        fs.sync();
        assertEquals(6001, fs.stat("/f").nlink());
        assertEquals(6000, fs.readdir("/d").size());
        assertTrue(fs.stat("/d").size() > 256L * BLOCK);
    }

    @Test
    @org.junit.jupiter.api.Tag("long")
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "daxfs.test.long", matches = "true")
    void linkCountsStopAt65000WithEMLINK() throws Exception {
        writeFile("/f", utf8("x"));
        fs.mkdir("/many");
        for (int i = 1; i < 65_000; i++) {
            fs.link("/f", "/many/l" + i);
        }
        assertEquals(65_000, fs.stat("/f").nlink());
        fails(Errno.EMLINK, () -> fs.link("/f", "/one-too-many"));
        assertFalse(fs.exists("/one-too-many"));
        fs.unlink("/many/l1");
        fs.link("/f", "/one-more");
        assertEquals(65_000, fs.stat("/one-more").nlink());
    }
}
