package io.daxfs.api;

import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.types.DaxStats;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DaxMapping}'s atomic, bulk and scanning accessors, and what revocations leave of a thread's state. */
class MappingAccessSpec extends FsSpec {
    static final long MIB = 1 << 20;

    DaxFile file(String path, long size) throws Exception {
        DaxFile f = fs.open(path, CREATE, READ, WRITE);
        f.truncate(size);
        return f;
    }

    @Nested
    class Atomics {
        @Test
        void compareAndSetAndGetAndAddWorkOnLongsAndIntsAndAreSeenByOtherMappings() throws Exception {
            try (DaxFile f = file("/f", 4 * MIB);
                 DaxMapping a = f.map(0, 4 * MIB, DaxMapMode.READ_WRITE);
                 DaxMapping b = f.map(0, 4 * MIB, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES)) {
                assertTrue(a.compareAndSetLong(64, 0, 5), "a hole reads as zero and is write-faulted");
                assertFalse(a.compareAndSetLong(64, 0, 6));
                assertEquals(5, b.getLongAcquire(64));
                assertEquals(5, b.getAndAddLong(64, 10));
                assertEquals(15, a.getLong(64));
                b.setIntRelease(3 * MIB + 4, 7);
                assertEquals(7, a.getIntAcquire(3 * MIB + 4));
                assertTrue(a.compareAndSetInt(3 * MIB + 4, 7, 8));
                assertEquals(8, b.getAndAddInt(3 * MIB + 4, 1));
                assertEquals(9, b.getInt(3 * MIB + 4));
                assertEquals(0, a.getLongAcquire(2 * MIB), "an unwritten hole reads zero");
            }
        }

        @Test
        void refuseMisalignedOffsets() throws Exception {
            try (DaxFile f = file("/f", MIB); DaxMapping m = f.map(0, MIB, DaxMapMode.READ_WRITE)) {
                assertThrows(IllegalArgumentException.class, () -> m.compareAndSetLong(4, 0, 1));
                assertThrows(IllegalArgumentException.class, () -> m.getAndAddInt(2, 1));
                assertThrows(IndexOutOfBoundsException.class, () -> m.getLongAcquire(MIB));
            }
        }

