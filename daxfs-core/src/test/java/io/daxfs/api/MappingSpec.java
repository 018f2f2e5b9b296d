package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxFaultException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.types.DaxStats;
import io.daxfs.types.Errno;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DaxFile#map} and {@link DaxMapping}: what a mapped access sees and does. */
class MappingSpec extends FsSpec {
    static final long MIB = 1 << 20;

    DaxFile file(String path, long size) throws Exception {
        DaxFile f = fs.open(path, CREATE, READ, WRITE);
        if (size > 0) {
            f.truncate(size);
        }
        return f;
    }

    static Errno faultErrno(Runnable r) {
        DaxFaultException e = assertThrows(DaxFaultException.class, r::run);
        return e.errno();
    }

    @Nested
    class Reads {
        @Test
        void seeWhatWriteWrote() throws Exception {
            try (DaxFile f = file("/f", 0)) {
                byte[] data = pattern(3 * BLOCK + 100, 1);
                f.write(0, data, 0, data.length);
                try (DaxMapping m = f.map(0, 4 * BLOCK, DaxMapMode.READ_ONLY)) {
                    byte[] got = new byte[data.length];
                    m.copyTo(0, MemorySegment.ofArray(got));
                    assertArrayEquals(data, got);
                    assertEquals(data[5000], m.getByte(5000));
                    assertEquals(MemorySegment.ofArray(data).get(ValueLayout.JAVA_LONG_UNALIGNED, 4093), m.getLong(4093),
                            "a load crossing a page boundary");
                    assertEquals(0, m.getByte(data.length), "the tail of the last page past EOF reads as zero");
                }
            }
        }

        @Test
        void ofAHoleSeeZerosThroughTheZeroPage() throws Exception {
            try (DaxFile f = file("/f", 8 * MIB); DaxMapping m = f.map(0, 8 * MIB, DaxMapMode.READ_ONLY)) {
                assertEquals(0, m.getLong(3 * MIB + 8));
                assertEquals(0, m.getLong(12345));
                assertEquals(0, fs.stat("/f").blocks(), "a read fault allocates nothing");
                assertTrue(fs.stats().zeroPageMappings() >= 1);
            }
        }

        @Test
        void pastEndOfFileFailWithSigbus() throws Exception {
            try (DaxFile f = file("/f", 100); DaxMapping m = f.map(0, 16 * BLOCK, DaxMapMode.READ_WRITE)) {
                assertEquals(0, m.getByte(4000));
                assertEquals(Errno.SIGBUS, faultErrno(() -> m.getByte(BLOCK)));
                assertEquals(Errno.SIGBUS, faultErrno(() -> m.setLong(5 * BLOCK, 1)));
                f.truncate(6 * BLOCK);
                m.setLong(5 * BLOCK, 7);
                assertEquals(7, m.getLong(5 * BLOCK), "the file grew: the page exists now");
            }
        }

        @Test
        void outsideTheMappingAreOutOfBounds() throws Exception {
            try (DaxFile f = file("/f", MIB); DaxMapping m = f.map(0, 2 * BLOCK, DaxMapMode.READ_ONLY)) {
                assertThrows(IndexOutOfBoundsException.class, () -> m.getLong(2 * BLOCK - 4));
                assertThrows(IndexOutOfBoundsException.class, () -> m.getByte(-1));
            }
        }
    }

