package io.daxfs.dax;

/**
 * Points in the DAX paths (entry locks, faults, layout breaks, writeback) where a test can stop
 * a thread and let another run: the race tests of docs/RACES.md force their interleavings with
 * latches in these hooks, never with sleeps. Production code uses {@link #NONE}; every method
 * does nothing by default.
 *
 * <p>No hook runs with the index short lock held. A hook that throws is allowed: the entry-lock
 * protocol stays consistent (a queued waiter is abandoned, handing on any wakeup it got).
 * This interface is public for tests in other packages; it is not an extension point.
 */
public interface DaxHooks {
    /** Does nothing. */
    DaxHooks NONE = new DaxHooks() {
    };

    /**
     * A waiter is queued on the key ({@code index}, {@code keyIndex}) and has released the short
     * lock; it is about to sleep. A wakeup of that key sent from now on reaches it.
     */
    default void beforeSleep(EntryIndex index, long keyIndex, boolean exclusive) {
    }

    /** A waiter woke; it will look up the index again from scratch. */
    default void afterWake(EntryIndex index, long keyIndex) {
    }

    /**
     * A 4 KiB grab holds the EMPTY or ZERO PMD entry at {@code pmdIndex} locked and has dropped
     * the short lock (to remove zero-page mappings); it retakes the lock when this returns.
     */
    default void duringDowngrade(EntryIndex index, long pmdIndex) {
    }

    /**
     * An unlock ({@code all} false) or delete ({@code all} true) has stored its change and
     * released the short lock; the wakeup of {@code keyIndex} comes next.
     */
    default void beforeUnlockWake(EntryIndex index, long keyIndex, boolean all) {
    }

    /**
     * A fault holds the entry lock of {@code index} (the locked word {@code entry}) under the
     * invalidate lock, and is about to ask the file system for the block mapping.
     */
    default void faultLocked(EntryIndex index, long pageIndex, long entry) {
    }

    /**
     * A layout break (truncate, punch, ...) found the entry at {@code pageIndex} busy (pinned);
     * it is about to drop the invalidate lock and wait.
     */
    default void layoutBusy(EntryIndex index, long pageIndex) {
    }

    /**
     * Writeback holds the entry lock of {@code pageIndex}, has cleared TOWRITE and
     * write-protected the entry in every mapping, and is about to flush it and clear DIRTY.
     */
    default void writebackFlushing(EntryIndex index, long pageIndex) {
    }

    /**
     * Building a segment ({@link StitchedMapping}), a fault has installed the entry of
     * {@code pageIndex} in the builder's page table; the mapping reference on its page is taken
     * next, under the table lock.
     */
    default void segmentFaulted(EntryIndex index, long pageIndex) {
    }

    /**
     * Building a segment, the JDK has mapped the carrier at {@code [address, address + length)}
     * for the caller's arena and the arena's cleanup is registered; the range is stitched next.
     */
    default void segmentCarried(EntryIndex index, long address, long length) {
    }

    /**
     * A segment ({@link StitchedMapping}) is stitched one run of device pages after another;
     * run {@code run} has just been mapped into the range, under the segment's monitor.
     */
    default void segmentRunMapped(EntryIndex index, int run) {
    }

    /**
     * A segment's arena is closing: its cleanup is about to release the segment's pages (it
     * takes the segment's monitor next).
     */
    default void segmentReleasing(EntryIndex index) {
    }
}
