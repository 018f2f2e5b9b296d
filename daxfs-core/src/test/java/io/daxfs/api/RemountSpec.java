package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.RenameOption;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every kind of change leaves behind is what a later mount finds: the results of the
 * operations of the other specs, checked after an unmount and a mount of an image file.
 */
class RemountSpec extends FsSpec {
    @TempDir
    Path dir;

    Path image;

    @Override
    protected long deviceSize() {
        return 4L << 20;
    }

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

    @Test
    void aFragmentedFileWithAnExtentChainSurvives() throws Exception {
        // Every other block written: one extent per block, far more than fit in the inode.
        byte[] expect = new byte[600 * BLOCK];
        try (DaxFile f = fs.open("/frag", CREATE_NEW, WRITE)) {
            for (int i = 0; i < 600; i += 2) {
                byte[] b = pattern(BLOCK, i);
                write(f, (long) i * BLOCK, b);
                System.arraycopy(b, 0, expect, i * BLOCK, BLOCK);
            }
        }
        long blocks = fs.stat("/frag").blocks();
        assertEquals((300 + 2) * SECTORS_PER_BLOCK, blocks, "300 data blocks, 2 extent chain blocks");
        remount();
        assertEquals(blocks, fs.stat("/frag").blocks());
        assertArrayEquals(Arrays.copyOf(expect, 599 * BLOCK), readFile("/frag"));
    }

    @Test
    void shrinkingAFragmentedFileGivesBackItsChainBlocks() throws Exception {
        fs.open("/placeholder", CREATE_NEW, WRITE).close();
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
        assertEquals(free, freeBlocks());
    }

    @Test
    void punchCollapseAndInsertSurvive() throws Exception {
        byte[] data = pattern(40 * BLOCK, 1);
        try (DaxFile f = fs.open("/f", CREATE_NEW, WRITE)) {
            write(f, 0, data);
            for (int i = 1; i < 40; i += 4) {
                f.punchHole((long) i * BLOCK, BLOCK);
            }
            f.collapseRange(8L * BLOCK, 4L * BLOCK);
            f.insertRange(2L * BLOCK, 3L * BLOCK);
            f.zeroRange(30L * BLOCK + 7, 100);
        }
        byte[] expect = data.clone();
        for (int i = 1; i < 40; i += 4) {
            Arrays.fill(expect, i * BLOCK, (i + 1) * BLOCK, (byte) 0);
        }
        byte[] collapsed = new byte[36 * BLOCK];
        System.arraycopy(expect, 0, collapsed, 0, 8 * BLOCK);
        System.arraycopy(expect, 12 * BLOCK, collapsed, 8 * BLOCK, 28 * BLOCK);
        byte[] inserted = new byte[39 * BLOCK];
        System.arraycopy(collapsed, 0, inserted, 0, 2 * BLOCK);
        System.arraycopy(collapsed, 2 * BLOCK, inserted, 5 * BLOCK, 34 * BLOCK);
        Arrays.fill(inserted, 30 * BLOCK + 7, 30 * BLOCK + 107, (byte) 0);
        assertArrayEquals(inserted, readFile("/f"));
        long blocks = fs.stat("/f").blocks();
        remount();
        assertArrayEquals(inserted, readFile("/f"));
        assertEquals(blocks, fs.stat("/f").blocks());
    }

    @Test
    void renamedAndExchangedDirectoriesKeepTheirParents() throws Exception {
        fs.mkdir("/a");
        fs.mkdir("/b");
        fs.mkdir("/a/x");
        fs.mkdir("/b/y");
        fs.mkdir("/a/moved");
        fs.rename("/a/moved", "/b/moved");
        fs.rename("/a/x", "/b/y", RenameOption.EXCHANGE);
        remount();
        assertEquals(fs.stat("/b").ino(), fs.stat("/b/moved/..").ino());
        assertEquals(fs.stat("/a").ino(), fs.stat("/a/x/..").ino());
        assertEquals(fs.stat("/b").ino(), fs.stat("/b/y/..").ino());
        assertEquals(3, fs.stat("/a").nlink());
        assertEquals(4, fs.stat("/b").nlink());
        fs.rmdir("/b/moved");
        fs.rmdir("/b/y");
        fs.rmdir("/a/x");
        fs.rmdir("/a");
        fs.rmdir("/b");
        assertEquals(List.of(), fs.readdir("/"));
        assertEquals(2, fs.stat("/").nlink());
    }

    @Test
    void directoriesThatShrankAndGrewAgainSurvive() throws Exception {
        fs.mkdir("/d");
        for (int i = 0; i < 1500; i++) {
            fs.open("/d/first-generation-" + i, CREATE_NEW, WRITE).close();
        }
        for (int i = 0; i < 1500; i += 3) {
            fs.unlink("/d/first-generation-" + i);
        }
        for (int i = 0; i < 400; i++) {
            fs.mkdir("/d/second-" + i);
        }
        List<DirEntry> before = fs.readdir("/d");
        assertEquals(1000 + 400, before.size());
        remount();
        assertEquals(before, fs.readdir("/d"), "same entries, same order, same cookies");
        assertFalse(fs.exists("/d/first-generation-0"));
        assertTrue(fs.exists("/d/first-generation-1"));
        assertEquals(402, fs.stat("/d").nlink());
    }

    @Test
    void unlinkedFilesAndTheirSpaceStayFreed() throws Exception {
        fs.open("/placeholder", CREATE_NEW, WRITE).close();
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

    static String target() {
        return "/" + "t".repeat(1000);
    }
}
