package io.daxfs.dax;

import java.util.concurrent.atomic.LongAdder;

/**
 * Entry locks: the per-entry lock of fs-DAX, kept as the {@link Entry#LOCKED}
 * bit of an entry in a {@link EntryIndex}, with sleepers in a {@link WaitTable}.
 *
 * <h2>Protocol</h2>
 * <ul>
 * <li><b>Lock</b>: under the index's short lock, find the entry, and if it is unlocked store the
 *     same word with LOCKED set. The locked word returned is the holder's <em>cookie</em>.</li>
 * <li><b>Change</b>: only the holder changes a locked entry ({@link #replace}: EMPTY to ZERO to
 *     REAL, same order); LOCKED stays set.</li>
 * <li><b>Unlock</b>: under the short lock, check that the index still holds exactly the
 *     cookie (a wrong-entry unlock, docs/RACES.md R10, fails loudly instead of corrupting the
 *     entry),
 *     store it without LOCKED, release the short lock, wake one waiter of its key.</li>
 * <li><b>Wait</b>: a thread that finds the entry locked queues itself on the key (index, first
 *     page of <em>that entry</em>) before it releases the short lock, sleeps, and then looks up
 *     again from scratch: the entry may have been unlocked, replaced, removed, or turned into
 *     entries of another order meanwhile.</li>
 * <li><b>Wake one</b> after an unlock; <b>wake all</b> whenever an entry is removed or changes
 *     order ({@link #delete}, the PMD downgrade), because the waiters of the old key may now
 *     want different entries, and the one woken might not be the one that could proceed.</li>
 * <li>A woken exclusive waiter passes the wakeup on: it locks the entry (its unlock wakes the
 *     next) or, if it decides not to, calls {@link #putUnlocked}.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ol>
 * <li>LOCKED changes only under the short lock; only the holder changes a locked value, and
 *     its unlock stores exactly the holder's value (docs/RACES.md Rules 2 and 8).</li>
 * <li>A 2 MiB request never sleeps on a smaller entry: it returns {@link #FALLBACK} at once
 *     (docs/RACES.md R1). An empty range is not a conflict (R2).</li>
 * <li>PTE entries win over PMD placeholders: an EMPTY or ZERO PMD met by a 4 KiB request is
 *     removed (downgraded); a REAL PMD never is, the 4 KiB request locks the PMD entry.</li>
 * <li>No thread sleeps holding the short lock; waits happen with only the caller's outer locks
 *     held. An entry lock ranks at {@link io.daxfs.lock.LockLevel#ENTRY}: after the invalidate
 *     lock, before journal handles and the allocator, and the checker enforces it in tests.
 *     A thread holds at most one entry lock, and each belongs to the thread that grabbed it.</li>
 * </ol>
 *
 * <p>This class holds no per-file state: one instance per file system serves every mapping
 * index, with that file system's wait table.
 */
public final class EntryLocks {
    /** What a 2 MiB grab returns when smaller entries occupy the range: fall back to 4 KiB. */
    public static final long FALLBACK = Entry.FALLBACK;

    /** What a downgrade needs from the memory-mapping layer. */
    @FunctionalInterface
    public interface Downgrader {
        /** A downgrader for indices that nothing maps. */
        Downgrader NONE = (firstIndex, pages) -> {
        };

        /**
         * Removes every user mapping of pages {@code [firstIndex, firstIndex + pages)} of the
         * file (the shared zero page, for a ZERO PMD entry being downgraded). Called with that
         * PMD entry locked and the index short lock not held; it must not grab entry locks.
         */
        void unmapRange(long firstIndex, long pages);
    }

    private final WaitTable waits;
    private final DaxHooks hooks;
    private final EntryLockChecks checks;
    private final LongAdder conflicts = new LongAdder();
    private final LongAdder downgrades = new LongAdder();

    public EntryLocks(WaitTable waits) {
        this(waits, DaxHooks.NONE);
    }

    /** With test hooks (see {@link DaxHooks}). */
    public EntryLocks(WaitTable waits, DaxHooks hooks) {
        this(waits, hooks, EntryLockChecks.ACTIVE);
    }

    /** For the model checker: {@link EntryLockChecks#OFF} keeps per-thread checker state out. */
    EntryLocks(WaitTable waits, DaxHooks hooks, EntryLockChecks checks) {
        this.waits = waits;
        this.hooks = hooks;
        this.checks = checks;
    }

    public WaitTable waitTable() {
        return waits;
    }

    // ---- taking an entry lock ----

