package io.daxfs.api;

import io.daxfs.types.Errno;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** read and write: the three buffer kinds, EOF, holes, sizes and limits. */
class ReadWriteSpec extends FsSpec {
    static final long MAX_FILE = 16L << 40; // 16 TiB

    DaxFile f;

    @BeforeEach
    void openFile() throws Exception {
        f = fs.open("/f", CREATE, READ, WRITE);
    }

    @Nested
    class MemorySegments {
        @Test
        void writeReturnsTheWholeSizeAndReadReturnsTheBytes() throws Exception {
            byte[] data = pattern(1000, 1);
            assertEquals(1000, f.write(0, MemorySegment.ofArray(data)));
            MemorySegment dst = MemorySegment.ofArray(new byte[1000]);
            assertEquals(1000, f.read(0, dst));
            assertArrayEquals(data, dst.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }

        @Test
        void nativeSegmentsWorkAsWell() throws Exception {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocate(10_000);
                src.copyFrom(MemorySegment.ofArray(pattern(10_000, 2)));
                assertEquals(10_000, f.write(123, src));
                MemorySegment dst = arena.allocate(10_000);
                assertEquals(10_000, f.read(123, dst));
                assertEquals(-1, src.mismatch(dst));
            }
        }

        @Test
        void aReadNearEndOfFileIsShort() throws Exception {
            write(f, 0, pattern(100, 3));
            MemorySegment dst = MemorySegment.ofArray(filled(64, 0x7f));
            assertEquals(10, f.read(90, dst));
            byte[] got = dst.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            assertArrayEquals(Arrays.copyOfRange(pattern(100, 3), 90, 100), Arrays.copyOf(got, 10));
            assertArrayEquals(filled(54, 0x7f), Arrays.copyOfRange(got, 10, 64), "bytes past the count are untouched");
        }
    }

    @Nested
    class ByteBuffers {
        @Test
        void heapBufferWriteAndReadAdvanceThePosition() throws Exception {
            checkBuffers(ByteBuffer.allocate(300), ByteBuffer.allocate(300));
        }

        @Test
        void directBufferWriteAndReadAdvanceThePosition() throws Exception {
            checkBuffers(ByteBuffer.allocateDirect(300), ByteBuffer.allocateDirect(300));
        }

        private void checkBuffers(ByteBuffer src, ByteBuffer dst) throws Exception {
            byte[] data = pattern(300, 4);
            src.put(data).position(50).limit(250);   // remaining: data[50, 250)
            assertEquals(200, f.write(10, src));
            assertEquals(250, src.position());
            assertEquals(250, src.limit());
            assertEquals(210, f.size());

            dst.position(20).limit(120);             // room for 100 bytes
            assertEquals(100, f.read(10, dst));
            assertEquals(120, dst.position());
            byte[] got = new byte[100];
            dst.position(20);
            dst.get(got);
            assertArrayEquals(Arrays.copyOfRange(data, 50, 150), got);

            dst.clear();
            assertEquals(200, f.read(10, dst), "short read at EOF");
            assertEquals(200, dst.position());

            dst.clear().position(7);
            assertEquals(-1, f.read(210, dst), "EOF");
            assertEquals(7, dst.position(), "position unchanged at EOF");
        }

        @Test
        void aReadOnlyBufferCanBeWritten() throws Exception {
            ByteBuffer src = ByteBuffer.wrap(utf8("read-only source")).asReadOnlyBuffer();
            assertEquals(16, f.write(0, src));
            assertEquals(16, src.position());
            assertArrayEquals(utf8("read-only source"), readAll(f));
        }

        @Test
        void anEmptyBufferWritesNothing() throws Exception {
            assertEquals(0, f.write(5, ByteBuffer.allocate(0)));
            assertEquals(0, f.size());
        }
    }

    @Nested
    class ByteArrays {
        @Test
        void offsetAndLengthSelectThePartOfTheArray() throws Exception {
            byte[] data = utf8("0123456789");
            assertEquals(4, f.write(0, data, 3, 4));
            assertEquals(4, f.size());
            byte[] dst = filled(10, '.');
            assertEquals(4, f.read(0, dst, 5, 5));
            assertArrayEquals(utf8(".....3456."), dst);
        }

