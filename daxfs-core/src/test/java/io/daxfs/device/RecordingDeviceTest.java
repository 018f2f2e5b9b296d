package io.daxfs.device;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.daxfs.device.RecordingDevice.LINE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recording devices: the device contract, and the power-failure model (durable shadow,
 * persistence points, crash images, listeners).
 */
class RecordingDeviceTest extends DeviceContract {
    private static final long SIZE = 1 << 20;

    @Override
    protected Device create(long size) {
        return RecordingDevice.allocate(size);
    }

    private static byte[] bytes(MemorySegment s, long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(s, JAVA_BYTE, offset, b, 0, length);
        return b;
    }

    @Test
    void unpersistedStoresAreAbsentFromTheDurableImage() {
        try (RecordingDevice d = RecordingDevice.allocate(SIZE)) {
            MemorySegment live = d.segment();
            live.set(JAVA_LONG, 4096, 0xAAL);       // persisted below
            live.set(JAVA_LONG, 8192, 0xBBL);       // never persisted
            live.set(JAVA_LONG, 4096 + 40, 0xCCL);  // same line as the first: written back with it
            live.set(JAVA_LONG, 4096 + 64, 0xDDL);  // next line: not written back
            d.persist(4096, 8);

            MemorySegment durable = d.durableImage();
            assertEquals(0xAAL, durable.get(JAVA_LONG, 4096));
            assertEquals(0xCCL, durable.get(JAVA_LONG, 4096 + 40));
            assertEquals(0L, durable.get(JAVA_LONG, 4096 + 64));
            assertEquals(0L, durable.get(JAVA_LONG, 8192));
            assertEquals(0xBBL, live.get(JAVA_LONG, 8192), "the live image keeps every store");
            assertEquals(1, d.persistencePoints());
            assertEquals(LINE, d.bytesPersisted());
            assertEquals(2, d.dirtyLines());
            assertTrue(durable.isReadOnly());
        }
    }

    @Test
    void persistRoundsOutToWholeLines() {
        try (RecordingDevice d = RecordingDevice.allocate(SIZE)) {
            for (long i = 0; i < 4 * LINE; i++) {
                d.segment().set(JAVA_BYTE, 1000 + i, (byte) 1);
            }
            d.persist(1000 + 70, 100); // bytes 1070..1169 lie in lines 1024..1087, ..., 1152..1215
            assertEquals(3 * LINE, d.bytesPersisted());
            MemorySegment durable = d.durableImage();
            for (long i = 1000; i < 1000 + 4 * LINE; i++) {
                boolean inLines = i >= 1024 && i < 1216;
                assertEquals(inLines ? 1 : 0, durable.get(JAVA_BYTE, i), "byte " + i);
            }
        }
    }

    @Test
    void onlyNonEmptyPersistsArePoints() {
        try (RecordingDevice d = RecordingDevice.allocate(SIZE)) {
            d.persist(0, 0);
            d.fence();
            assertEquals(0, d.persistencePoints());
            d.persist(SIZE - 1, 1);
            d.fence();
            assertEquals(1, d.persistencePoints());
            assertThrows(IndexOutOfBoundsException.class, () -> d.persist(SIZE - 1, 2));
            assertEquals(1, d.persistencePoints());
        }
    }

