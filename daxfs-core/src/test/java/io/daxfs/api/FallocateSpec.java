package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The fallocate family: allocate, punch hole, zero range, collapse range, insert range. */
class FallocateSpec extends FsSpec {
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

    @Nested
    class Allocate {
        @Test
        void allocateExtendsTheSizeAndReadsZeros() throws Exception {
            long free = freeBlocks();
            f.allocate(0, 1 << 20, false);
            assertEquals(1 << 20, f.size());
            assertEquals(256, blocks());
            assertEquals(free - 256, freeBlocks());
            assertArrayEquals(new byte[1 << 20], readAll(f));
        }

        @Test
        void allocateWithKeepSizeAllocatesButLeavesTheSize() throws Exception {
            write(f, 0, utf8("abc"));
            f.allocate(0, 10 * BLOCK, true);
            assertEquals(3, f.size());
            assertEquals(10, blocks());
            assertEquals(-1, f.read(3, new byte[1], 0, 1));
            // A later write inside the preallocated range extends the size, using those blocks.
            write(f, 5 * BLOCK, utf8("z"));
            assertEquals(5 * BLOCK + 1, f.size());
            assertEquals(10, blocks());
            assertArrayEquals(new byte[5 * BLOCK - 3], read(f, 3, 5 * BLOCK - 3));
        }

        @Test
        void allocateRoundsOutToWholeBlocksAndKeepsExistingData() throws Exception {
            byte[] data = pattern(BLOCK + 10, 1);
            write(f, 0, data);
            f.allocate(100, 3 * BLOCK, false);   // [100, 3*BLOCK+100): blocks 0..3
            assertEquals(3 * BLOCK + 100, f.size());
            assertEquals(4, blocks());
            byte[] all = readAll(f);
            assertArrayEquals(data, Arrays.copyOf(all, data.length));
            assertArrayEquals(new byte[all.length - data.length], Arrays.copyOfRange(all, data.length, all.length));
        }

        @Test
        void allocateInsideTheFileNeverShrinksIt() throws Exception {
            write(f, 0, pattern(5 * BLOCK, 2));
            f.allocate(0, BLOCK, false);
            assertEquals(5 * BLOCK, f.size());
            assertArrayEquals(pattern(5 * BLOCK, 2), readAll(f));
        }

        @Test
        void allocateFillsHolesOnly() throws Exception {
            write(f, 0, filled(BLOCK, 1));
            write(f, 3 * BLOCK, filled(BLOCK, 4));
            f.allocate(0, 4 * BLOCK, false);
            assertEquals(4, blocks());
            assertArrayEquals(blocksOf(1, 0, 0, 4), readAll(f));
        }
    }

    @Nested
    class PunchHole {
        @Test
        void punchingWholeBlocksFreesThemAndReadsZerosWithoutChangingTheSize() throws Exception {
            writeNumberedBlocks(5);
            long free = freeBlocks();
            f.punchHole(BLOCK, 2 * BLOCK);
            assertEquals(5 * BLOCK, f.size());
            assertEquals(3, blocks());
            assertArrayEquals(blocksOf(1, 0, 0, 4, 5), readAll(f));
            assertEquals(free + 2, freeBlocks());
        }

        @Test
        void partialBlocksAtTheEdgesAreZeroedButStayAllocated() throws Exception {
            writeNumberedBlocks(4);
            f.punchHole(1000, 2 * BLOCK + 500); // [1000, 9692): frees block 1 only
            assertEquals(3, blocks());
            byte[] expect = blocksOf(1, 2, 3, 4);
            Arrays.fill(expect, 1000, 1000 + 2 * BLOCK + 500, (byte) 0);
            assertArrayEquals(expect, readAll(f));
            assertEquals(4 * BLOCK, f.size());
        }

        @Test
        void aPunchWithinOneBlockOnlyZeroes() throws Exception {
            writeNumberedBlocks(2);
            f.punchHole(BLOCK + 10, 20);
            assertEquals(2, blocks());
            byte[] expect = blocksOf(1, 2);
            Arrays.fill(expect, BLOCK + 10, BLOCK + 30, (byte) 0);
            assertArrayEquals(expect, readAll(f));
        }

