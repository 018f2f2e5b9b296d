package io.daxfs.testutil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The poison is real: an access to a poisoned page raises SIGBUS, and the JVM reports it as an
 * InternalError from the memory-segment access, for every kind of access the file system makes
 * (loads, stores, bulk copies both ways, fills), interpreted and compiled, without crashing.
 * Healing brings back what the image held; a store that faulted never reached it. Compiled code
 * may throw the error late (at its next safepoint poll, having skipped the faulting accesses);
 * {@code MediaErrors.raisePending} makes it throw right away.
 */
class PoisonableDeviceTest {
    private static final long PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void everyKindOfAccessToAPoisonedPageIsAnInternalErrorAndHealingBringsTheBytesBack() throws Exception {
        Path image = dir.resolve("p.img");
        try (PoisonableDevice d = PoisonableDevice.create(image, 64 * PAGE)) {
            MemorySegment s = d.segment();
            s.set(JAVA_LONG, 8 * PAGE, 42L);
            d.persist(8 * PAGE, PAGE);
            d.poison(8 * PAGE, 2 * PAGE);

            assertFaults(() -> s.get(JAVA_LONG, 8 * PAGE));
            assertFaults(() -> s.set(JAVA_LONG, 9 * PAGE + 8, 7L));
            assertFaults(() -> MemorySegment.copy(MemorySegment.ofArray(new byte[4096]), 0, s, 8 * PAGE, PAGE));
            assertFaults(() -> MemorySegment.copy(s, 7 * PAGE, MemorySegment.ofArray(new byte[3 * 4096]), 0, 3 * PAGE));
            assertFaults(() -> s.asSlice(6 * PAGE, 4 * PAGE).fill((byte) 1));
            // Pages next to the poison are untouched by it.
            s.set(JAVA_LONG, 7 * PAGE, 5L);
            assertEquals(5L, s.get(JAVA_LONG, 7 * PAGE));
            s.set(JAVA_LONG, 10 * PAGE, 6L);
            // msync over a poisoned range succeeds: a failed write-back is injected instead.
            d.persist(8 * PAGE, PAGE);

            d.heal();
            assertEquals(42L, s.get(JAVA_LONG, 8 * PAGE), "what the image held before the poison");
            assertEquals(0L, s.get(JAVA_LONG, 9 * PAGE + 8), "the store that faulted never reached the image");
        }
        try (var ch = java.nio.channels.FileChannel.open(image)) {
            var buf = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder());
            ch.read(buf, 8 * PAGE);
            assertEquals(42L, buf.flip().getLong(), "the image file itself");
        }
        assertTrue(Files.notExists(dir.resolve("p.img.poison")), "the scratch file is gone");
    }

    @Test
    void compiledCodeGetsTheInternalErrorToo() throws Exception {
        try (PoisonableDevice d = PoisonableDevice.create(dir.resolve("c.img"), 64 * PAGE)) {
            MemorySegment s = d.segment();
            for (int i = 0; i < 200_000; i++) {
                store(s, (i & 15) * 8, i); // warm up: compiled by C1, then C2
            }
            d.poison(16 * PAGE, PAGE);
            assertFaults(() -> store(s, 16 * PAGE, 1));
            // A loop over a range running into the poison: the error is thrown within the call,
            // though compiled code may run on past the faulting store to its next safepoint poll.
            AtomicInteger stores = new AtomicInteger();
            for (int i = 0; i < 20_000; i++) {
                storeRange(s, 0, PAGE, stores);
            }
            assertFaults(() -> storeRange(s, 15 * PAGE, 17 * PAGE, stores));
            d.heal();
            store(s, 16 * PAGE, 3);
            assertEquals(3L, s.get(JAVA_LONG, 16 * PAGE));
        }
    }

    @Test
    void raisePendingThrowsAFaultThatCompiledCodeDeferredRightWhereItIsCalled() throws Exception {
        try (PoisonableDevice d = PoisonableDevice.create(dir.resolve("r.img"), 64 * PAGE)) {
            MemorySegment s = d.segment();
            long[] stores = new long[1];
            for (int i = 0; i < 20_000; i++) {
                storeEachThenRaise(s, 0, PAGE, stores); // compiled by C2, its loop strip-mined
            }
            d.poison(PAGE, PAGE);
            stores[0] = 0;
            assertFaults(() -> storeEachThenRaise(s, 0, 3 * PAGE, stores));
            assertEquals(PAGE / 8, stores[0], "no store counted after the first one that faulted");
        }
    }

    private static void storeEachThenRaise(MemorySegment s, long from, long to, long[] stores) {
        for (long o = from; o < to; o += 8) {
            s.set(JAVA_LONG, o, o);
            io.daxfs.device.MediaErrors.raisePending();
            stores[0]++;
        }
    }

    @Test
    void injectedWriteBackFailuresHitOnlyTheirRange() throws Exception {
        try (PoisonableDevice d = PoisonableDevice.create(dir.resolve("w.img"), 64 * PAGE)) {
            d.failPersists(4 * PAGE, PAGE);
            d.persist(0, 4 * PAGE);
            assertThrows(UncheckedIOException.class, () -> d.persist(3 * PAGE, 2 * PAGE));
            AtomicInteger ran = new AtomicInteger();
            d.onNextPersist(ran::incrementAndGet);
            d.heal();
            d.persist(3 * PAGE, 2 * PAGE);
            d.persist(0, PAGE);
            assertEquals(1, ran.get(), "once, at the next persist");
        }
    }

    private static void store(MemorySegment s, long off, long v) {
        s.set(JAVA_LONG, off, v);
    }

    private static void storeRange(MemorySegment s, long from, long to, AtomicInteger stores) {
        for (long o = from; o < to; o += 8) {
            s.set(JAVA_LONG, o, o);
        }
        stores.incrementAndGet();
    }

    private static void assertFaults(Runnable access) {
        InternalError e = assertThrows(InternalError.class, access::run);
        assertTrue(String.valueOf(e.getMessage()).contains("unsafe memory access"), e.toString());
    }
}
