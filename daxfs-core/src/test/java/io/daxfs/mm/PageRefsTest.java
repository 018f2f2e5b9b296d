package io.daxfs.mm;

import static io.daxfs.mm.PageRefs.ORDER_2M;
import static io.daxfs.mm.PageRefs.ORDER_4K;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PageRefsTest {
    private static final long HANG_GUARD_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** Spins (no sleeps) until {@code n} threads sleep on the region of pfn; fails after the hang guard. */
    private static void awaitSleepers(PageRefs refs, long pfn, int n) {
        long deadline = System.nanoTime() + HANG_GUARD_NANOS;
        while (refs.waiting(pfn) != n) {
            if (System.nanoTime() > deadline) {
                fail("expected " + n + " sleepers, saw " + refs.waiting(pfn));
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    private static void join(Thread t) throws InterruptedException {
        t.join(TimeUnit.NANOSECONDS.toMillis(HANG_GUARD_NANOS));
        assertFalse(t.isAlive(), "thread hung: " + t);
    }

    @Test
    void countingRules() {
        PageRefs r = new PageRefs(4096);
        assertTrue(r.isIdle(5, ORDER_4K));
        assertFalse(r.isBusy(5, ORDER_4K));
        r.map(5, ORDER_4K);
        assertEquals(1, r.refcount(5));
        assertEquals(1, r.mapcount(5));
        assertFalse(r.isBusy(5, ORDER_4K), "a mapping alone is not busy");
        assertFalse(r.isIdle(5, ORDER_4K));
        r.pin(5, ORDER_4K);
        assertEquals(2, r.refcount(5));
        assertEquals(1, r.mapcount(5));
        assertTrue(r.isBusy(5, ORDER_4K));
        r.unmap(5, ORDER_4K);
        assertTrue(r.isBusy(5, ORDER_4K), "unmapped but pinned is still busy (docs/RACES.md R9)");
        assertEquals(1, r.refcount(5));
        assertEquals(0, r.mapcount(5));
        r.unpin(5, ORDER_4K);
        assertTrue(r.isIdle(5, ORDER_4K));
        assertEquals(0, r.refcount(5));
        assertFalse(r.isBusy(4, ORDER_4K));
        assertTrue(r.isIdle(6, ORDER_4K), "neighbours untouched");
    }

    @Test
    void hugeFolioCountsOnTheHead() {
        PageRefs r = new PageRefs(4096);
        long head = 1024;
        r.map(head, ORDER_2M);
        assertEquals(1, r.refcount(head));
        assertEquals(1, r.mapcount(head));
        assertEquals(0, r.refcount(head + 7), "tails carry no count of their own");
        assertFalse(r.isIdle(head + 7, ORDER_4K), "a tail of a mapped folio is not idle");
        assertFalse(r.isBusy(head + 7, ORDER_2M));
        r.pin(head + 300, ORDER_2M); // a pin through a tail pins the folio
        assertEquals(2, r.refcount(head));
        assertTrue(r.isBusy(head + 300, ORDER_4K));
        assertTrue(r.isBusy(head, ORDER_2M));
        assertFalse(r.isBusy(head - 1, ORDER_4K), "the previous region is untouched");
        assertFalse(r.isBusy(head + 512, ORDER_2M), "the next region is untouched");
        r.unpin(head + 5, ORDER_2M);
        r.unmap(head, ORDER_2M);
        assertTrue(r.isIdle(head, ORDER_2M));

        // the head's own 4 KiB counts are separate from the folio's, and summed for reading
        r.map(head, ORDER_4K);
        r.map(head, ORDER_2M);
        assertEquals(2, r.refcount(head));
        r.unmap(head, ORDER_2M);
        assertEquals(1, r.refcount(head));
        assertThrows(IllegalStateException.class, () -> r.unmap(head, ORDER_2M));
        r.unmap(head, ORDER_4K);

        // a huge range is busy if any 4 KiB page in it is pinned (docs/RACES.md Rule 18)
        r.pin(head + 511, ORDER_4K);
        assertTrue(r.isBusy(head, ORDER_2M));
        assertFalse(r.isBusy(head + 510, ORDER_4K));
        r.unpin(head + 511, ORDER_4K);
        assertTrue(r.isIdle(head, ORDER_2M));
    }

    @Test
    void underflowIsABugAndChangesNothing() {
        PageRefs r = new PageRefs(2048);
        assertThrows(IllegalStateException.class, () -> r.unpin(3, ORDER_4K));
        assertThrows(IllegalStateException.class, () -> r.unmap(3, ORDER_4K));
        assertEquals(0, r.chunksAllocated(), "a failed release allocates nothing");
        r.map(3, ORDER_4K);
        assertThrows(IllegalStateException.class, () -> r.unpin(3, ORDER_4K), "a mapping's reference is not a pin");
        r.pin(3, ORDER_4K);
        r.unmap(3, ORDER_4K);
        assertThrows(IllegalStateException.class, () -> r.unmap(3, ORDER_4K));
        assertEquals(1, r.refcount(3));
        r.unpin(3, ORDER_4K);
        assertThrows(IllegalStateException.class, () -> r.unpin(3, ORDER_4K));
        assertEquals(0, r.refcount(3));
        assertThrows(IllegalArgumentException.class, () -> r.pin(3, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> r.pin(2048, ORDER_4K));
        assertThrows(IndexOutOfBoundsException.class, () -> r.isBusy(-1, ORDER_4K));
    }

    @Test
    void seededRandomOpsMatchAModel() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int n = 2048;
            PageRefs r = new PageRefs(n);
            int[] ref4 = new int[n];
            int[] map4 = new int[n];
            int[] refF = new int[n / 512];
            int[] mapF = new int[n / 512];
            for (int step = 0; step < 5000; step++) {
                long pfn = rnd.nextInt(n);
                boolean huge = rnd.nextInt(4) == 0;
                int order = huge ? ORDER_2M : ORDER_4K;
                int[] ref = huge ? refF : ref4;
                int[] map = huge ? mapF : map4;
                int i = huge ? (int) (pfn >>> 9) : (int) pfn;
                String ctx = "seed " + seed + " step " + step;
                switch (rnd.nextInt(4)) {
                    case 0 -> { r.map(pfn, order); ref[i]++; map[i]++; }
                    case 1 -> { r.pin(pfn, order); ref[i]++; }
                    case 2 -> {
                        if (map[i] > 0) { r.unmap(pfn, order); ref[i]--; map[i]--; }
                        else assertThrows(IllegalStateException.class, () -> r.unmap(pfn, order), ctx);
                    }
                    default -> {
                        if (ref[i] > map[i]) { r.unpin(pfn, order); ref[i]--; }
                        else assertThrows(IllegalStateException.class, () -> r.unpin(pfn, order), ctx);
                    }
                }
                long q = rnd.nextInt(n);
                int f = (int) (q >>> 9);
                boolean busy4 = ref4[(int) q] > map4[(int) q] || refF[f] > mapF[f];
                boolean idle4 = ref4[(int) q] == 0 && refF[f] == 0;
                assertEquals(busy4, r.isBusy(q, ORDER_4K), ctx);
                assertEquals(idle4, r.isIdle(q, ORDER_4K), ctx);
                boolean busyH = refF[f] > mapF[f];
                boolean idleH = refF[f] == 0;
                for (int p = f * 512; p < f * 512 + 512; p++) {
                    busyH |= ref4[p] > map4[p];
                    idleH &= ref4[p] == 0;
                }
                assertEquals(busyH, r.isBusy(q, ORDER_2M), ctx);
                assertEquals(idleH, r.isIdle(q, ORDER_2M), ctx);
                int head = (q & 511) == 0 ? 1 : 0;
                assertEquals(ref4[(int) q] + head * refF[f], r.refcount(q), ctx);
                assertEquals(map4[(int) q] + head * mapF[f], r.mapcount(q), ctx);
            }
        }
    }

    @Test
    void waiterIsReleasedExactlyWhenTheLastPinGoes() throws Exception {
        PageRefs r = new PageRefs(4096);
        long pfn = 700;
        r.map(pfn, ORDER_4K);
        r.pin(pfn, ORDER_4K);
        r.pin(pfn, ORDER_4K);
        CountDownLatch returned = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                r.awaitNotBusy(pfn, ORDER_4K);
                returned.countDown();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "busy-waiter");
        waiter.start();
        awaitSleepers(r, pfn, 1);
        r.unpin(pfn, ORDER_4K); // still pinned once: no wakeup
        r.pin(pfn + 1, ORDER_4K);
        r.unpin(pfn + 1, ORDER_4K); // a neighbour's release may wake it, but it must sleep again
        awaitSleepers(r, pfn, 1);
        assertEquals(1, returned.getCount(), "woke while still pinned");
        r.unpin(pfn, ORDER_4K); // the last pin: mapped but not busy
        assertTrue(returned.await(30, TimeUnit.SECONDS), "waiter not released by the last unpin");
        join(waiter);
        assertNull(failure.get());
        assertEquals(0, r.waiting(pfn));
        assertEquals(1, r.mapcount(pfn));
        r.unmap(pfn, ORDER_4K);
    }

    @Test
    void hugeFolioWaiterWakesWhenTheFolioPinGoes() throws Exception {
        PageRefs r = new PageRefs(4096);
        r.map(512, ORDER_2M);
        r.pin(600, ORDER_2M);
        Thread waiter = new Thread(() -> {
            try {
                r.awaitNotBusy(777, ORDER_4K);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        waiter.start();
        awaitSleepers(r, 512, 1);
        r.unpin(1000, ORDER_2M);
        join(waiter);
        r.unmap(512, ORDER_2M);
        // awaitIdle returns at once on idle pages
        r.awaitIdle(512, ORDER_2M);
    }

    @Test
    void awaitNotBusyIsInterruptible() throws Exception {
        PageRefs r = new PageRefs(4096);
        r.pin(9, ORDER_4K);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                r.awaitNotBusy(9, ORDER_4K);
                outcome.set(new AssertionError("returned while pinned"));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        waiter.start();
        awaitSleepers(r, 9, 1);
        waiter.interrupt();
        join(waiter);
        assertInstanceOf(InterruptedException.class, outcome.get());
        assertEquals(0, r.waiting(9), "an interrupted waiter leaves its queue");
        r.unpin(9, ORDER_4K);
    }

    @Test
    void awaitIdleIgnoresInterruptsAndKeepsTheStatus() throws Exception {
        PageRefs r = new PageRefs(4096);
        r.map(9, ORDER_4K);
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        CountDownLatch returned = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            r.awaitIdle(9, ORDER_4K);
            interruptedAfter.set(Thread.currentThread().isInterrupted());
            returned.countDown();
        });
        waiter.start();
        awaitSleepers(r, 9, 1);
        waiter.interrupt();
        awaitSleepers(r, 9, 1); // back to sleep
        assertEquals(1, returned.getCount());
        r.unmap(9, ORDER_4K);
        join(waiter);
        assertTrue(interruptedAfter.get());
    }

    @Test
    void concurrentOpsEndAtZeroAndWaitersAlwaysWake() throws Exception {
        int pagesN = 4 * 512;
        PageRefs r = new PageRefs(pagesN);
        int threads = 4;
        int rounds = 20_000;
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean done = new AtomicBoolean();
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            long seed = 42 + t;
            ts[t] = new Thread(() -> {
                try {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    start.await();
                    for (int i = 0; i < rounds; i++) {
                        long pfn = rnd.nextInt(16) + 512L * rnd.nextInt(4); // hot pages
                        int order = rnd.nextInt(5) == 0 ? ORDER_2M : ORDER_4K;
                        if (rnd.nextBoolean()) {
                            r.map(pfn, order);
                            Thread.onSpinWait();
                            r.unmap(pfn, order);
                        } else {
                            r.pin(pfn, order);
                            Thread.onSpinWait();
                            r.unpin(pfn, order);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts[t].start();
        }
        long[] waitsDone = new long[1];
        Thread waiter = new Thread(() -> {
            try {
                SplittableRandom rnd = new SplittableRandom(7);
                start.await();
                while (!done.get()) {
                    long pfn = rnd.nextInt(16) + 512L * rnd.nextInt(4);
                    r.awaitNotBusy(pfn, rnd.nextBoolean() ? ORDER_2M : ORDER_4K);
                    waitsDone[0]++;
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        waiter.start();
        for (Thread t : ts) {
            join(t);
        }
        done.set(true);
        join(waiter); // everything is idle now, so its last wait must end
        assertNull(failure.get());
        assertTrue(waitsDone[0] > 0);
        for (long p = 0; p < pagesN; p++) {
            assertEquals(0, r.refcount(p), "pfn " + p);
            assertEquals(0, r.mapcount(p), "pfn " + p);
        }
        assertTrue(r.isIdle(0, ORDER_2M) && r.isIdle(1536, ORDER_2M));
    }

    @Test
    void untouchedTerabyteDeviceAllocatesNothing() {
        long pages = (1L << 40) / 4096; // 1 TiB
        PageRefs r = new PageRefs(pages);
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 10_000; i++) {
            long pfn = rnd.nextLong(pages);
            assertEquals(0, r.refcount(pfn));
            assertFalse(r.isBusy(pfn, ORDER_2M));
            assertTrue(r.isIdle(pfn, ORDER_4K));
        }
        r.awaitIdle(pages - 1, ORDER_4K);
        assertEquals(0, r.chunksAllocated());
        r.pin(pages - 1, ORDER_4K);
        assertEquals(1, r.chunksAllocated(), "one touched page costs one 2 MiB chunk");
        r.unpin(pages - 1, ORDER_4K);
        assertEquals(1, r.chunksAllocated(), "chunks are never freed");
    }
}