        @Test
        void anOffsetOrLengthOutsideTheArrayIsRefusedBeforeAnyChange() {
            byte[] data = new byte[10];
            org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> f.write(0, data, 8, 5));
            org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> f.read(0, data, -1, 2));
        }
    }

    @Nested
    class EndOfFile {
        @Test
        void readsAtOrPastEndOfFileReturnMinusOne() throws Exception {
            assertEquals(-1, f.read(0, new byte[1], 0, 1), "empty file");
            write(f, 0, utf8("abc"));
            assertEquals(-1, f.read(3, new byte[1], 0, 1));
            assertEquals(-1, f.read(4, new byte[1], 0, 1));
            assertEquals(-1, f.read(1L << 40, MemorySegment.ofArray(new byte[8])));
            assertEquals(1, f.read(2, new byte[5], 0, 5));
        }

        @Test
        void aZeroLengthReadReturnsZero() throws Exception {
            write(f, 0, utf8("abc"));
            assertEquals(0, f.read(1, new byte[0], 0, 0));
            assertEquals(0, f.read(3, MemorySegment.ofArray(new byte[0])));
        }

        @Test
        void aZeroLengthWriteChangesNothing() throws Exception {
            write(f, 0, utf8("abc"));
            assertEquals(0, f.write(100, new byte[0], 0, 0));
            assertEquals(3, f.size());
        }
    }

    @Nested
    class SizesAndHoles {
        @Test
        void writesGrowTheSizeButOverwritesDoNot() throws Exception {
            write(f, 0, pattern(5000, 5));
            assertEquals(5000, f.size());
            write(f, 1000, filled(100, 0xaa));
            assertEquals(5000, f.size());
            write(f, 4990, filled(20, 0xbb));
            assertEquals(5010, f.size());
            byte[] expect = Arrays.copyOf(pattern(5000, 5), 5010);
            Arrays.fill(expect, 1000, 1100, (byte) 0xaa);
            Arrays.fill(expect, 4990, 5010, (byte) 0xbb);
            assertArrayEquals(expect, readAll(f));
            assertEquals(5010, fs.stat("/f").size());
        }

        @Test
        void aWritePastEndOfFileLeavesAHoleThatReadsAsZeros() throws Exception {
            write(f, 0, utf8("head"));
            long at = 3L << 20; // 3 MiB
            write(f, at + 5, utf8("tail"));
            assertEquals(at + 9, f.size());
            byte[] all = readAll(f);
            assertArrayEquals(utf8("head"), Arrays.copyOf(all, 4));
            assertArrayEquals(new byte[(int) at + 1], Arrays.copyOfRange(all, 4, (int) at + 5));
            assertArrayEquals(utf8("tail"), Arrays.copyOfRange(all, (int) at + 5, (int) at + 9));
            // Only the two written blocks are allocated.
            assertEquals(2 * SECTORS_PER_BLOCK, f.stat().blocks());
        }

        @Test
        void aFileCanStartWithAHole() throws Exception {
            write(f, 10 * BLOCK + 7, utf8("x"));
            assertEquals(SECTORS_PER_BLOCK, f.stat().blocks());
            assertArrayEquals(new byte[10 * BLOCK + 7], read(f, 0, 10 * BLOCK + 7));
        }

        @Test
        void largeWritesAcrossManyBlocksReadBackExactly() throws Exception {
            byte[] data = pattern(8 << 20, 6);           // 8 MiB
            write(f, 777, data);                         // unaligned start and end
            assertEquals(777 + data.length, f.size());
            assertArrayEquals(data, read(f, 777, data.length));
            long blocks = (777 + data.length + BLOCK - 1) / BLOCK;
            assertEquals(blocks * SECTORS_PER_BLOCK, f.stat().blocks());
            // A read straddling many blocks at an odd offset.
            assertArrayEquals(Arrays.copyOfRange(data, 123_457, 123_457 + 3 * BLOCK + 11),
                    read(f, 777 + 123_457, 3 * BLOCK + 11));
        }

        @Test
        void manySmallUnalignedWritesComposeLikeOneBigOne() throws Exception {
            byte[] data = pattern(300_000, 7);
            for (int off = 0; off < data.length; ) {
                int n = Math.min(1 + (off * 31 % 9000), data.length - off);
                assertEquals(n, f.write(off, data, off, n));
                off += n;
            }
            assertArrayEquals(data, readAll(f));
        }

        @Test
        void writesFillingAHoleBetweenDataKeepTheNeighbours() throws Exception {
            write(f, 0, filled(BLOCK, 1));
            write(f, 4 * BLOCK, filled(BLOCK, 5));
            write(f, BLOCK - 10, filled(3 * BLOCK + 20, 9));
            byte[] expect = new byte[5 * BLOCK];
            Arrays.fill(expect, 0, BLOCK - 10, (byte) 1);
            Arrays.fill(expect, BLOCK - 10, 4 * BLOCK + 10, (byte) 9);
            Arrays.fill(expect, 4 * BLOCK + 10, 5 * BLOCK, (byte) 5);
            assertArrayEquals(expect, readAll(f));
            assertEquals(5 * SECTORS_PER_BLOCK, f.stat().blocks());
        }
    }

    @Nested
    class Limits {
        @Test
        void theLastByteOfA16TiBFileCanBeWritten() throws Exception {
            write(f, MAX_FILE - 1, utf8("z"));
            assertEquals(MAX_FILE, f.size());
            assertArrayEquals(utf8("z"), read(f, MAX_FILE - 1, 1));
            assertArrayEquals(new byte[16], read(f, MAX_FILE - 17, 16));
            assertEquals(SECTORS_PER_BLOCK, f.stat().blocks());
        }

        @Test
        void writesStartingAt16TiBOrBeyondAreEFBIG() throws Exception {
            fails(Errno.EFBIG, () -> f.write(MAX_FILE, utf8("x"), 0, 1));
            fails(Errno.EFBIG, () -> f.write(Long.MAX_VALUE - 1, utf8("xy"), 0, 2));
            fails(Errno.EFBIG, () -> f.write(MAX_FILE, ByteBuffer.wrap(utf8("xy"))));
            assertEquals(0, f.size());
            assertEquals(0, f.stat().blocks());
        }

        @Test
        void aWriteCrossing16TiBIsShortAndWritesWhatFits() throws Exception {
            assertEquals(1, f.write(MAX_FILE - 1, utf8("xy"), 0, 2), "POSIX: the bytes that fit, not EFBIG");
            assertEquals(MAX_FILE, f.size());
            assertArrayEquals(utf8("x"), read(f, MAX_FILE - 1, 1));
            ByteBuffer b = ByteBuffer.wrap(pattern(3 * BLOCK, 5));
            assertEquals(BLOCK, f.write(MAX_FILE - BLOCK, b), "a buffer's position moves by what was written");
            assertEquals(BLOCK, b.position());
            assertArrayEquals(java.util.Arrays.copyOf(pattern(3 * BLOCK, 5), BLOCK), read(f, MAX_FILE - BLOCK, BLOCK));
            fails(Errno.EFBIG, () -> f.write(MAX_FILE, utf8("z"), 0, 1), "and then nothing fits");
        }

        @Test
        void negativePositionsAreEINVAL() throws Exception {
            write(f, 0, utf8("abc"));
            fails(Errno.EINVAL, () -> f.read(-1, new byte[1], 0, 1));
            fails(Errno.EINVAL, () -> f.read(Long.MIN_VALUE, MemorySegment.ofArray(new byte[1])));
            fails(Errno.EINVAL, () -> f.write(-1, utf8("x"), 0, 1));
            fails(Errno.EINVAL, () -> f.write(-4096, ByteBuffer.wrap(utf8("x"))));
            assertArrayEquals(utf8("abc"), readAll(f));
        }
    }

    @Test
    void dataSurvivesClosingAndReopening() throws Exception {
        byte[] data = pattern(70_000, 8);
        write(f, 0, data);
        f.close();
        try (DaxFile g = fs.open("/f")) {
            assertArrayEquals(data, readAll(g));
        }
    }

    @org.junit.jupiter.api.AfterEach
    void closeFile() throws Exception {
        f.close();
    }
}