    /**
     * Locks the entry of {@code order} (0 or 9) covering {@code index}, waiting while another
     * thread holds it, and returns the locked word (the cookie for {@link #replace},
     * {@link #unlock} and {@link #delete}):
     * <ul>
     * <li>nothing there: inserts an EMPTY placeholder of {@code order}, locked;</li>
     * <li>order 9 and PTE entries in the 2 MiB range: returns {@link #FALLBACK} without
     *     sleeping and locks nothing;</li>
     * <li>order 0 and an EMPTY or ZERO PMD entry: downgrades it (for a ZERO one, calls
     *     {@code downgrader} to remove zero-page mappings first), wakes all its waiters, and
     *     inserts a locked EMPTY PTE entry;</li>
     * <li>otherwise the entry found, locked; for order 0 that may be a REAL PMD entry.</li>
     * </ul>
     * The entry lock belongs to the calling thread; the caller releases it in a
     * {@code finally} with {@link #unlock} or {@link #delete}.
     */
    public long grab(EntryIndex idx, long index, int order, Downgrader downgrader) {
        EntryIndex.checkIndex(index);
        EntryIndex.checkOrder(order);
        checks.acquire();
        long cookie = FALLBACK;
        try {
            cookie = lockEntry(idx, index, order, downgrader);
            return cookie;
        } finally {
            if (cookie == FALLBACK) {
                checks.release(); // nothing was locked (a conflict, or a failure)
            }
        }
    }

    private long lockEntry(EntryIndex idx, long index, int order, Downgrader downgrader) {
        for (;;) {
            long found;
            WaitTable.Waiter waiter = null;
            idx.lock();
            try {
                found = idx.findConflict(index, order);
                // Absent before the order check: an empty range is not a conflict
                // (docs/RACES.md R2).
                if (found == Entry.ABSENT) {
                    return insertLocked(idx, index, order);
                }
                // A smaller entry in the range: fall back now. Sleeping on it would use the
                // wrong key, and its unlock would never wake us (docs/RACES.md R1).
                if (Entry.order(found) < order) {
                    conflicts.increment();
                    return FALLBACK;
                }
                if (Entry.isLocked(found)) {
                    // Queue before the short lock goes, keyed by the order of the entry found.
                    waiter = waits.enqueue(idx, Entry.baseIndex(index, found), true);
                } else if (order == 0 && Entry.isPmd(found) && !Entry.isReal(found)) {
                    // Lock the PMD placeholder so it stays ours while the short lock is dropped.
                    idx.store(index, Entry.PMD_ORDER, Entry.withLocked(found));
                } else {
                    return lockInPlace(idx, index, found);
                }
            } finally {
                idx.unlock();
            }
            if (waiter == null) {
                return downgrade(idx, index, Entry.withLocked(found), downgrader);
            }
            sleep(idx, waiter);
            // Look up again from scratch: the entry may be gone or of another order now.
        }
    }

    /** Inserts a locked EMPTY placeholder. Short lock held, range known to be empty. */
    private static long insertLocked(EntryIndex idx, long index, int order) {
        long locked = Entry.withLocked(Entry.empty(order));
        idx.store(index, order, locked);
        return locked;
    }

    /** Sets LOCKED on an unlocked entry. Short lock held. */
    private static long lockInPlace(EntryIndex idx, long index, long entry) {
        long locked = Entry.withLocked(entry);
        idx.store(index, Entry.order(entry), locked);
        return locked;
    }

    /**
     * The rest of a downgrade: we hold the EMPTY or ZERO PMD entry {@code lockedPmd} locked and
     * no short lock. Removes zero-page mappings, then, under the short lock, replaces the PMD by
     * our locked 4 KiB placeholder in one step; then wakes every waiter of the PMD, since
     * what they waited for no longer exists (docs/RACES.md R4). The short lock is dropped even
     * for an EMPTY PMD, which needs no unmapping, to keep one path: a PMD downgrade is rare.
     */
    private long downgrade(EntryIndex idx, long index, long lockedPmd, Downgrader downgrader) {
        long pmdIndex = index & -Entry.PMD_PAGES;
        try {
            hooks.duringDowngrade(idx, pmdIndex);
            if (Entry.isZero(lockedPmd)) {
                // Nobody may still read the shared zero page through this range once a 4 KiB
                // entry can become REAL in it.
                downgrader.unmapRange(pmdIndex, Entry.PMD_PAGES);
            }
        } catch (RuntimeException | Error e) {
            releaseLocked(idx, pmdIndex, lockedPmd); // the PMD stays, unlocked
            throw e;
        }
        long cookie = Entry.withLocked(Entry.empty(false));
        idx.lock();
        try {
            expectHeld(idx, pmdIndex, lockedPmd, "downgrade");
            // One step for lock-free readers: the PMD, then our placeholder, never nothing.
            idx.splitPmd(index, cookie);
        } finally {
            idx.unlock();
        }
        downgrades.increment();
        waits.wakeAll(idx, pmdIndex);
        return cookie;
    }