    @Test
    void overStartsWithTheImageDurable() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocate(8192);
            image.set(JAVA_LONG, 16, 5L);
            try (RecordingDevice d = RecordingDevice.over(image)) {
                assertEquals(8192, d.size());
                assertEquals(5L, d.segment().get(JAVA_LONG, 16));
                assertEquals(5L, d.durableImage().get(JAVA_LONG, 16));
                assertEquals(0, d.dirtyLines());
                d.segment().set(JAVA_LONG, 16, 6L);
                assertEquals(5L, image.get(JAVA_LONG, 16), "the device owns a copy");
            }
            assertThrows(IllegalArgumentException.class, () -> RecordingDevice.over(a.allocate(4000)));
        }
    }

    /** Dirties {@code lines} lines spread over many pages, leaving a recognizable value in each. */
    private static long[] dirty(RecordingDevice d, int lines) {
        long[] offsets = new long[lines];
        for (int i = 0; i < lines; i++) {
            // Every third page, at a varying line within the page, touching one word in the line.
            long off = (i * 3L * 4096) % SIZE + (i % 64) * LINE + (i % 8) * 8;
            d.segment().set(JAVA_LONG, off, 1000L + i);
            offsets[i] = off & -LINE;
        }
        return offsets;
    }

    @Test
    void crashImagesTakeWholeDirtyLinesAndNothingElse() {
        try (RecordingDevice d = RecordingDevice.allocate(SIZE)) {
            // Durable background that differs from zero, so "durable" and "live" are distinguishable.
            for (long off = 0; off < SIZE; off += 8) {
                d.segment().set(JAVA_LONG, off, off);
            }
            d.persist(0, SIZE);
            long[] lines = dirty(d, 256);
            assertEquals(256, d.dirtyLines());
            Set<Long> dirtySet = new HashSet<>();
            for (long l : lines) {
                dirtySet.add(l);
            }

            Set<BitSet> subsets = new HashSet<>();
            for (long seed = 0; seed < 20; seed++) {
                MemorySegment image = d.crashImage(seed);
                assertEquals(SIZE, image.byteSize());
                BitSet taken = new BitSet();
                for (long off = 0; off < SIZE; off += LINE) {
                    byte[] got = bytes(image, off, LINE);
                    byte[] durable = bytes(d.durableImage(), off, LINE);
                    if (!dirtySet.contains(off)) {
                        assertArrayEquals(durable, got, "clean line " + off + " must come from the durable image");
                        continue;
                    }
                    byte[] live = bytes(d.segment(), off, LINE);
                    if (java.util.Arrays.equals(live, got)) {
                        taken.set((int) (off / LINE));
                    } else {
                        assertArrayEquals(durable, got, "dirty line " + off + " must be all durable or all live");
                    }
                }
                int n = taken.cardinality();
                assertTrue(n > 64 && n < 192, "about half of 256 dirty lines, got " + n);
                subsets.add(taken);
                assertEquals(-1, image.mismatch(d.crashImage(seed)), "same seed, same image");
            }
            assertEquals(20, subsets.size(), "different seeds choose different subsets");
        }
    }

    @Test
    void crashImageInACallerArena() {
        try (RecordingDevice d = RecordingDevice.allocate(SIZE); Arena a = Arena.ofConfined()) {
            d.segment().set(JAVA_LONG, 0, 1L);
            MemorySegment image = d.crashImage(1, a);
            assertTrue(image.get(JAVA_LONG, 0) == 0L || image.get(JAVA_LONG, 0) == 1L);
            MemoryDevice copy = MemoryDevice.copyOf(image);
            assertEquals(SIZE, copy.size());
            copy.close();
        }
    }

    @Test
    void listenersSeeEveryPointInOrderAndCanSnapshotTornWrites() {
        try (RecordingDevice d = RecordingDevice.allocate(SIZE)) {
            List<Long> after = new ArrayList<>();
            List<long[]> before = new ArrayList<>();
            Set<String> tornStates = new HashSet<>();
            d.onPersist(new RecordingDevice.PersistListener() {
                @Override
                public void persisted(long point) {
                    after.add(point);
                    // Inside the listener the durable image already holds this point's range.
                    assertEquals(d.segment().get(JAVA_LONG, 0), d.durableImage().get(JAVA_LONG, 0));
                }

                @Override
                public void beforePersist(long point, long offset, long length) {
                    before.add(new long[]{point, offset, length});
                    if (point == 3) {
                        for (long seed = 0; seed < 32; seed++) {
                            MemorySegment img = d.crashImage(seed);
                            tornStates.add(img.get(JAVA_LONG, 8192) + "/" + img.get(JAVA_LONG, 8192 + LINE));
                        }
                    }
                }
            });
            d.segment().set(JAVA_LONG, 0, 1L);
            d.persist(0, 8);
            d.segment().set(JAVA_LONG, 0, 2L);
            d.persist(3, 2);
            // Two lines written and persisted together: only beforePersist can see them torn.
            d.segment().set(JAVA_LONG, 8192, 7L);
            d.segment().set(JAVA_LONG, 8192 + LINE, 8L);
            d.persist(8192, 2 * LINE);
            assertEquals(List.of(1L, 2L, 3L), after);
            assertEquals(3, before.size());
            assertArrayEquals(new long[]{2, 0, LINE}, before.get(1));
            assertArrayEquals(new long[]{3, 8192, 2 * LINE}, before.get(2));
            assertEquals(Set.of("0/0", "7/0", "0/8", "7/8"), tornStates);
        }
    }

    @Test
    void concurrentPersistsAreAllRecorded() throws Exception {
        int threads = 8;
        int perThread = 2000;
        try (RecordingDevice d = RecordingDevice.allocate(SIZE);
             ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Long> seen = new ArrayList<>(); // appended under the device lock, so no sync needed
            d.onPersist(seen::add);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    start.await();
                    long region = SIZE / threads * id;
                    for (int i = 0; i < perThread; i++) {
                        long off = region + (i % (SIZE / threads / LINE)) * LINE;
                        d.segment().set(JAVA_LONG, off, ((long) id << 32) | i);
                        d.persist(off, 8);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
            long total = (long) threads * perThread;
            assertEquals(total, d.persistencePoints());
            assertEquals(total * LINE, d.bytesPersisted());
            assertEquals(total, seen.size());
            for (int i = 0; i < seen.size(); i++) {
                assertEquals(i + 1L, seen.get(i), "points are numbered in the order listeners see them");
            }
            assertEquals(0, d.dirtyLines());
            assertEquals(-1, d.segment().mismatch(d.durableImage()));
        }
    }
}
