package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsStat;
import io.daxfs.types.MountOptions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** statfs: block and inode totals and how the free counts move. */
class StatfsSpec extends FsSpec {

    @Test
    void aFreshFileSystem() {
        FsStat st = fs.statfs();
        assertEquals(4096, st.blockSize());
        assertEquals((64L << 20) / 4096, st.totalBlocks());
        assertEquals(255, st.nameMax());
        assertTrue(st.freeBlocks() < st.totalBlocks(), "metadata takes some blocks");
        assertTrue(st.freeBlocks() > st.totalBlocks() * 9 / 10, "but not more than a tenth: " + st);
        assertEquals(st.totalInodes() - 1, st.freeInodes(), "only the root inode is in use");
        assertTrue(st.totalInodes() >= 4095, "one inode per 16 KiB by default: " + st);
        assertTrue(st.uuid().matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), st.uuid());
    }

    @Test
    void availableLeavesOutTheMetadataReserveWhichNoFileDataCanGet() throws Exception {
        FsStat fresh = fs.statfs();
        assertTrue(fresh.availableBlocks() < fresh.freeBlocks(), "the reserve is not available: " + fresh);
        try (DaxFile f = fs.open("/fill", CREATE_NEW, WRITE)) {
            byte[] chunk = new byte[64 * BLOCK];
            long pos = 0;
            DaxException full = null;
            while (full == null) {
                try {
                    pos += f.write(pos, chunk, 0, chunk.length);
                } catch (DaxException e) {
                    full = e;
                }
            }
            assertEquals(Errno.ENOSPC, full.errno());
            // Blocks by the single block until the data allocator refuses.
            try {
                while (true) {
                    pos += f.write(pos, new byte[BLOCK], 0, BLOCK);
                }
            } catch (DaxException e) {
                assertEquals(Errno.ENOSPC, e.errno());
            }
        }
        FsStat st = fs.statfs();
        assertEquals(0, st.availableBlocks(), "data allocation failed, so nothing is available: " + st);
        assertTrue(st.freeBlocks() > 0, "while the metadata reserve is still free: " + st);
        assertTrue(st.freeBlocks() <= fresh.freeBlocks() - fresh.availableBlocks(), "no more than the reserve is left: " + st);
    }

    @Test
    void theInodeCountCanBeChosenAtFormat() throws Exception {
        try (DaxFileSystem small = DaxFileSystem.formatMemory(16L << 20, FormatOptions.DEFAULT.withInodes(2048))) {
            FsStat st = small.statfs();
            assertEquals(2047, st.totalInodes(), "inode 0 is never used");
            assertEquals(2046, st.freeInodes());
            assertEquals(4096, st.totalBlocks());
        }
    }

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
            assertEquals(free - 5, freeBlocks());
            f.truncate(0);
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
        fs.mkdir("/d");
        assertEquals(0, freeInodes());
    }

    @Test
    void theUuidIsStableAcrossMountsAndDiffersBetweenFormats(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        String uuidA;
        String uuidB;
        try (DaxFileSystem fa = DaxFileSystem.format(a, 8L << 20); DaxFileSystem fb = DaxFileSystem.format(b, 8L << 20)) {
            uuidA = fa.statfs().uuid();
            uuidB = fb.statfs().uuid();
        }
        assertNotEquals(uuidA, uuidB);
        try (DaxFileSystem fa = DaxFileSystem.mount(a)) {
            assertEquals(uuidA, fa.statfs().uuid());
        }
        try (DaxFileSystem ro = DaxFileSystem.mount(a, MountOptions.DEFAULT.withReadOnly(true))) {
            assertEquals(uuidA, ro.statfs().uuid());
            assertEquals(2048, ro.statfs().totalBlocks());
        }
    }

}