    /** Unlocks an entry without touching the lock checker's record (the grab has not returned). */
    private void releaseLocked(EntryIndex idx, long first, long cookie) {
        idx.lock();
        try {
            expectHeld(idx, first, cookie, "unlock");
            idx.store(first, Entry.order(cookie), Entry.withoutLocked(cookie));
        } finally {
            idx.unlock();
        }
        waits.wakeOne(idx, first);
    }

    // ---- the holder's operations ----

    /**
     * Replaces the holder's locked entry with {@code newEntry} of the same order (EMPTY to ZERO
     * to REAL), keeping it locked and keeping its marks; returns the new cookie. Nobody is
     * woken: the entry is still locked, and its waiters' key is unchanged because the order is.
     * An entry changes order only by removal ({@link #delete}, or a downgrade), which wakes
     * everyone. From ZERO to
     * REAL the caller removes the zero-page mappings first (docs/RACES.md Rule 13).
     */
    public long replace(EntryIndex idx, long index, long cookie, long newEntry) {
        if (Entry.order(newEntry) != Entry.order(cookie) || !Entry.isValid(Entry.withoutLocked(newEntry))) {
            throw new IllegalArgumentException("cannot replace " + Entry.describe(cookie) + " with "
                    + Entry.describe(newEntry) + ": an entry keeps its order while locked");
        }
        long first = Entry.baseIndex(index, cookie);
        long locked = Entry.withLocked(newEntry);
        idx.lock();
        try {
            expectHeld(idx, first, cookie, "replace");
            idx.store(first, Entry.order(cookie), locked);
        } finally {
            idx.unlock();
        }
        return locked;
    }

    /**
     * Unlocks the holder's entry: stores {@code cookie} without LOCKED, after checking that the
     * index holds exactly {@code cookie} ({@link IllegalStateException} naming both words
     * otherwise, with nothing changed), then wakes one waiter of the entry's key.
     */
    public void unlock(EntryIndex idx, long index, long cookie) {
        long first = Entry.baseIndex(index, cookie);
        idx.lock();
        try {
            expectHeld(idx, first, cookie, "unlock");
            idx.store(first, Entry.order(cookie), Entry.withoutLocked(cookie));
        } finally {
            idx.unlock();
        }
        checks.release();
        hooks.beforeUnlockWake(idx, first, false);
        waits.wakeOne(idx, first);
    }

    /**
     * Removes the holder's locked entry (and its marks) and wakes every waiter of its key: the
     * entry they waited for is gone, and each must look again (docs/RACES.md R3: waking one
     * would strand the others, since the woken one has nothing to unlock).
     */
    public void delete(EntryIndex idx, long index, long cookie) {
        long first = Entry.baseIndex(index, cookie);
        idx.lock();
        try {
            expectHeld(idx, first, cookie, "delete");
            idx.erase(first);
        } finally {
            idx.unlock();
        }
        checks.release();
        hooks.beforeUnlockWake(idx, first, true);
        waits.wakeAll(idx, first);
    }

    private static void expectHeld(EntryIndex idx, long first, long cookie, String op) {
        long current = idx.load(first);
        if (current != cookie || !Entry.isLocked(cookie)) {
            throw new IllegalStateException(op + " of " + Entry.describe(cookie) + " [0x" + Long.toHexString(cookie)
                    + "] at index " + first + ", but the index holds " + Entry.describe(current) + " [0x"
                    + Long.toHexString(current) + "]: only the holder's exact locked entry may be released");
        }
    }

