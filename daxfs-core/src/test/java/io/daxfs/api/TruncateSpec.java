package io.daxfs.api;

import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** truncate: shrinking frees blocks and zeroes the new tail; growing is sparse. */
class TruncateSpec extends FsSpec {
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
        assertEquals(free + 253, freeBlocks());

        f.truncate(0);
        assertEquals(0, f.size());
        assertEquals(0, f.stat().blocks());
        assertEquals(-1, f.read(0, new byte[1], 0, 1));
        assertEquals(free + 256, freeBlocks());
    }

    @Test
    void shrinkingToABlockBoundaryKeepsExactlyTheBlocksBelowIt() throws Exception {
        write(f, 0, pattern(5 * BLOCK, 2));
        f.truncate(2 * BLOCK);
        assertEquals(2 * SECTORS_PER_BLOCK, f.stat().blocks());
        assertArrayEquals(Arrays.copyOf(pattern(5 * BLOCK, 2), 2 * BLOCK), readAll(f));
    }

    @Test
    void growingIsSparseAndReadsZeros() throws Exception {
        write(f, 0, utf8("0123456789"));
        f.truncate(1 << 20);
        assertEquals(1 << 20, f.size());
        assertEquals(1 << 20, fs.stat("/f").size());
        assertEquals(SECTORS_PER_BLOCK, f.stat().blocks(), "growing allocates nothing");
        byte[] all = readAll(f);
        assertArrayEquals(utf8("0123456789"), Arrays.copyOf(all, 10));
        assertArrayEquals(new byte[(1 << 20) - 10], Arrays.copyOfRange(all, 10, 1 << 20));
    }

    @Test
    void shrinkingToTheMiddleOfABlockThenGrowingReadsZerosInTheTail() throws Exception {
        write(f, 0, filled(3 * BLOCK, 0xee));
        f.truncate(BLOCK + 100);
        f.truncate(3 * BLOCK);
        byte[] all = readAll(f);
        assertArrayEquals(filled(BLOCK + 100, 0xee), Arrays.copyOf(all, BLOCK + 100));
        assertArrayEquals(new byte[2 * BLOCK - 100], Arrays.copyOfRange(all, BLOCK + 100, 3 * BLOCK),
                "old bytes past the cut must not come back");
    }

    @Test
    void shrinkingThenGrowingByWritingPastTheOldTailReadsZerosInBetween() throws Exception {
        write(f, 0, filled(BLOCK, 0x55));
        f.truncate(10);
        write(f, 2000, utf8("x"));
        byte[] all = readAll(f);
        assertEquals(2001, all.length);
        assertArrayEquals(filled(10, 0x55), Arrays.copyOf(all, 10));
        assertArrayEquals(new byte[1990], Arrays.copyOfRange(all, 10, 2000));
    }

    @Test
    void truncatingToTheSameSizeChangesNothing() throws Exception {
        byte[] data = pattern(6000, 3);
        write(f, 0, data);
        f.truncate(6000);
        assertEquals(6000, f.size());
        assertEquals(2 * SECTORS_PER_BLOCK, f.stat().blocks());
        assertArrayEquals(data, readAll(f));
    }

    @Test
    void truncateUpdatesModificationAndChangeTimes() throws Exception {
        write(f, 0, utf8("abc"));
        fs.utimes("/f", 1_000L, 2_000L);
        long ctime = f.stat().ctimeNs();
        Thread.sleep(2);
        f.truncate(1);
        FileStat st = f.stat();
        assertEquals(1_000L, st.atimeNs());
        assertTrue(st.mtimeNs() > 2_000L, st::toString);
        assertTrue(st.ctimeNs() > ctime, st::toString);
    }

    @Test
    void negativeSizesAreEINVALAndSizesBeyond16TiBAreEFBIG() throws Exception {
        write(f, 0, utf8("abc"));
        fails(Errno.EINVAL, () -> f.truncate(-1));
        fails(Errno.EFBIG, () -> f.truncate((16L << 40) + 1));
        assertEquals(3, f.size());
        f.truncate(16L << 40);
        assertEquals(16L << 40, f.size());
        assertEquals(SECTORS_PER_BLOCK, f.stat().blocks());
    }

    @Test
    void truncateNeedsAWritableHandle() throws Exception {
        write(f, 0, utf8("abc"));
        try (DaxFile r = fs.open("/f", READ)) {
            fails(Errno.EBADF, () -> r.truncate(0));
        }
        assertEquals(3, f.size());
    }
}
