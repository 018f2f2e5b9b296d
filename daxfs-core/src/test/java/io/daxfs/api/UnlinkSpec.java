package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * unlink: removes a name; the file's space and inode are freed when its last name is gone and
 * its last handle closed (statfs counts them free again after a checkpoint at the latest).
 */
class UnlinkSpec extends FsSpec {
    long baseBlocks;
    long baseInodes;

    @BeforeEach
    void baseline() throws Exception {
        // The root directory gets its first block with its first entry; it keeps it afterwards.
        fs.open("/placeholder", CREATE_NEW, WRITE).close();
        baseBlocks = freeBlocks();
        baseInodes = freeInodes();
    }

    void assertAllSpaceFree() throws DaxException {
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
    void unlinkOfAMissingNameIsENOENT() throws Exception {
        fails(Errno.ENOENT, () -> fs.unlink("/missing"));
        fails(Errno.ENOENT, () -> fs.unlink("/missing/f"));
    }

    @Test
    void unlinkOfADirectoryIsEISDIR() throws Exception {
        fs.mkdir("/d");
        fails(Errno.EISDIR, () -> fs.unlink("/d"));
        fails(Errno.EISDIR, () -> fs.unlink("/"));
        assertTrue(fs.exists("/d"));
    }

    @Test
    void unlinkThroughAFileIsENOTDIR() throws Exception {
        writeFile("/f", utf8("x"));
        fails(Errno.ENOTDIR, () -> fs.unlink("/f/g"));
    }

    @Test
    void unlinkOfASymlinkRemovesTheLinkNotTheTarget() throws Exception {
        writeFile("/target", utf8("t"));
        fs.symlink("/target", "/link");
        fs.mkdir("/d");
        fs.symlink("/d", "/dlink");
        fs.unlink("/link");
        fs.unlink("/dlink");
        assertFalse(fs.exists("/link"));
        assertFalse(fs.exists("/dlink"));
        assertArrayEquals(utf8("t"), readFile("/target"));
        assertTrue(fs.exists("/d"));
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
        assertEquals(baseBlocks - used, freeBlocks(), "b still holds the file");
        write(b, 0, utf8("still writable"));

        b.close();
        assertAllSpaceFree();
    }

    @Test
    void theUnlinkedFileAndANewFileOfTheSameNameAreIndependent() throws Exception {
        try (DaxFile old = fs.open("/f", CREATE, READ, WRITE)) {
            write(old, 0, utf8("old contents"));
            fs.unlink("/f");
            writeFile("/f", utf8("new"));
            assertNotEquals(old.stat().ino(), fs.stat("/f").ino());
            write(old, 0, utf8("OLD"));
            assertArrayEquals(utf8("OLD contents"), readAll(old));
            assertArrayEquals(utf8("new"), readFile("/f"));
        }
        assertArrayEquals(utf8("new"), readFile("/f"));
    }

    @Test
    void unmountFreesUnlinkedFilesThatAreStillOpen(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("fs.img");
        try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
            a.open("/placeholder", CREATE_NEW, WRITE).close();
        }
        long blocks;
        long inodes;
        try (DaxFileSystem a = DaxFileSystem.mount(image)) {
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


    @Test
    void unlinkUpdatesTheParentsTimesAndTheFilesChangeTime() throws Exception {
        writeFile("/f", utf8("x"));
        fs.link("/f", "/g");
        fs.utimes("/", 1_000L, 2_000L);
        long ctime = fs.stat("/f").ctimeNs();
        Thread.sleep(2);
        fs.unlink("/f");
        assertTrue(fs.stat("/").mtimeNs() > 2_000L);
        assertTrue(fs.stat("/g").ctimeNs() > ctime, "the remaining name's inode changed: one link fewer");
        assertEquals(1, fs.stat("/g").nlink());
    }
}