        @Test
        void punchingPastEndOfFileKeepsTheSize() throws Exception {
            writeNumberedBlocks(3);
            f.punchHole(2 * BLOCK, 100 * BLOCK);
            assertEquals(3 * BLOCK, f.size());
            assertEquals(2, blocks());
            assertArrayEquals(blocksOf(1, 2, 0), readAll(f));
        }

        @Test
        void punchingAHoleIsIdempotent() throws Exception {
            writeNumberedBlocks(3);
            f.punchHole(BLOCK, BLOCK);
            f.punchHole(BLOCK, BLOCK);
            f.punchHole(0, 3 * BLOCK);
            assertEquals(0, blocks());
            assertArrayEquals(new byte[3 * BLOCK], readAll(f));
        }

        @Test
        void punchedBlocksAreAllocatedAfreshByALaterWrite() throws Exception {
            writeNumberedBlocks(3);
            f.punchHole(BLOCK, BLOCK);
            write(f, BLOCK + 100, utf8("x"));
            assertEquals(3, blocks());
            byte[] expect = blocksOf(1, 0, 3);
            expect[BLOCK + 100] = 'x';
            assertArrayEquals(expect, readAll(f));
        }
    }

    @Nested
    class ZeroRange {
        @Test
        void zeroRangeInsideTheFileZeroesAndKeepsTheBlocks() throws Exception {
            writeNumberedBlocks(3);
            f.zeroRange(1000, 2 * BLOCK);
            assertEquals(3 * BLOCK, f.size());
            assertEquals(3, blocks());
            byte[] expect = blocksOf(1, 2, 3);
            Arrays.fill(expect, 1000, 1000 + 2 * BLOCK, (byte) 0);
            assertArrayEquals(expect, readAll(f));
        }

        @Test
        void zeroRangeAllocatesHoles() throws Exception {
            write(f, 0, filled(BLOCK, 1));
            f.truncate(4 * BLOCK);
            assertEquals(1, blocks());
            f.zeroRange(BLOCK, 3 * BLOCK);
            assertEquals(4, blocks());
            assertArrayEquals(blocksOf(1, 0, 0, 0), readAll(f));
        }

        @Test
        void zeroRangePastEndOfFileExtendsTheSize() throws Exception {
            writeNumberedBlocks(1);
            f.zeroRange(BLOCK - 10, 10_000);              // up to 14086: blocks 0..3
            assertEquals(BLOCK - 10 + 10_000, f.size());
            assertEquals(4, blocks());
            byte[] expect = new byte[BLOCK - 10 + 10_000];
            Arrays.fill(expect, 0, BLOCK - 10, (byte) 1);
            assertArrayEquals(expect, readAll(f));
        }

        @Test
        void zeroRangeWithKeepSizeAllocatesButLeavesTheSize() throws Exception {
            writeNumberedBlocks(1);
            f.zeroRange(BLOCK / 2, 3 * BLOCK, true);
            assertEquals(BLOCK, f.size());
            assertEquals(4, blocks());
            byte[] expect = filled(BLOCK, 1);
            Arrays.fill(expect, BLOCK / 2, BLOCK, (byte) 0);
            assertArrayEquals(expect, readAll(f));
        }

        @Test
        void zeroRangeWithoutKeepSizeIsTheDefault() throws Exception {
            f.zeroRange(0, 100, false);
            assertEquals(100, f.size());
            f.zeroRange(0, 200);
            assertEquals(200, f.size());
        }
    }

    @Nested
    class CollapseRange {
        @Test
        void collapseRemovesTheRangeAndShiftsTheRestDown() throws Exception {
            writeNumberedBlocks(5);
            long free = freeBlocks();
            f.collapseRange(BLOCK, 2 * BLOCK);
            assertEquals(3 * BLOCK, f.size());
            assertEquals(3, blocks());
            assertArrayEquals(blocksOf(1, 4, 5), readAll(f));
            assertEquals(free + 2, freeBlocks());
        }

