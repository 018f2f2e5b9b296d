package io.daxfs.dax;

import io.daxfs.dax.EntryLocks.Downgrader;
import io.daxfs.lock.LockChecker;
import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.daxfs.dax.Entry.FALLBACK;
import static io.daxfs.dax.Entry.empty;
import static io.daxfs.dax.Entry.real;
import static io.daxfs.dax.Entry.withLocked;
import static io.daxfs.dax.Entry.zero;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The entry-lock protocol, scenario by scenario. Each race of docs/RACES.md that concerns entry
 * locks alone (R1-R4, R8, R10, R12) is forced here with hooks and latches, and the test asserts
 * what the correct protocol does where the buggy one hung or went wrong; its display name gives
 * the catalogue entry. A thread that should not finish makes {@link Worker#result} fail after a
 * timeout, so a regression fails instead of hanging.
 */
class EntryLocksTest {
    private final ScriptedHooks hooks = new ScriptedHooks();
    private final WaitTable table = new WaitTable();
    private final EntryLocks locks = new EntryLocks(table, hooks);
    private final EntryIndex idx = new EntryIndex(1);

    private static final Downgrader NONE = Downgrader.NONE;

    /** A thread that grabs an entry, holds it until {@link #release}, then finishes with it. */
    private final class Holder {
        final CompletableFuture<Long> grabbed = new CompletableFuture<>();
        final CountDownLatch mayFinish = new CountDownLatch(1);
        Worker<Long> worker;

        long cookie() {
            try {
                return grabbed.get(ScriptedHooks.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("the holder did not get its entry", e);
            }
        }

        /** Lets the holder finish (unlock, delete...) and waits for it. */
        long release() {
            mayFinish.countDown();
            return worker.result();
        }
    }

    @FunctionalInterface
    private interface Finish {
        void with(long cookie);
    }

    private Holder hold(String name, long index, int order, Finish finish) {
        Holder h = new Holder();
        h.worker = Worker.start(name, () -> {
            long cookie = locks.grab(idx, index, order, NONE);
            h.grabbed.complete(cookie);
            Worker.await(h.mayFinish);
            finish.with(cookie);
            return cookie;
        });
        return h;
    }

    private Finish unlockAt(long index) {
        return c -> locks.unlock(idx, index, c);
    }

    /** Sets up an unlocked entry through the protocol: grab (placeholder), replace, unlock. */
    private void put(long index, int order, long entry) {
        long c = locks.grab(idx, index, order, NONE);
        c = locks.replace(idx, index, c, entry);
        locks.unlock(idx, index, c);
    }

    /** A worker that grabs, then unlocks at once; its result is the cookie it got. */
    private Worker<Long> grabAndUnlock(String name, long index, int order) {
        return Worker.start(name, () -> {
            long c = locks.grab(idx, index, order, NONE);
            if (c != FALLBACK) {
                locks.unlock(idx, index, c);
            }
            return c;
        });
    }

    private static long pte(long pfn) {
        return real(pfn, false);
    }

    // ---- the races of docs/RACES.md ----

    @Test
    @DisplayName("R1: a 2 MiB request over a locked 4 KiB entry falls back without sleeping")
    void r1_aPmdRequestOverALocked4KiBEntryFallsBackWithoutSleeping() {
        // A holds the 4 KiB entry at 5. In 2019, B's 2 MiB fault over 0-511 slept on key 0,
        // A's unlock woke key 5, and B slept forever.
        Holder a = hold("A", 5, 0, unlockAt(5));
        assertEquals(withLocked(empty(false)), a.cookie());
        Worker<Long> b = Worker.start("B", () -> locks.grab(idx, 100, 9, NONE));
        assertEquals(FALLBACK, b.result(), "B falls back to 4 KiB while A still holds its entry");
        assertFalse(hooks.happened("sleep:B"), "B never slept");
        assertEquals(0, locks.waits());
        assertEquals(1, locks.conflicts());
        assertEquals(FALLBACK, locks.waitUnlocked(idx, 511, 9, true), "a 2 MiB wait does not sleep on it either");
        a.release();
        assertEquals(FALLBACK, locks.grab(idx, 0, 9, NONE), "an unlocked 4 KiB entry conflicts just the same");
        assertEquals(3, locks.conflicts());
    }

    @Test
    @DisplayName("R2: an empty range is not a conflict")
    void r2_anEmptyRangeIsNotAConflict() {
        long pmd = locks.grab(idx, 700, 9, NONE);
        assertEquals(withLocked(empty(true)), pmd, "a locked EMPTY PMD placeholder, not FALLBACK");
        assertEquals(pmd, idx.load(512));
        assertEquals(pmd, idx.load(1023));
        locks.unlock(idx, 700, pmd);
        assertEquals(empty(true), idx.load(600));

        // A range whose last 4 KiB entry was deleted is empty again.
        long pte = locks.grab(idx, 5, 0, NONE);
        locks.delete(idx, 5, pte);
        long again = locks.grab(idx, 3, 9, NONE);
        assertEquals(withLocked(empty(true)), again);
        locks.unlock(idx, 3, again);
        assertEquals(0, locks.conflicts());
    }

    @Test
    @DisplayName("R3: deleting an entry wakes every waiter, not just one")
    void r3_deletingAnEntryWakesEveryWaiterNotJustOne() {
        put(5, 0, pte(7));
        Holder f = hold("F", 5, 0, unlockAt(5));
        f.cookie();
        CountDownLatch aMayDelete = new CountDownLatch(1);
        Worker<Long> a = Worker.start("A", () -> {
            long c = locks.grab(idx, 5, 0, NONE);
            Worker.await(aMayDelete);
            locks.delete(idx, 5, c);
            return c;
        });
        hooks.awaitEvent("sleep:A");
        // B and C wait without locking (scanners). When they wake to find nothing, they have
        // nothing to unlock, so no later unlock would wake the other: only the delete can.
        Worker<Long> b = Worker.start("B", () -> locks.waitUnlocked(idx, 5, 0, true));
        hooks.awaitEvent("sleep:B");
        Worker<Long> c = Worker.start("C", () -> locks.waitUnlocked(idx, 5, 0, true));
        hooks.awaitEvent("sleep:C");
        assertEquals(3, table.waiting(idx, 5));

        f.release(); // F unlocks and wakes one: A, first in line
        hooks.awaitEvent("wake:A");
        assertEquals(2, table.waiting(idx, 5), "the unlock woke A only");
        aMayDelete.countDown(); // A locks X and deletes it
        assertEquals(withLocked(pte(7)), a.result());
        assertEquals(Entry.ABSENT, b.result());
        assertEquals(Entry.ABSENT, c.result(), "C wakes too: the delete woke all");
        assertEquals(0, table.waiting(idx, 5));
    }

    @Test
    @DisplayName("R4: a PMD placeholder turning into 4 KiB entries wakes every waiter of the PMD")
    void r4_aPmdPlaceholderTurningInto4KiBEntriesWakesEveryWaiterOfThePmd() {
        // The 2016 hole deadlock, in its multi-order form: H's placeholder is replaced by an
        // entry of another kind (here another order), and waiters on the old key must all look
        // again; if only one is woken, the rest sleep on a key nobody will wake.
        Holder h = hold("H", 0, 9, unlockAt(0)); // a 2 MiB fault that will give up (fall back)
        assertEquals(withLocked(empty(true)), h.cookie());
        Worker<Long> b = grabAndUnlock("B", 3, 0);
        hooks.awaitEvent("sleep:B");
        Worker<Long> c = grabAndUnlock("C", 300, 0);
        hooks.awaitEvent("sleep:C");
        Worker<Long> d = grabAndUnlock("D", 400, 0);
        hooks.awaitEvent("sleep:D");
        assertEquals(List.of(0L), hooks.sleepKeys("B"), "B waits on the PMD's key, not on its own index");
        assertEquals(List.of(0L), hooks.sleepKeys("C"));
        assertEquals(List.of(0L), hooks.sleepKeys("D"));

        // H's unlock wakes one (B); B downgrades the EMPTY PMD, which must wake C and D. Had it
        // woken one (C), D would sleep on key 0 forever: C's own unlock wakes key 300.
        h.release();
        assertEquals(withLocked(empty(false)), b.result());
        assertEquals(withLocked(empty(false)), c.result());
        assertEquals(withLocked(empty(false)), d.result(), "D was woken by the downgrade, not stranded on key 0");
        assertEquals(1, locks.downgrades());
        assertEquals(0, idx.pmdCount());
        assertEquals(empty(false), idx.load(3));
        assertEquals(empty(false), idx.load(300));
        assertEquals(empty(false), idx.load(400));
        assertEquals(Entry.ABSENT, idx.load(4));
    }

    @Test
    @DisplayName("R4: a same-order change of kind keeps the waiters' key, so the unlock reaches them")
    void r4_aSameOrderChangeOfKindKeepsTheWaitersKeySoTheUnlockReachesThem() {
        Holder h = hold("H", 9, 0, c -> {
            long z = locks.replace(idx, 9, c, zero(false)); // EMPTY -> ZERO -> REAL while locked
            long r = locks.replace(idx, 9, z, pte(42));
            locks.unlock(idx, 9, r);
        });
        h.cookie();
        Worker<Long> w = grabAndUnlock("W", 9, 0);
        hooks.awaitEvent("sleep:W");
        h.release();
        assertEquals(withLocked(pte(42)), w.result());
        long c = locks.grab(idx, 9, 0, NONE);
        assertThrows(IllegalArgumentException.class, () -> locks.replace(idx, 9, c, empty(true)),
                "an entry changes order only by deletion, which wakes everyone");
        locks.unlock(idx, 9, c);
    }

    @Test
    @DisplayName("R8: a scanner waits for a locked entry and does not skip it")
    void r8_aScannerWaitsForALockedEntryAndDoesNotSkipIt() {
        put(1, 0, pte(1));
        put(2, 0, pte(2));
        put(3, 0, pte(3));
        Holder h = hold("H", 2, 0, c -> locks.unlock(idx, 2, locks.replace(idx, 2, c, pte(99))));
        h.cookie();
        Worker<List<String>> scanner = Worker.start("S", () -> scan(0, 10));
        hooks.awaitEvent("sleep:S");
        assertEquals(List.of(2L), hooks.sleepKeys("S"), "the scanner stopped at the locked entry");
        h.release();
        assertEquals(List.of("1=REAL(pfn=0x1)", "2=REAL(pfn=0x63)", "3=REAL(pfn=0x3)"), scanner.result(),
                "it saw entry 2 after the holder was done with it");
    }

    @Test
    @DisplayName("R8: a scanner whose entry vanished while it waited goes on from the same index")
    void r8_aScannerWhoseEntryVanishedWhileItWaitedGoesOnFromTheSameIndex() {
        put(1, 0, pte(1));
        put(2, 0, pte(2));
        put(3, 0, pte(3));
        Holder h = hold("H", 2, 0, c -> locks.delete(idx, 2, c));
        h.cookie();
        Worker<List<String>> scanner = Worker.start("S", () -> scan(0, 10));
        hooks.awaitEvent("sleep:S");
        h.release();
        assertEquals(List.of("1=REAL(pfn=0x1)", "3=REAL(pfn=0x3)"), scanner.result());
    }

    /** A busy-scan style iterator: never moves past an entry it had to wait for. */
    private List<String> scan(long from, long to) {
        List<String> seen = new ArrayList<>();
        long i = idx.nextEntry(from, to);
        while (i >= 0) {
            long e = locks.waitUnlocked(idx, i, 0, false);
            if (e == Entry.ABSENT) {
                i = idx.nextEntry(i, to); // gone while we waited: whatever is at or after i now
                continue;
            }
            seen.add(i + "=" + Entry.describe(e));
            i = idx.nextEntry(Entry.baseIndex(i, e) + Entry.pages(e), to);
        }
        return seen;
    }

    @Test
    @DisplayName("R10: an unlock with an entry rebuilt from a tail pfn is refused")
    void r10_anUnlockWithAnEntryRebuiltFromATailPfnIsRefused() {
        put(512, 9, real(0x400, true));
        long cookie = locks.grab(idx, 517, 0, NONE); // a 4 KiB fault inside a REAL PMD locks the PMD
        assertEquals(withLocked(real(0x400, true)), cookie);
        long rebuilt = withLocked(real(0x405, false)); // what the 2019 bug passed to unlock
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> locks.unlock(idx, 517, rebuilt));
        assertTrue(e.getMessage().contains(Entry.describe(rebuilt)) && e.getMessage().contains(Entry.describe(cookie)),
                e.getMessage());
        assertEquals(cookie, idx.load(700), "nothing changed: the PMD is still locked by its holder");
        assertThrows(IllegalStateException.class, () -> locks.delete(idx, 517, rebuilt));
        locks.unlock(idx, 517, cookie);
        assertEquals(real(0x400, true), idx.load(512));
        assertThrows(IllegalStateException.class, () -> locks.unlock(idx, 517, cookie), "an unlock of an unlocked entry");
    }

    @Nested
    @DisplayName("R12: lookups never livelock")
    class R12LookupsNeverLivelock {
        @Test
        void lookupsFinishWhileTheShortLockAnEntryLockAndADowngradeAreAllHeld() {
            // Every lookup here would hang if it waited for the short lock, for an entry to be
            // unlocked, or for a downgrade to finish: all three stay held until it is done.
            put(20, 0, pte(20));
            put(512, 9, zero(true));
            Holder h = hold("H", 9, 0, unlockAt(9));
            long placeholder = h.cookie();
            hooks.gate("downgrade:D");
            Worker<Long> d = grabAndUnlock("D", 600, 0);
            hooks.awaitEvent("downgrade:D"); // D holds the ZERO PMD locked, between short locks
            idx.lock();
            try {
                Worker<Long> reader = Worker.start("R", () -> {
                    long sum = 0;
                    for (int i = 0; i < 100_000; i++) {
                        assertEquals(placeholder, idx.load(9));
                        assertEquals(withLocked(zero(true)), idx.load(600));
                        sum += idx.findConflict(9, 9) + idx.nextEntry(0, 2048) + idx.findConflictIndex(700, 0);
                        sum += idx.getMark(20, EntryIndex.Mark.DIRTY) ? 1 : 0;
                    }
                    return sum;
                });
                reader.result();
            } finally {
                idx.unlock();
            }
            hooks.open("downgrade:D");
            assertEquals(withLocked(empty(false)), d.result());
            h.release();
        }

        @Test
        void lookupsRacingWithConstantChangesAlwaysFinishAndSeeOnlyRealStates() {
            long pmd = real(0x200, true);
            long pte = pte(5);
            long far = pte(6);
            long farIndex = (1L << 32) - 1;
            AtomicBoolean stop = new AtomicBoolean();
            Worker<Long> writer = Worker.start("churn", () -> {
                long rounds = 0;
                while (!stop.get()) {
                    // One level-1 slot flips between a PMD entry and a leaf; the root grows to
                    // four levels and shrinks back; nodes are pruned and rebuilt.
                    idx.lock();
                    try {
                        idx.store(0, 9, pmd);
                        idx.erase(100);
                        idx.store(5, 0, pte);
                        idx.store(farIndex, 0, far);
                        idx.erase(5);
                        idx.erase(farIndex);
                    } finally {
                        idx.unlock();
                    }
                    rounds++;
                }
                return rounds;
            });
            List<Worker<Long>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(Worker.start("reader" + r, () -> {
                    long seen = 0;
                    for (int i = 0; i < 200_000; i++) {
                        long a = idx.load(5);
                        if (a != 0 && a != pmd && a != pte) {
                            fail("torn or impossible entry at 5: " + Entry.describe(a));
                        }
                        long b = idx.load(farIndex);
                        if (b != 0 && b != far) {
                            fail("impossible entry at 2^32-1: " + Entry.describe(b));
                        }
                        long c = idx.findConflict(300, 9);
                        if (c != 0 && c != pmd && c != pte) {
                            fail("impossible conflict: " + Entry.describe(c));
                        }
                        seen += a == pmd ? 1 : 0;
                    }
                    return seen;
                }));
            }
            try {
                for (Worker<Long> r : readers) {
                    r.result();
                }
            } finally {
                stop.set(true);
            }
            assertTrue(writer.result() > 0);
        }
    }

    // ---- waiting, waking and downgrading ----

    @Test
    void aWaiterSleepsOnTheKeyOfTheEntryItFoundAndAnUnlockNamingAnyCoveredIndexWakesIt() {
        put(512, 9, real(0x400, true));
        Holder h = hold("H", 700, 0, unlockAt(1000)); // 4 KiB fault holding the REAL PMD
        assertEquals(withLocked(real(0x400, true)), h.cookie(), "REAL PMDs are never downgraded");
        Worker<Long> w = grabAndUnlock("W", 601, 0);
        hooks.awaitEvent("sleep:W");
        assertEquals(List.of(512L), hooks.sleepKeys("W"), "the key uses the order of the entry waited on");
        assertEquals(1, table.waiting(idx, 512));
        assertEquals(0, table.waiting(idx, 601));
        h.release();
        assertEquals(withLocked(real(0x400, true)), w.result());
        assertEquals(0, locks.downgrades());
    }

    @Test
    void anUnlockWakesEveryNonExclusiveWaiterAndOneExclusiveWaiter() {
        Holder h = hold("H", 5, 0, unlockAt(5));
        h.cookie();
        CountDownLatch e1MayUnlock = new CountDownLatch(1);
        Worker<Long> e1 = Worker.start("E1", () -> {
            long c = locks.grab(idx, 5, 0, NONE);
            Worker.await(e1MayUnlock);
            locks.unlock(idx, 5, c);
            return c;
        });
        hooks.awaitEvent("sleep:E1");
        Worker<Long> e2 = grabAndUnlock("E2", 5, 0);
        hooks.awaitEvent("sleep:E2");
        Worker<Long> n = Worker.start("N", () -> locks.waitUnlocked(idx, 5, 0, false));
        hooks.awaitEvent("sleep:N");

        hooks.gate("wake:E1"); // E1 stops right after waking, before it looks again and locks
        h.release();
        hooks.awaitEvent("wake:E1");
        assertEquals(empty(false), n.result(), "the non-exclusive waiter woke with the first exclusive one");
        assertFalse(e2.isDone());
        assertEquals(1, table.waiting(idx, 5), "E2 still waits: its turn comes with E1's unlock");
        hooks.open("wake:E1");
        e1MayUnlock.countDown();
        assertEquals(withLocked(empty(false)), e1.result());
        assertEquals(withLocked(empty(false)), e2.result());
    }

    @Test
    @DisplayName("R3: a woken waiter that does not lock hands the wakeup on")
    void aWokenWaiterThatDoesNotLockHandsTheWakeupOn() {
        Holder h = hold("H", 5, 0, unlockAt(5));
        h.cookie();
        Worker<Long> w1 = Worker.start("W1", () -> {
            long e = locks.waitUnlocked(idx, 5, 0, true);
            locks.putUnlocked(idx, 5, e); // without this, W2 would sleep forever
            return e;
        });
        hooks.awaitEvent("sleep:W1");
        Worker<Long> w2 = Worker.start("W2", () -> locks.waitUnlocked(idx, 5, 0, true));
        hooks.awaitEvent("sleep:W2");
        h.release();
        assertEquals(empty(false), w1.result());
        assertEquals(empty(false), w2.result());
    }

    @Test
    @DisplayName("R4: downgrading a ZERO PMD unmaps it without the short lock and wakes every waiter")
    void downgradingAZeroPmdUnmapsItWithoutTheShortLockAndWakesEveryWaiter() {
        put(0, 9, zero(true));
        List<String> unmapped = new CopyOnWriteArrayList<>();
        Downgrader unmap = (first, pages) -> {
            assertFalse(idx.isLockedByCurrentThread(), "unmapping happens without the short lock");
            assertEquals(withLocked(zero(true)), idx.load(first), "the PMD is locked meanwhile");
            unmapped.add(first + "+" + pages);
        };
        hooks.gate("downgrade:D");
        Worker<Long> d = Worker.start("D", () -> {
            long c = locks.grab(idx, 7, 0, unmap);
            locks.unlock(idx, 7, c);
            return c;
        });
        hooks.awaitEvent("downgrade:D");
        Worker<Long> other = grabAndUnlock("O", 200, 0); // wants another page of the same PMD
        hooks.awaitEvent("sleep:O");
        assertEquals(List.of(0L), hooks.sleepKeys("O"));
        hooks.open("downgrade:D");
        assertEquals(withLocked(empty(false)), d.result());
        assertEquals(withLocked(empty(false)), other.result());
        assertEquals(List.of("0+512"), unmapped);
        assertEquals(1, locks.downgrades());
        assertEquals(2, idx.count());
    }

    @Test
    void anEmptyPmdIsDowngradedWithoutUnmappingAndARealOneNeverIs() {
        put(0, 9, empty(true));
        long c = locks.grab(idx, 9, 0, (f, p) -> fail("an EMPTY PMD maps nothing"));
        assertEquals(withLocked(empty(false)), c);
        locks.unlock(idx, 9, c);
        put(512, 9, real(0x200, true));
        long r = locks.grab(idx, 513, 0, (f, p) -> fail("REAL PMDs are never downgraded"));
        assertEquals(withLocked(real(0x200, true)), r);
        locks.unlock(idx, 513, r);
        assertEquals(1, locks.downgrades());
    }

    @Test
    void aFailedUnmapLeavesTheZeroPmdInPlaceAndUnlocked() {
        put(0, 9, zero(true));
        RuntimeException boom = new RuntimeException("unmap failed");
        assertThrows(RuntimeException.class, () -> locks.grab(idx, 7, 0, (f, p) -> {
            throw boom;
        }));
        assertEquals(zero(true), idx.load(7));
        long c = locks.grab(idx, 7, 9, NONE);
        assertEquals(withLocked(zero(true)), c);
        locks.unlock(idx, 7, c);
    }

    // ---- the lock checker sees entry locks ----

    @Test
    void anEntryLockTakenUnderADeeperLockOrASecondEntryLockIsAnOrderViolation() {
        OrderedLock allocator = new OrderedLock(LockLevel.ALLOCATOR, "allocator");
        allocator.lock();
        try {
            assertThrows(LockChecker.LockViolation.class, () -> locks.grab(idx, 1, 0, NONE));
            assertThrows(LockChecker.LockViolation.class, () -> locks.waitUnlocked(idx, 1, 0, true));
        } finally {
            allocator.unlock();
        }
        long first = locks.grab(idx, 1, 0, NONE);
        try {
            assertThrows(LockChecker.LockViolation.class, () -> locks.grab(idx, 2, 0, NONE));
        } finally {
            locks.unlock(idx, 1, first);
        }
        assertEquals(Entry.ABSENT, idx.load(2), "the refused grab changed nothing");
        List<String> violations = LockChecker.drainViolations(); // expected ones: keep the test green
        assertEquals(3, violations.size(), violations.toString());
    }

    // ---- the wait table on its own ----

    @Nested
    class WaitTableRules {
        private final EntryIndex otherFile = new EntryIndex(2);

        /** A thread that queues on a key and then sleeps; its result says it woke. */
        private Worker<String> waiter(String name, EntryIndex index, long key, boolean exclusive) {
            CountDownLatch queued = new CountDownLatch(1);
            Worker<String> w = Worker.start(name, () -> {
                WaitTable.Waiter me = table.enqueue(index, key, exclusive);
                queued.countDown();
                me.await();
                return name;
            });
            Worker.await(queued);
            return w;
        }

        private long collidingKey(long key) {
            for (long k = key + 1; ; k++) {
                if (table.queueOf(idx, k) == table.queueOf(idx, key)) {
                    return k;
                }
            }
        }

        @Test
        void wakeOneWakesNonExclusiveWaitersAndTheFirstExclusiveOneOfTheFullKeyOnly() {
            long key = 512;
            long neighbour = collidingKey(key);
            Worker<String> e1 = waiter("E1", idx, key, true);
            Worker<String> n1 = waiter("N1", idx, key, false);
            Worker<String> e2 = waiter("E2", idx, key, true);
            Worker<String> n2 = waiter("N2", idx, key, false);
            Worker<String> x = waiter("X", idx, neighbour, true);
            Worker<String> o = waiter("O", otherFile, key, true);

            assertEquals(3, table.wakeOne(idx, key));
            assertEquals("E1", e1.result());
            assertEquals("N1", n1.result());
            assertEquals("N2", n2.result());
            assertFalse(e2.isDone());
            assertEquals(1, table.waiting(idx, key));
            assertEquals(1, table.waiting(idx, neighbour), "same queue, other key: not woken");
            assertEquals(1, table.waiting(otherFile, key), "same page index of another file: not woken");

            assertEquals(1, table.wakeOne(idx, key));
            assertEquals("E2", e2.result());
            assertEquals(0, table.wakeOne(idx, key));
            assertEquals(1, table.wakeAll(idx, neighbour));
            assertEquals("X", x.result());
            assertEquals(1, table.wakeAll(otherFile, key));
            assertEquals("O", o.result());
            assertEquals(6, table.waits());
            assertEquals(6, table.wakeups());
        }

        @Test
        void wakeAllWakesEveryWaiterOfTheKey() {
            List<Worker<String>> ws = List.of(waiter("A", idx, 7, true), waiter("B", idx, 7, true), waiter("C", idx, 7, false));
            assertEquals(3, table.wakeAll(idx, 7));
            for (Worker<String> w : ws) {
                w.result();
            }
            assertEquals(0, table.wakeAll(idx, 7));
        }

        @Test
        void anInterruptibleWaitEndsOnInterruptAndLeavesTheQueue() {
            CountDownLatch queued = new CountDownLatch(1);
            Worker<String> w = Worker.start("I", () -> {
                WaitTable.Waiter me = table.enqueue(idx, 7, true);
                queued.countDown();
                try {
                    me.awaitInterruptibly();
                    return "woken";
                } catch (InterruptedException e) {
                    return "interrupted";
                }
            });
            Worker.await(queued);
            w.thread().interrupt();
            assertEquals("interrupted", w.result());
            assertEquals(0, table.waiting(idx, 7));
            assertEquals(0, table.wakeOne(idx, 7), "a cancelled waiter absorbs no wakeup");
        }

        @Test
        void anUninterruptibleWaitSurvivesAnInterruptAndKeepsItsStatus() {
            CountDownLatch queued = new CountDownLatch(1);
            Worker<Boolean> w = Worker.start("U", () -> {
                WaitTable.Waiter me = table.enqueue(idx, 7, true);
                queued.countDown();
                me.await();
                return Thread.currentThread().isInterrupted();
            });
            Worker.await(queued);
            w.thread().interrupt();
            assertEquals(1, table.waiting(idx, 7), "still waiting after the interrupt");
            table.wakeOne(idx, 7);
            assertTrue(w.result(), "the interrupt status is kept for the caller");
        }

        @Test
        void anAbandonedExclusiveWakeupIsHandedToTheNextWaiter() {
            WaitTable.Waiter first = table.enqueue(idx, 7, true); // this thread, which will not sleep
            Worker<String> second = waiter("S", idx, 7, true);
            assertEquals(1, table.wakeOne(idx, 7));
            assertFalse(second.isDone());
            first.abandon();
            assertEquals("S", second.result());
        }
    }
}