        @Test
        void countersAddedFromTwoThreadsWhileTheFileIsWrittenBackLoseNoIncrement() throws Exception {
            try (DaxFile f = file("/f", 4 * MIB); DaxMapping m = f.map(0, 4 * MIB, DaxMapMode.READ_WRITE)) {
                int n = 20_000;
                AtomicBoolean stop = new AtomicBoolean();
                Thread syncer = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            m.msync(0, 4096); // write-protects: the next add faults again
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }
                });
                syncer.start();
                List<Thread> adders = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    Thread a = new Thread(() -> {
                        for (int i = 0; i < n; i++) {
                            m.getAndAddLong(8, 1);
                        }
                    });
                    a.start();
                    adders.add(a);
                }
                for (Thread a : adders) {
                    a.join();
                }
                stop.set(true);
                syncer.join();
                assertEquals(2L * n, m.getLong(8));
            }
        }
    }

    @Nested
    class Bulk {
        @Test
        void arraysOfLongsAndIntsGoInAndOutInOneCallAcrossPageKinds() throws Exception {
            try (DaxFile f = file("/f", 6 * MIB); DaxMapping m = f.map(0, 6 * MIB, DaxMapMode.READ_WRITE)) {
                long[] longs = new long[300_000]; // 2.3 MiB: crosses a 2 MiB page
                for (int i = 0; i < longs.length; i++) {
                    longs[i] = i * 31L;
                }
                m.copyFrom(longs, 0, longs.length, 4096);
                long[] back = new long[longs.length + 2];
                m.copyTo(4096, back, 1, longs.length);
                assertEquals(0, back[0]);
                assertEquals(longs[299_999], back[300_000]);
                assertEquals(longs[123_456], m.getLong(4096 + 123_456 * 8L));
                int[] ints = {1, 2, 3};
                m.copyFrom(ints, 1, 2, 5 * MIB); // a hole's zero page, written
                int[] got = new int[4];
                m.copyTo(5 * MIB - 4, got, 0, 4);
                assertArrayEquals(new int[]{0, 2, 3, 0}, got);
            }
        }

        @Test
        void forEachWindowHandsOutEachPageOnceInOrder() throws Exception {
            try (DaxFile f = file("/f", 6 * MIB); DaxMapping m = f.map(0, 6 * MIB, DaxMapMode.READ_WRITE)) {
                m.forEachWindow(100, 5 * MIB, true, (off, w) -> {
                    for (long i = 0; i + 8 <= w.byteSize(); i += 8) {
                        w.set(ValueLayout.JAVA_LONG_UNALIGNED, i, off + i);
                    }
                });
                assertEquals(2 * MIB, m.getLong(2 * MIB), "written through the scan's windows");
                List<long[]> seen = new ArrayList<>();
                m.forEachWindow(100, 5 * MIB, false, (off, w) -> seen.add(new long[]{off, w.byteSize()}));
                assertEquals(100, seen.get(0)[0]);
                long next = 100;
                for (long[] s : seen) {
                    assertEquals(next, s[0], "in order, no gap, no repeat");
                    assertTrue(s[1] <= 2 * MIB);
                    next += s[1];
                }
                assertEquals(100 + 5 * MIB, next);
                assertTrue(seen.size() <= 4, "2 MiB at a time where the pages are huge: " + seen.size());
            }
        }
    }

    @Nested
    class Populate {
        @Test
        void faultsEveryPageUpToEndOfFileAtMapTimeAndAllocatesNothing() throws Exception {
            try (DaxFile f = file("/f", 5 * MIB + 4096)) {
                f.allocate(0, 4 * MIB, true); // two 2 MiB pieces of (unwritten) blocks, the rest a hole
                long blocks = fs.stat("/f").blocks();
                DaxStats before = fs.stats();
                try (DaxMapping m = f.map(0, 8 * MIB, DaxMapMode.READ_ONLY, DaxMapOption.POPULATE)) {
                    DaxStats after = fs.stats();
                    assertEquals(2, after.faults2m() - before.faults2m(), "2 MiB pages at 0 and 2 MiB: " + after);
                    assertEquals(257, after.faults4k() - before.faults4k(),
                            "4 KiB pages from 4 MiB to end of file (the last 2 MiB is cut by it): " + after);
                    assertEquals(blocks, fs.stat("/f").blocks(), "read faults allocate nothing");
                    assertEquals(0, m.getLong(3 * MIB));
                    assertEquals(0, m.getLong(5 * MIB));
                    assertEquals(after.faults2m() + after.faults4k(), fs.stats().faults2m() + fs.stats().faults4k(),
                            "accesses up to end of file fault no more");
                }
            }
        }
    }

    @Nested
    class Interrupts {
        /**
         * A genuine interrupt must survive revocations: the reader is interrupted once, before
         * the writer starts write-protecting (msync) and punching the pages it reads, which
         * retires epochs under its accesses again and again. Nothing may clear the status.
         */
        @Test
        void anInterruptSentWhileRevocationsHitAReaderIsStillSetAfterwards() throws Exception {
            try (DaxFile f = file("/f", 4 * MIB); DaxMapping m = f.map(0, 4 * MIB, DaxMapMode.READ_WRITE)) {
                m.setLong(0, 1);
                m.setLong(3 * MIB, 1);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicBoolean interrupted = new AtomicBoolean();
                java.util.concurrent.atomic.AtomicLong sink = new java.util.concurrent.atomic.AtomicLong();
                long before = fs.stats().revocations();
                Thread reader = new Thread(() -> {
                    long sum = 0;
                    while (!stop.get()) {
                        for (int i = 0; i < 4096; i++) {
                            sum += m.getLong((i * 1024L) & (4 * MIB - 8));
                        }
                    }
                    interrupted.set(Thread.currentThread().isInterrupted());
                    sink.set(sum); // keeps the loads from being optimised away
                });
                reader.start();
                reader.interrupt();
                for (int round = 0; round < 300; round++) {
                    m.setLong(8, round);
                    m.msync(0, 4096);
                    f.punchHole(3 * MIB, 4096);
                    m.setLong(3 * MIB, round);
                }
                stop.set(true);
                reader.join();
                DaxStats st = fs.stats();
                assertTrue(st.revocations() - before >= 300, "epochs were retired under the reader: " + st);
                assertTrue(interrupted.get(), "the interrupt sent to the reader was lost");
            }
        }
    }
}