        @Test
        void collapseKeepsAPartialLastBlockAndHoles() throws Exception {
            writeNumberedBlocks(2);
            write(f, 4 * BLOCK, utf8("tail"));          // blocks: 1 2 _ _ t
            f.collapseRange(0, BLOCK);                  // blocks: 2 _ _ t
            assertEquals(3 * BLOCK + 4, f.size());
            assertEquals(2, blocks());
            byte[] all = readAll(f);
            assertArrayEquals(blocksOf(2, 0, 0), Arrays.copyOf(all, 3 * BLOCK));
            assertArrayEquals(utf8("tail"), Arrays.copyOfRange(all, 3 * BLOCK, all.length));
        }

        @Test
        void collapseWhenAHoleFollowsTheRange() throws Exception {
            writeNumberedBlocks(2);
            write(f, 3 * BLOCK, filled(BLOCK, 4));     // blocks: 1 2 _ 4
            f.collapseRange(BLOCK, BLOCK);             // blocks: 1 _ 4
            assertEquals(3 * BLOCK, f.size());
            assertEquals(2, blocks());
            assertArrayEquals(blocksOf(1, 0, 4), readAll(f));
        }

        @Test
        void collapseOfAHoleFollowedByAHole() throws Exception {
            write(f, 0, filled(BLOCK, 1));
            write(f, 5 * BLOCK, filled(BLOCK, 6));     // blocks: 1 _ _ _ _ 6
            f.collapseRange(BLOCK, 2 * BLOCK);         // blocks: 1 _ _ 6
            assertEquals(4 * BLOCK, f.size());
            assertArrayEquals(blocksOf(1, 0, 0, 6), readAll(f));
            assertEquals(3 * BLOCK, f.seekData(BLOCK));
        }

        @Test
        void writesRightBeforeACollapseAreNotLost() throws Exception {
            writeNumberedBlocks(4);
            write(f, 3 * BLOCK + 5, utf8("fresh"));
            f.collapseRange(BLOCK, BLOCK);
            byte[] expect = blocksOf(1, 3, 4);
            System.arraycopy(utf8("fresh"), 0, expect, 2 * BLOCK + 5, 5);
            assertArrayEquals(expect, readAll(f));
        }

        @Test
        void misalignedRangesAreEINVAL() throws Exception {
            writeNumberedBlocks(4);
            fails(Errno.EINVAL, () -> f.collapseRange(1, BLOCK));
            fails(Errno.EINVAL, () -> f.collapseRange(BLOCK, BLOCK - 1));
            fails(Errno.EINVAL, () -> f.collapseRange(BLOCK, BLOCK + 512));
            assertArrayEquals(blocksOf(1, 2, 3, 4), readAll(f));
        }

        @Test
        void aRangeReachingEndOfFileIsEINVAL() throws Exception {
            writeNumberedBlocks(4);
            fails(Errno.EINVAL, () -> f.collapseRange(2 * BLOCK, 2 * BLOCK)); // ends exactly at EOF
            fails(Errno.EINVAL, () -> f.collapseRange(2 * BLOCK, 8 * BLOCK));
            fails(Errno.EINVAL, () -> f.collapseRange(4 * BLOCK, BLOCK));
            assertEquals(4 * BLOCK, f.size());
            assertArrayEquals(blocksOf(1, 2, 3, 4), readAll(f));
        }
    }

    @Nested
    class InsertRange {
        @Test
        void insertAddsAHoleAndShiftsTheRestUp() throws Exception {
            writeNumberedBlocks(3);
            f.insertRange(BLOCK, 2 * BLOCK);
            assertEquals(5 * BLOCK, f.size());
            assertEquals(3, blocks(), "the inserted range is a hole");
            assertArrayEquals(blocksOf(1, 0, 0, 2, 3), readAll(f));
            assertEquals(BLOCK, f.seekHole(0));
            assertEquals(3 * BLOCK, f.seekData(BLOCK));
        }