    @Nested
    class Writes {
        @Test
        void reachTheFile() throws Exception {
            try (DaxFile f = file("/f", 4 * MIB); DaxMapping m = f.map(0, 4 * MIB, DaxMapMode.READ_WRITE)) {
                m.setLong(100, 0x1122334455667788L);
                m.setInt(3 * MIB + 4094, 0xCAFEBABE);
                byte[] b = new byte[8];
                f.read(100, b, 0, 8);
                assertEquals(0x1122334455667788L, MemorySegment.ofArray(b).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                f.read(3 * MIB + 4094, b, 0, 4);
                assertEquals(0xCAFEBABE, MemorySegment.ofArray(b).get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            }
        }

        @Test
        void toAHoleAllocateZeroedBlocks() throws Exception {
            try (DaxFile f = file("/f", 64 * BLOCK);
                 DaxMapping m = f.map(0, 64 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES)) {
                m.setByte(10 * BLOCK + 1, (byte) 9);
                assertEquals(BLOCK / 512, fs.stat("/f").blocks(), "one block allocated");
                for (int i = 0; i < BLOCK; i += 8) {
                    if (i != 0) {
                        assertEquals(0, m.getLong(10 * BLOCK + i), "fresh block is zeroed");
                    }
                }
            }
        }

        @Test
        void toAReadOnlyMappingFailWithEacces() throws Exception {
            try (DaxFile f = file("/f", MIB); DaxMapping m = f.map(0, MIB, DaxMapMode.READ_ONLY)) {
                assertEquals(Errno.EACCES, faultErrno(() -> m.setByte(0, (byte) 1)));
                assertTrue(m.window(0).isReadOnly(), "its windows are read-only");
                f.write(0, new byte[]{1}, 0, 1);
                assertTrue(m.window(0).isReadOnly(), "also over real blocks");
            }
        }

        @Test
        void byWriteAfterAZeroPageReadAreSeenByTheMapping() throws Exception {
            try (DaxFile f = file("/f", 4 * BLOCK); DaxMapping m = f.map(0, 4 * BLOCK, DaxMapMode.READ_ONLY)) {
                assertEquals(0, m.getLong(BLOCK));
                f.write(BLOCK, new byte[]{1, 2, 3, 4, 5, 6, 7, 8}, 0, 8);
                assertEquals(MemorySegment.ofArray(new byte[]{1, 2, 3, 4, 5, 6, 7, 8}).get(ValueLayout.JAVA_LONG_UNALIGNED, 0),
                        m.getLong(BLOCK), "write() invalidated the zero-page entry");
            }
        }

        @Test
        void throughAPrivateMappingStayPrivate() throws Exception {
            try (DaxFile f = file("/f", 0)) {
                f.write(0, pattern(2 * BLOCK, 3), 0, 2 * BLOCK);
                try (DaxMapping p = f.map(0, 4 * BLOCK, DaxMapMode.PRIVATE);
                     DaxMapping s = f.map(0, 4 * BLOCK, DaxMapMode.READ_ONLY)) {
                    byte before = s.getByte(17);
                    p.setByte(17, (byte) (before + 1));
                    assertEquals((byte) (before + 1), p.getByte(17));
                    assertEquals(before, s.getByte(17), "the file is unchanged");
                    assertEquals(pattern(2 * BLOCK, 3)[18], p.getByte(18), "the rest of the page was copied");
                }
            }
            assertEquals(pattern(2 * BLOCK, 3)[17], readAll("/f")[17]);
        }
    }

    @Nested
    class HugePages {
        @Test
        void mapAligned2MiBRunsWithOneFaultEach() throws Exception {
            try (DaxFile f = file("/f", 0)) {
                f.allocate(0, 16 * MIB, false);
                DaxStats before = fs.stats();
                try (DaxMapping m = f.map(0, 16 * MIB, DaxMapMode.READ_WRITE)) {
                    for (long off = 0; off < 16 * MIB; off += BLOCK) {
                        m.setLong(off, off);
                    }
                    for (long off = 0; off < 16 * MIB; off += BLOCK) {
                        assertEquals(off, m.getLong(off));
                    }
                    assertEquals(2 * MIB, m.window(0).byteSize(), "a 2 MiB window");
                }
                DaxStats after = fs.stats();
                assertEquals(8, after.faults2m() - before.faults2m());
                assertEquals(0, after.faults4k() - before.faults4k());
            }
        }

        @Test
        void fallBackAtEndOfFile() throws Exception {
            try (DaxFile f = file("/f", 3 * MIB); DaxMapping m = f.map(0, 4 * MIB, DaxMapMode.READ_WRITE)) {
                m.setLong(2 * MIB + 8, 1);
                assertEquals(1L, (long) fs.stats().fallbacks().get("END_OF_FILE"));
            }
        }

        @Test
        void fallBackOverSmallEntries() throws Exception {
            try (DaxFile f = file("/f", 4 * MIB)) {
                try (DaxMapping small = f.map(0, 4 * MIB, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES)) {
                    small.setLong(8, 1);
                }
                try (DaxMapping m = f.map(0, 4 * MIB, DaxMapMode.READ_ONLY)) {
                    assertEquals(1, m.getLong(8));
                    assertEquals(1L, (long) fs.stats().fallbacks().get("CONFLICT"));
                }
            }
        }
    }

    @Nested
    class LayoutChanges {
        @Test
        void truncateRevokesAndLaterAccessFails() throws Exception {
            try (DaxFile f = file("/f", 4 * MIB); DaxMapping m = f.map(0, 4 * MIB, DaxMapMode.READ_WRITE)) {
                m.setLong(3 * MIB, 42);
                MemorySegment w = m.window(3 * MIB);
                f.truncate(MIB);
                assertThrows(IllegalStateException.class, () -> w.get(ValueLayout.JAVA_BYTE, 0), "the window was revoked");
                assertEquals(Errno.SIGBUS, faultErrno(() -> m.getLong(3 * MIB)));
                f.truncate(4 * MIB);
                assertEquals(0, m.getLong(3 * MIB), "the freed block is not seen again");
                assertTrue(fs.stats().revocations() > 0);
            }
        }

        @Test
        void punchHoleMakesMappedDataReadZero() throws Exception {
            try (DaxFile f = file("/f", MIB); DaxMapping m = f.map(0, MIB, DaxMapMode.READ_WRITE)) {
                m.setLong(5 * BLOCK, -1);
                f.punchHole(4 * BLOCK, 4 * BLOCK);
                assertEquals(0, m.getLong(5 * BLOCK));
            }
        }

        @Test
        void collapseShiftsWhatTheMappingSees() throws Exception {
            try (DaxFile f = file("/f", 8 * BLOCK); DaxMapping m = f.map(0, 8 * BLOCK, DaxMapMode.READ_WRITE)) {
                m.setLong(4 * BLOCK, 44);
                f.collapseRange(0, 2 * BLOCK);
                assertEquals(44, m.getLong(2 * BLOCK));
            }
        }

        @Test
        void aPinnedPageDelaysTruncateUntilUnpinned() throws Exception {
            try (DaxFile f = file("/f", 4 * BLOCK); DaxMapping m = f.map(0, 4 * BLOCK, DaxMapMode.READ_WRITE)) {
                m.setLong(BLOCK, 5);
                DaxPin pin = m.pin(BLOCK, 8);
                CountDownLatch started = new CountDownLatch(1);
                CompletableFuture<Void> trunc = CompletableFuture.runAsync(() -> {
                    started.countDown();
                    try {
                        f.truncate(0);
                    } catch (DaxException e) {
                        throw new RuntimeException(e);
                    }
                });
                started.await();
                // The truncate cannot finish while the pin is held; it waits, not fails.
                while (fs.stats().layoutBreakWaits() == 0) {
                    Thread.onSpinWait();
                }
                assertFalse(trunc.isDone());
                assertEquals(5, m.getLong(BLOCK), "the pinned page keeps its data meanwhile");
                pin.close();
                trunc.get(30, TimeUnit.SECONDS);
                assertEquals(0, f.size());
            }
        }
    }

    @Nested
    class Lifetime {
        @Test
        void aMappingKeepsAnUnlinkedFileAlive() throws Exception {
            DaxMapping m;
            try (DaxFile f = file("/f", MIB)) {
                m = f.map(0, MIB, DaxMapMode.READ_WRITE);
            }
            fs.unlink("/f");
            m.setLong(0, 3);
            assertEquals(3, m.getLong(0));
            long free = fs.statfs().freeBlocks();
            m.close();
            assertTrue(fs.statfs().freeBlocks() >= free, "closing the mapping freed the file");
            assertEquals(Errno.EBADF, faultErrno(() -> m.getLong(0)));
        }

        @Test
        void unmountRevokesMappings() throws Exception {
            DaxFile f = file("/f", MIB);
            DaxMapping m = f.map(0, MIB, DaxMapMode.READ_WRITE);
            m.setLong(0, 1);
            MemorySegment w = m.window(0);
            fs.close();
            fs = null;
            assertThrows(IllegalStateException.class, () -> w.get(ValueLayout.JAVA_BYTE, 0));
            assertTrue(m.isClosed());
        }

        @Test
        void msyncMakesStoresDurable() throws Exception {
            try (DaxFile f = file("/f", MIB); DaxMapping m = f.map(0, MIB, DaxMapMode.READ_WRITE)) {
                m.setLong(8, 77);
                m.msync(0, 16);
                assertTrue(fs.stats().writebackFlushes() >= 1);
                m.setLong(8, 78);
                m.msync(0, 16);
                assertTrue(fs.stats().writebackFlushes() >= 2, "a store after writeback re-dirtied the page");
            }
        }
    }

    byte[] readAll(String path) throws Exception {
        try (DaxFile f = fs.open(path, READ)) {
            byte[] b = new byte[(int) f.size()];
            f.read(0, b, 0, b.length);
            return b;
        }
    }
}
