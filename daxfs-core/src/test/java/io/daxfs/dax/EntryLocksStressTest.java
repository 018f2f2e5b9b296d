package io.daxfs.dax;

import io.daxfs.dax.EntryLocks.Downgrader;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Threads hammer one entry index with every entry-lock operation at both orders, at a few
 * pages of two 2 MiB ranges, so PMD and PTE requests collide, PMDs are downgraded and entries vanish under
 * waiters. While it runs, a shadow table checks mutual exclusion (no two threads ever hold
 * entry locks on overlapping pages); a watchdog fails the test with a thread dump if no thread
 * makes progress for 30 seconds (a lost wakeup); at the end no entry may be left locked and no
 * thread asleep. Runs 10 seconds, or 60 with {@code -Ddaxfs.test.long=true}.
 */
class EntryLocksStressTest {
    private static final int THREADS = 4;
    private static final int RANGES = 2;
    private static final int PAGES = RANGES * (int) Entry.PMD_PAGES;
    /** Offsets inside a 2 MiB range that requests pick: few, so requests meet each other. */
    private static final int[] HOT = {0, 1, 5, 100, 255, 256, 300, 511};
    private static final long STALL_SECONDS = 30;

    private final WaitTable table = new WaitTable();
    private final EntryLocks locks = new EntryLocks(table);
    private final EntryIndex idx = new EntryIndex(3);
    /** Which thread holds the entry lock covering each page, per the holders themselves. */
    private final AtomicReferenceArray<Thread> owner = new AtomicReferenceArray<>(PAGES);
    private final AtomicLong progress = new AtomicLong();
    private final LongAdder unmaps = new LongAdder();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean stop;

    @Test
    void grabsReplacesUnlocksDeletesAndWaitsAtBothOrdersNeverOverlapOrHang() throws InterruptedException {
        long seconds = Boolean.getBoolean("daxfs.test.long") ? 60 : 10;
        CountDownLatch finished = new CountDownLatch(THREADS);
        for (int t = 0; t < THREADS; t++) {
            long seed = 0xD1A5L * (t + 1);
            Thread w = new Thread(() -> {
                try {
                    run(new SplittableRandom(seed));
                } catch (Throwable e) {
                    failures.add(e);
                    stop = true;
                } finally {
                    finished.countDown();
                }
            }, "stress-" + t);
            w.setDaemon(true); // a thread stranded by a failure must not keep the JVM alive
            w.start();
        }

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long lastProgress = -1;
        long lastChange = System.nanoTime();
        while (!finished.await(1, TimeUnit.SECONDS) && failures.isEmpty()) {
            long now = System.nanoTime();
            if (now > deadline) {
                stop = true;
            }
            long p = progress.get();
            if (p != lastProgress) {
                lastProgress = p;
                lastChange = now;
            } else if (now - lastChange > TimeUnit.SECONDS.toNanos(STALL_SECONDS)) {
                stop = true;
                throw new AssertionError("no progress for " + STALL_SECONDS + " s (a lost wakeup?)\n" + threadDump());
            }
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("a worker failed\n" + threadDump(), failures.peek());
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }

        idx.checkInvariants();
        for (long i = idx.nextEntry(0, PAGES); i >= 0; i = idx.nextEntry(i + Entry.pages(idx.load(i)), PAGES)) {
            assertFalse(Entry.isLocked(idx.load(i)), "entry " + i + " left locked: " + Entry.describe(idx.load(i)));
        }
        assertEquals(0, table.waitingTotal(), "a thread is still asleep");
        System.out.printf("entry-lock stress: %d operations in %d s; waits %d, wakeups %d, fallbacks %d, downgrades %d (%d unmapped)%n",
                progress.get(), seconds, locks.waits(), locks.wakeups(), locks.conflicts(), locks.downgrades(), unmaps.sum());
        assertTrue(locks.waits() > 0 && locks.conflicts() > 0 && locks.downgrades() > 0,
                "the run must have slept, fallen back and downgraded");
    }

    private void run(SplittableRandom rnd) {
        Downgrader unmap = (first, pages) -> unmaps.increment();
        while (!stop) {
            long index = rnd.nextInt(RANGES) * Entry.PMD_PAGES + HOT[rnd.nextInt(HOT.length)];
            int order = rnd.nextInt(10) < 3 ? Entry.PMD_ORDER : 0;
            int action = rnd.nextInt(10);
            if (action < 8) {
                long cookie = locks.grab(idx, index, order, unmap);
                if (cookie != Entry.FALLBACK) {
                    holdAndRelease(rnd, index, cookie);
                }
            } else {
                boolean exclusive = rnd.nextBoolean();
                long e = locks.waitUnlocked(idx, index, order, exclusive);
                if (e != Entry.ABSENT && e != Entry.FALLBACK && Entry.isLocked(e)) {
                    throw new AssertionError("waitUnlocked returned a locked entry " + Entry.describe(e));
                }
                if (exclusive) {
                    locks.putUnlocked(idx, index, e);
                }
            }
            progress.incrementAndGet();
        }
    }

    private void holdAndRelease(SplittableRandom rnd, long index, long cookie) {
        Thread me = Thread.currentThread();
        int first = (int) Entry.baseIndex(index, cookie);
        int pages = (int) Entry.pages(cookie);
        for (int p = first; p < first + pages; p++) {
            Thread other = owner.compareAndExchange(p, null, me);
            if (other != null) {
                throw new AssertionError(me.getName() + " got " + Entry.describe(cookie) + " at " + index + " but "
                        + other.getName() + " holds page " + p);
            }
        }
        try {
            if (idx.load(index) != cookie) {
                throw new AssertionError("a held entry changed under its holder: " + Entry.describe(idx.load(index)));
            }
            if (rnd.nextInt(4) == 0) {
                Thread.yield(); // hold a little longer, so others come to wait
            }
            int action = rnd.nextInt(10);
            if (action < 4) {
                boolean pmd = Entry.isPmd(cookie);
                long replacement = rnd.nextBoolean() ? Entry.zero(pmd)
                        : Entry.real(pmd ? (1 + rnd.nextInt(1000)) * Entry.PMD_PAGES : 1 + rnd.nextInt(1000), pmd);
                cookie = locks.replace(idx, index, cookie, replacement);
            }
            for (int p = first; p < first + pages; p++) {
                owner.set(p, null);
            }
            if (action >= 6) {
                locks.delete(idx, index, cookie);
            } else {
                locks.unlock(idx, index, cookie);
            }
        } catch (Throwable t) {
            stop = true;
            throw t;
        }
    }

    private static String threadDump() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (!e.getKey().getName().startsWith("stress-")) {
                continue;
            }
            sb.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
            for (StackTraceElement f : e.getValue()) {
                sb.append("    at ").append(f).append('\n');
            }
        }
        return sb.toString();
    }
}