        @Test
        void insertAtZeroShiftsEverything() throws Exception {
            byte[] data = pattern(2 * BLOCK + 7, 3);
            write(f, 0, data);
            f.insertRange(0, BLOCK);
            assertEquals(3 * BLOCK + 7, f.size());
            byte[] all = readAll(f);
            assertArrayEquals(new byte[BLOCK], Arrays.copyOf(all, BLOCK));
            assertArrayEquals(data, Arrays.copyOfRange(all, BLOCK, all.length));
        }

        @Test
        void insertThenCollapseRestoresTheFile() throws Exception {
            byte[] data = pattern(10 * BLOCK + 123, 4);
            write(f, 0, data);
            f.insertRange(3 * BLOCK, 4 * BLOCK);
            f.collapseRange(3 * BLOCK, 4 * BLOCK);
            assertArrayEquals(data, readAll(f));
            assertEquals(11, blocks());
        }

        @Test
        void misalignedRangesAreEINVAL() throws Exception {
            writeNumberedBlocks(3);
            fails(Errno.EINVAL, () -> f.insertRange(100, BLOCK));
            fails(Errno.EINVAL, () -> f.insertRange(BLOCK, 100));
            assertArrayEquals(blocksOf(1, 2, 3), readAll(f));
        }

        @Test
        void insertingAtOrPastEndOfFileIsEINVAL() throws Exception {
            writeNumberedBlocks(3);
            fails(Errno.EINVAL, () -> f.insertRange(3 * BLOCK, BLOCK));
            fails(Errno.EINVAL, () -> f.insertRange(10 * BLOCK, BLOCK));
            assertEquals(3 * BLOCK, f.size());
        }

        @Test
        void insertingBeyondTheMaximumFileSizeIsEFBIG() throws Exception {
            writeNumberedBlocks(1);
            write(f, (16L << 40) - BLOCK, utf8("end"));
            fails(Errno.EFBIG, () -> f.insertRange(0, BLOCK));
            assertEquals((16L << 40) - BLOCK + 3, f.size());
        }
    }

    @Nested
    class BadRanges {
        @Test
        void zeroOrNegativeLengthsAreEINVAL() throws Exception {
            writeNumberedBlocks(4);
            for (long len : new long[]{0, -1, -BLOCK}) {
                fails(Errno.EINVAL, () -> f.allocate(0, len, false));
                fails(Errno.EINVAL, () -> f.allocate(0, len, true));
                fails(Errno.EINVAL, () -> f.punchHole(0, len));
                fails(Errno.EINVAL, () -> f.zeroRange(0, len));
                fails(Errno.EINVAL, () -> f.zeroRange(0, len, true));
                fails(Errno.EINVAL, () -> f.collapseRange(0, len));
                fails(Errno.EINVAL, () -> f.insertRange(0, len));
            }
            assertArrayEquals(blocksOf(1, 2, 3, 4), readAll(f));
        }

        @Test
        void negativeOffsetsAreEINVAL() throws Exception {
            writeNumberedBlocks(4);
            fails(Errno.EINVAL, () -> f.allocate(-BLOCK, BLOCK, false));
            fails(Errno.EINVAL, () -> f.punchHole(-1, BLOCK));
            fails(Errno.EINVAL, () -> f.zeroRange(-1, BLOCK));
            fails(Errno.EINVAL, () -> f.collapseRange(-BLOCK, BLOCK));
            fails(Errno.EINVAL, () -> f.insertRange(-BLOCK, BLOCK));
        }

        @Test
        void rangesEndingBeyond16TiBAreEFBIG() throws Exception {
            long max = 16L << 40;
            fails(Errno.EFBIG, () -> f.allocate(max - BLOCK, 2 * BLOCK, false));
            fails(Errno.EFBIG, () -> f.zeroRange(max, 1));
            fails(Errno.EFBIG, () -> f.punchHole(Long.MAX_VALUE - 10, 100));
            assertEquals(0, f.size());
            assertEquals(0, blocks());
        }
    }
}
