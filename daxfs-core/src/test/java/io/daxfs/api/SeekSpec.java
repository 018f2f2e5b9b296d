package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * seekData / seekHole with Linux lseek(SEEK_DATA / SEEK_HOLE) semantics: holes and data are
 * tracked per 4 KiB block, end of file is an implicit hole, and any offset at or past end of
 * file is ENXIO.
 */
class SeekSpec extends FsSpec {
    DaxFile f;

    @BeforeEach
    void openFile() throws Exception {
        f = fs.open("/f", CREATE, READ, WRITE);
    }

    @AfterEach
    void closeFile() throws Exception {
        f.close();
    }

    @Nested
    class DataHoleDataHole {
        static final long SIZE = 6 * BLOCK;

        /** Layout: data [0, 4K) hole [4K, 12K) data [12K, 16K) hole [16K, 24K) = EOF. */
        @BeforeEach
        void layout() throws Exception {
            write(f, 0, filled(BLOCK, 1));
            write(f, 3 * BLOCK, filled(BLOCK, 2));
            f.truncate(SIZE);
        }

        @Test
        void seekDataFindsTheNextDataAtOrAfterTheOffset() throws Exception {
            assertEquals(0, f.seekData(0));
            assertEquals(100, f.seekData(100), "inside data: the offset itself");
            assertEquals(BLOCK - 1, f.seekData(BLOCK - 1));
            assertEquals(3 * BLOCK, f.seekData(BLOCK));
            assertEquals(3 * BLOCK, f.seekData(BLOCK + 5000));
            assertEquals(3 * BLOCK + 5, f.seekData(3 * BLOCK + 5));
        }

        @Test
        void seekDataInTheFinalHoleIsENXIO() throws Exception {
            fails(Errno.ENXIO, () -> f.seekData(4 * BLOCK));
            fails(Errno.ENXIO, () -> f.seekData(SIZE - 1));
        }

        @Test
        void seekHoleFindsTheNextHoleAtOrAfterTheOffset() throws Exception {
            assertEquals(BLOCK, f.seekHole(0));
            assertEquals(BLOCK, f.seekHole(BLOCK - 1));
            assertEquals(BLOCK, f.seekHole(BLOCK), "inside a hole: the offset itself");
            assertEquals(2 * BLOCK + 1, f.seekHole(2 * BLOCK + 1));
            assertEquals(4 * BLOCK, f.seekHole(3 * BLOCK));
            assertEquals(5 * BLOCK, f.seekHole(5 * BLOCK));
            assertEquals(SIZE - 1, f.seekHole(SIZE - 1));
        }

        @Test
        void offsetsAtOrPastEndOfFileAreENXIO() throws Exception {
            fails(Errno.ENXIO, () -> f.seekData(SIZE));
            fails(Errno.ENXIO, () -> f.seekHole(SIZE));
            fails(Errno.ENXIO, () -> f.seekData(SIZE + 1));
            fails(Errno.ENXIO, () -> f.seekHole(1L << 50));
        }

        @Test
        void walkingTheFileVisitsEveryDataRegionOnce() throws Exception {
            StringBuilder regions = new StringBuilder();
            long pos = 0;
            while (true) {
                long data;
                try {
                    data = f.seekData(pos);
                } catch (DaxException e) {
                    assertEquals(Errno.ENXIO, e.errno());
                    break;
                }
                long hole = f.seekHole(data);
                regions.append('[').append(data).append(',').append(hole).append(')');
                if (hole >= SIZE) {
                    break;
                }
                pos = hole;
            }
            assertEquals("[0,4096)[12288,16384)", regions.toString());
        }
    }

    @Test
    void aFileWithoutHolesHasOnlyTheImplicitHoleAtEndOfFile() throws Exception {
        write(f, 0, pattern(5000, 1));
        assertEquals(0, f.seekData(0));
        assertEquals(4999, f.seekData(4999));
        assertEquals(5000, f.seekHole(0), "EOF, not the end of the last block");
        assertEquals(5000, f.seekHole(4500));
    }

    @Test
    void anEmptyFileIsENXIOEverywhere() throws Exception {
        fails(Errno.ENXIO, () -> f.seekData(0));
        fails(Errno.ENXIO, () -> f.seekHole(0));
    }

    @Test
    void aSparseFileWithoutDataIsOneHole() throws Exception {
        f.truncate(10 * BLOCK);
        fails(Errno.ENXIO, () -> f.seekData(0));
        assertEquals(0, f.seekHole(0));
        assertEquals(7 * BLOCK + 3, f.seekHole(7 * BLOCK + 3));
    }

    @Test
    void dataAtTheEndAfterALeadingHole() throws Exception {
        write(f, 8 * BLOCK + 10, utf8("x"));
        assertEquals(8 * BLOCK, f.seekData(0), "whole blocks: the data region starts at its block");
        assertEquals(0, f.seekHole(0));
        assertEquals(8 * BLOCK + 11, f.seekHole(8 * BLOCK));
    }

    @Test
    void punchedBlocksBecomeHolesAndRewrittenOnesData() throws Exception {
        write(f, 0, filled(4 * BLOCK, 9));
        f.punchHole(BLOCK, 2 * BLOCK);
        assertEquals(BLOCK, f.seekHole(0));
        assertEquals(3 * BLOCK, f.seekData(BLOCK));
        write(f, 2 * BLOCK, utf8("y"));
        assertEquals(2 * BLOCK, f.seekData(BLOCK));
        assertEquals(BLOCK, f.seekHole(0));
        assertEquals(BLOCK, f.seekHole(BLOCK));
        assertEquals(4 * BLOCK, f.seekHole(2 * BLOCK));
    }

    @Test
    void preallocatedBlocksCountAsData() throws Exception {
        // daxfs has no unwritten extents: fallocated blocks are zeroed data (Linux allows either answer).
        f.allocate(0, 2 * BLOCK, false);
        f.truncate(4 * BLOCK);
        assertEquals(0, f.seekData(0));
        assertEquals(2 * BLOCK, f.seekHole(0));
    }

    @Test
    void blocksPreallocatedPastEndOfFileDoNotMoveTheImplicitHole() throws Exception {
        write(f, 0, utf8("abc"));
        f.allocate(0, 8 * BLOCK, true);
        assertEquals(3, f.seekHole(0));
        fails(Errno.ENXIO, () -> f.seekData(3));
    }

    @Test
    void negativeOffsetsAreENXIOAsOnLinux() throws Exception {
        write(f, 0, utf8("abc"));
        fails(Errno.ENXIO, () -> f.seekData(-1));
        fails(Errno.ENXIO, () -> f.seekHole(-1));
    }

    @Test
    void seekingWorksOnReadOnlyHandles() throws Exception {
        write(f, 2 * BLOCK, utf8("abc"));
        try (DaxFile r = fs.open("/f")) {
            assertEquals(2 * BLOCK, r.seekData(0));
            assertEquals(0, r.seekHole(0));
        }
    }
}
