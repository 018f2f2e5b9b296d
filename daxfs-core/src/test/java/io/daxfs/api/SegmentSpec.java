package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.Errno;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DaxFile#mapSegment}: a file range as one segment of device memory, stitched from the
 * file's extents by the host kernel; what it shows, what stores through it do, and what happens
 * to it when the file's layout changes under it, when its arena closes and at unmount.
 */
class SegmentSpec extends FsSpec {
    static final long MIB = 1 << 20;

    DaxFile open(String path) throws DaxException {
        return fs.open(path, CREATE, READ, WRITE);
    }

    static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void aReadOnlySegmentIsTheFileWithFragmentedExtentsAndHolesInOneRange() throws Exception {
        try (DaxFile a = open("/a"); DaxFile b = open("/b"); Arena arena = Arena.ofConfined()) {
            // Free space mostly in single blocks: the volume full, then every other block of a
            // spacer punched (the metadata reserve, some contiguous blocks, stays free too).
            write(b, 0, pattern(400 * BLOCK, 2));
            fillWithOtherFile("/full", (byte) 1);
            for (int k = 1; k < 400; k += 2) {
                b.punchHole((long) k * BLOCK, BLOCK);
            }
            fs.sync();
            byte[] da = pattern(150 * BLOCK + 123, 1);
            write(a, 0, da);
            a.truncate(3 * MIB); // a hole from block 151 on
            write(a, 3 * MIB - 10, pattern(10, 3));
            long blocks = fs.stat("/a").blocks();
            io.daxfs.types.FileExtents ext = a.extents();
            assertTrue(ext.extents() >= 20, "the file's blocks lie apart on the device: " + ext);
            assertEquals(0, ext.hugeAlignedBytes());
            assertEquals(152L * BLOCK, ext.allocatedBytes(), "data blocks only (stat counts the extent blocks too)");

            MemorySegment s = a.mapSegment(0, 3 * MIB, DaxMapMode.READ_ONLY, arena);
            assertEquals(3 * MIB, s.byteSize());
            assertTrue(s.isReadOnly());
            assertArrayEquals(readAll(a), bytes(s));
            assertEquals(0, s.get(ValueLayout.JAVA_LONG_UNALIGNED, 2 * MIB), "a hole reads as zeros");
            assertThrows(IllegalArgumentException.class, () -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            assertEquals(blocks, fs.stat("/a").blocks(), "mapping read-only allocates nothing");
            assertEquals(1, fs.stats().segments());
            assertTrue(fs.stats().segmentRuns() >= 20, "one run per piece: " + fs.stats().segmentRuns());
        }
    }

    /**
     * The JDK's file channels close when a thread inside one is interrupted: an interrupted
     * thread still maps (its interrupt stays set), and so does everyone after it.
     */
    @Test
    void anInterruptedThreadMapsAndKeepsItsInterruptAndSoDoesEveryoneAfterIt() throws Exception {
        try (DaxFile a = open("/a"); Arena arena = Arena.ofShared()) {
            write(a, 0, pattern(2 * BLOCK, 17));
            Thread.currentThread().interrupt();
            MemorySegment s;
            try {
                s = a.mapSegment(0, 2 * BLOCK, DaxMapMode.READ_ONLY, arena);
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt is kept (and cleared here)");
            }
            assertArrayEquals(readAll(a), bytes(s));
            Thread other = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    a.mapSegment(0, BLOCK, DaxMapMode.READ_ONLY, arena);
                } catch (DaxException e) {
                    throw new AssertionError(e);
                }
            });
            other.start();
            other.join();
            assertEquals(2 * BLOCK, a.mapSegment(0, 2 * BLOCK, DaxMapMode.READ_ONLY, arena).byteSize());
        }
    }

    @Test
    void aSegmentIsAMappedSegmentOfTheCallersOwnArena() throws Exception {
        try (DaxFile a = open("/a"); Arena arena = Arena.ofConfined()) {
            write(a, 0, pattern(3 * BLOCK, 14));
            MemorySegment s = a.mapSegment(0, 3 * BLOCK, DaxMapMode.READ_WRITE, arena);
            assertTrue(s.isMapped(), "load, isLoaded, unload and force work as on the JDK's own mapped segments");
            assertEquals(arena.scope(), s.scope());
            s.load();
            assertTrue(s.isLoaded());
            s.set(ValueLayout.JAVA_INT_UNALIGNED, 100, 77);
            s.force(); // msync of the range
            s.unload(); // drops the page-table entries only: the bytes are the file's
            assertEquals(77, s.get(ValueLayout.JAVA_INT_UNALIGNED, 100));
            assertArrayEquals(bytes(s.asSlice(100, 4)), read(a, 100, 4));
        }
    }

    @Test
    void anUnalignedRangeStartsAtItsOwnByte() throws Exception {
        try (DaxFile a = open("/a"); Arena arena = Arena.ofConfined()) {
            byte[] d = pattern(5 * BLOCK, 4);
            write(a, 0, d);
            MemorySegment s = a.mapSegment(BLOCK + 77, 2 * BLOCK, DaxMapMode.READ_ONLY, arena);
            assertArrayEquals(java.util.Arrays.copyOfRange(d, BLOCK + 77, 3 * BLOCK + 77), bytes(s));
        }
    }

    @Test
    void aReadWriteSegmentGetsBlocksForItsHolesAndSharesStoresBothWays() throws Exception {
        try (DaxFile a = open("/a"); Arena arena = Arena.ofShared()) {
            a.truncate(3 * MIB);
            long free = freeBlocks();
            MemorySegment s = a.mapSegment(0, 3 * MIB, DaxMapMode.READ_WRITE, arena);
            assertEquals(2 * MIB, a.extents().hugeAlignedBytes(), "write faults gave the first 2 MiB one aligned run");
            assertEquals(3 * MIB / BLOCK, fs.stat("/a").blocks() / SECTORS_PER_BLOCK, "holes get blocks at map time");
            assertTrue(free - freeBlocks() >= 3 * MIB / BLOCK);
            assertEquals(0, s.get(ValueLayout.JAVA_LONG_UNALIGNED, MIB + 8), "new blocks are zeroed");
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, 2 * MIB + 5, 0x1122334455667788L);
            assertArrayEquals(bytes(s.asSlice(2 * MIB + 5, 8)), read(a, 2 * MIB + 5, 8), "a store is in the file");
            write(a, 77, pattern(9000, 5));
            assertArrayEquals(pattern(9000, 5), bytes(s.asSlice(77, 9000)), "a write is in the segment");
            a.fsync(); // writes back the whole segment: must not fail or change anything
            assertArrayEquals(readAll(a), bytes(s));
        }
    }

    @Test
    void aPrivateSegmentCopiesOnWriteAndNeverChangesTheFile() throws Exception {
        try (DaxFile a = open("/a"); Arena arena = Arena.ofConfined()) {
            byte[] d = pattern(4 * BLOCK, 6);
            write(a, 0, d);
            a.truncate(8 * BLOCK);
            MemorySegment s = a.mapSegment(0, 8 * BLOCK, DaxMapMode.PRIVATE, arena);
            s.set(ValueLayout.JAVA_BYTE, 10, (byte) ~d[10]);
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, 6 * BLOCK, -1L); // in a hole
            assertEquals((byte) ~d[10], s.get(ValueLayout.JAVA_BYTE, 10));
            assertEquals(-1L, s.get(ValueLayout.JAVA_LONG_UNALIGNED, 6 * BLOCK));
            assertArrayEquals(d, read(a, 0, d.length), "the file keeps its bytes");
            assertEquals(0, read(a, 6 * BLOCK, 8)[0]);
            assertEquals(4, fs.stat("/a").blocks() / SECTORS_PER_BLOCK, "a private store allocates nothing");
            assertEquals(d[BLOCK + 1], s.get(ValueLayout.JAVA_BYTE, BLOCK + 1), "untouched pages show the file");
        }
    }

    /**
     * The rule that keeps a segment from reaching another file's data: a truncate frees the
     * blocks, but they are not reused while the segment reaches them. Filling the file system
     * with another file would take them otherwise.
     */
    @Test
    void aTruncatedRangeStaysOnItsBlocksWhichNoOtherFileGetsUntilTheArenaCloses() throws Exception {
        byte[] d = pattern((int) (2 * MIB), 7);
        MemorySegment s;
        long freeWhileMapped;
        try (DaxFile a = open("/a")) {
            write(a, 0, d);
            try (Arena arena = Arena.ofConfined()) {
                s = a.mapSegment(0, d.length, DaxMapMode.READ_WRITE, arena);
                a.truncate(0);
                fs.sync();
                fillWithOtherFile("/other", (byte) 0x5a);
                assertArrayEquals(d, bytes(s), "the segment still shows its own blocks, not the other file's");
                s.fill((byte) 0x33); // stores land in the freed blocks, which nobody else has
                assertOnly("/other", (byte) 0x5a);
                assertEquals(0, a.size());
                freeWhileMapped = freeBlocks();
            }
            assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0), "closed with its arena");
            fs.unlink("/other");
            fs.sync();
            fillWithOtherFile("/again", (byte) 0x66);
            assertTrue(fs.stat("/again").blocks() / SECTORS_PER_BLOCK >= d.length / BLOCK,
                    "the blocks are reused once the segment is gone (" + freeWhileMapped + " free while mapped)");
            assertOnly("/again", (byte) 0x66);
        }
    }

    @Test
    void aPunchedRangeStaysOnItsBlocksToo() throws Exception {
        byte[] d = pattern((int) MIB, 8);
        try (DaxFile a = open("/a"); Arena arena = Arena.ofConfined()) {
            write(a, 0, d);
            MemorySegment s = a.mapSegment(0, d.length, DaxMapMode.READ_ONLY, arena);
            a.punchHole(0, d.length);
            fs.sync();
            fillWithOtherFile("/other", (byte) 0x5a);
            assertArrayEquals(d, bytes(s));
            assertEquals(0, read(a, 5000, 1)[0], "the file has a hole there now");
        }
    }

    /** Writes a file of {@code value} until the file system is full (a short write or ENOSPC ends it). */
    void fillWithOtherFile(String path, byte value) throws DaxException {
        byte[] chunk = filled((int) (256 * 1024), value);
        try (DaxFile f = open(path)) {
            long pos = 0;
            try {
                for (int n; (n = f.write(pos, chunk, 0, chunk.length)) == chunk.length; ) {
                    pos += n;
                }
            } catch (DaxException e) {
                assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
            }
        }
    }

    void assertOnly(String path, byte value) throws DaxException {
        try (DaxFile f = fs.open(path, READ)) {
            byte[] all = readAll(f);
            long pos = f.size() - (f.size() % BLOCK);
            for (int i = 0; i < pos; i++) {
                if (all[i] != value) {
                    throw new AssertionError(path + " byte " + i + " is " + all[i] + ", not " + value);
                }
            }
        }
    }

    @Test
    void anUnlinkedFileKeepsItsBlocksUntilItsSegmentIsUnmapped() throws Exception {
        Arena arena = Arena.ofShared();
        long before = freeBlocks();
        try (DaxFile a = open("/a")) {
            write(a, 0, pattern((int) MIB, 9));
            a.mapSegment(0, MIB, DaxMapMode.READ_ONLY, arena);
        }
        fs.unlink("/a");
        fs.sync();
        assertTrue(before - freeBlocks() >= MIB / BLOCK, "the segment holds the file open");
        arena.close();
        fs.sync();
        assertTrue(before - freeBlocks() < MIB / BLOCK, "closing the arena let the file go");
    }

    @Test
    void atUnmountASegmentIsDetachedAndReadsZeros() throws Exception {
        Arena arena = Arena.ofShared();
        try (DaxFile a = open("/a")) {
            write(a, 0, pattern(3 * BLOCK, 10));
            MemorySegment s = a.mapSegment(0, 3 * BLOCK, DaxMapMode.READ_WRITE, arena);
            fs.close();
            assertEquals(0, s.get(ValueLayout.JAVA_LONG_UNALIGNED, 100), "reaches the device no more");
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, 100, 42L); // safe to touch: private memory now
            assertEquals(42L, s.get(ValueLayout.JAVA_LONG_UNALIGNED, 100));
        } catch (DaxException e) {
            assertEquals(Errno.EBADF, e.errno()); // closing the handle after unmount
        } finally {
            arena.close();
            fs = DaxFileSystem.formatMemory(deviceSize()); // for the fixture's unmount
        }
    }

    @Test
    void accessIsCheckedAsForAMapping() throws Exception {
        try (DaxFile a = open("/a")) {
            write(a, 0, pattern(BLOCK, 11));
        }
        fs.mkdir("/d", 0755);
        try (DaxFile ro = fs.open("/a", READ); Arena arena = Arena.ofConfined()) {
            fails(Errno.EACCES, () -> ro.mapSegment(0, BLOCK, DaxMapMode.READ_WRITE, arena));
            assertEquals(BLOCK, ro.mapSegment(0, BLOCK, DaxMapMode.PRIVATE, arena).byteSize(),
                    "copy-on-write needs read access only");
        }
        try (DaxFile a = open("/a"); Arena arena = Arena.ofConfined()) {
            assertEquals(0, a.mapSegment(0, 0, DaxMapMode.READ_WRITE, arena).byteSize());
            fails(Errno.SIGBUS, () -> a.mapSegment(2 * BLOCK, BLOCK, DaxMapMode.READ_ONLY, arena),
                    "a range past end of file");
        }
        Arena closed = Arena.ofConfined();
        closed.close();
        try (DaxFile a = open("/a")) {
            assertThrows(IllegalStateException.class, () -> a.mapSegment(0, BLOCK, DaxMapMode.READ_ONLY, closed));
        }
    }

    @Test
    void aSegmentOfAConfinedArenaIsUsableByItsOwnerOnly() throws Exception {
        try (DaxFile a = open("/a"); Arena arena = Arena.ofConfined()) {
            write(a, 0, pattern(BLOCK, 12));
            MemorySegment s = a.mapSegment(0, BLOCK, DaxMapMode.READ_ONLY, arena);
            AtomicReference<Throwable> got = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    s.get(ValueLayout.JAVA_BYTE, 0);
                } catch (Throwable e) {
                    got.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(got.get() instanceof WrongThreadException, String.valueOf(got.get()));
        }
    }

    /** Readers of a segment keep reading while the file is truncated and regrown under them. */
    @Test
    void readersOfASegmentNeverFailWhileTheFileIsTruncatedUnderThem() throws Exception {
        byte[] d = pattern((int) MIB, 13);
        try (DaxFile a = open("/a"); Arena arena = Arena.ofShared()) {
            write(a, 0, d);
            MemorySegment s = a.mapSegment(0, d.length, DaxMapMode.READ_ONLY, arena);
            CountDownLatch started = new CountDownLatch(2);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long expected = MemorySegment.ofArray(d).get(ValueLayout.JAVA_LONG_UNALIGNED, 4096 * 7);
            Thread[] readers = new Thread[2];
            for (int i = 0; i < readers.length; i++) {
                readers[i] = new Thread(() -> {
                    started.countDown();
                    try {
                        for (int k = 0; k < 200_000; k++) {
                            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, 4096 * 7) != expected) {
                                throw new AssertionError("the segment changed");
                            }
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                readers[i].start();
            }
            started.await();
            for (int k = 0; k < 20; k++) {
                a.truncate(0);
                write(a, 0, pattern((int) MIB, 100 + k));
            }
            for (Thread t : readers) {
                t.join();
            }
            assertNull(failure.get());
            assertFalse(bytes(s).length == 0);
        }
    }
}