    /**
     * Locks the entry covering {@code index} only if it is still exactly {@code expected}
     * (unlocked, as {@link #waitUnlocked} returned it) and, when {@code mark} is not null, still
     * carries that mark; returns the cookie, or {@link Entry#ABSENT} with nothing locked. For
     * scanners (writeback, layout break, invalidation) that waited without locking: the entry
     * may have been replaced, removed or already handled by another scanner while they slept,
     * and they look again instead of moving on (docs/RACES.md Rules 7 and 15).
     */
    public long lockIfUnchanged(EntryIndex idx, long index, long expected, EntryIndex.Mark mark) {
        EntryIndex.checkIndex(index);
        if (expected == Entry.ABSENT || expected == FALLBACK || Entry.isLocked(expected)) {
            return Entry.ABSENT;
        }
        checks.acquire();
        long cookie = Entry.ABSENT;
        try {
            idx.lock();
            try {
                long first = Entry.baseIndex(index, expected);
                if (idx.load(first) == expected && (mark == null || idx.getMark(first, mark))) {
                    cookie = lockInPlace(idx, first, expected);
                }
            } finally {
                idx.unlock();
            }
            return cookie;
        } finally {
            if (cookie == Entry.ABSENT) {
                checks.release();
            }
        }
    }

    /** Sets or clears {@code mark} on the holder's locked entry (DIRTY after a write fault, writeback's steps). */
    public void mark(EntryIndex idx, long index, long cookie, EntryIndex.Mark mark, boolean on) {
        long first = Entry.baseIndex(index, cookie);
        idx.lock();
        try {
            expectHeld(idx, first, cookie, on ? "set mark" : "clear mark");
            if (on) {
                idx.setMark(first, mark);
            } else {
                idx.clearMark(first, mark);
            }
        } finally {
            idx.unlock();
        }
    }

    // ---- waiting without locking ----

    /**
     * For a woken exclusive waiter ({@link #waitUnlocked} with {@code exclusive}) that will not
     * lock {@code entry}: passes the wakeup on to the next waiter of its key, unless the entry
     * is gone or was a conflict (then there is no key to pass it on to).
     */
    public void putUnlocked(EntryIndex idx, long index, long entry) {
        if (entry != Entry.ABSENT && entry != FALLBACK) {
            waits.wakeOne(idx, Entry.baseIndex(index, entry));
        }
    }

    /**
     * Waits until the entry of {@code order} covering {@code index} is unlocked and returns it
     * unlocked (not locking it), or 0 if there is none, or {@link #FALLBACK} if order is 9 and
     * PTE entries occupy the range. For scanners and iterators: they call it again for the
     * same index after a wait rather than moving past a locked entry (docs/RACES.md R8). An
     * exclusive waiter that does not go on to lock the entry must call {@link #putUnlocked}; a
     * non-exclusive waiter is always woken and never passes a wakeup on.
     */
    public long waitUnlocked(EntryIndex idx, long index, int order, boolean exclusive) {
        EntryIndex.checkIndex(index);
        EntryIndex.checkOrder(order);
        checks.checkMayWait();
        // Lock-free first look: an unlocked entry seen here was there at that moment (one slot
        // read). "Nothing" is confirmed under the short lock: a range search without it may miss
        // entries, and a 2 MiB range can empty and refill while it looks.
        long seen = idx.findConflict(index, order);
        if (seen != Entry.ABSENT && !Entry.isLocked(seen) && Entry.order(seen) >= order) {
            return seen;
        }
        for (;;) {
            WaitTable.Waiter waiter;
            idx.lock();
            try {
                long found = idx.findConflict(index, order);
                if (found == Entry.ABSENT || !Entry.isLocked(found) && Entry.order(found) >= order) {
                    return found;
                }
                if (Entry.order(found) < order) {
                    conflicts.increment();
                    return FALLBACK;
                }
                waiter = waits.enqueue(idx, Entry.baseIndex(index, found), exclusive);
            } finally {
                idx.unlock();
            }
            sleep(idx, waiter);
        }
    }

    /** Sleeps on a queued waiter (short lock released); abandons the wait if a hook throws. */
    private void sleep(EntryIndex idx, WaitTable.Waiter waiter) {
        boolean slept = false;
        try {
            hooks.beforeSleep(idx, waiter.keyIndex(), waiter.exclusive());
            waiter.await();
            slept = true;
        } finally {
            if (!slept) {
                waiter.abandon();
            }
        }
        hooks.afterWake(idx, waiter.keyIndex());
    }

    // ---- statistics ----

    /** Sleeps on entry locks (all users of this instance's wait table). */
    public long waits() {
        return waits.waits();
    }

    /** Waiters woken. */
    public long wakeups() {
        return waits.wakeups();
    }

    /** 2 MiB requests that met smaller entries and fell back. */
    public long conflicts() {
        return conflicts.sum();
    }

    /** EMPTY or ZERO PMD entries removed by 4 KiB grabs. */
    public long downgrades() {
        return downgrades.sum();
    }
}
