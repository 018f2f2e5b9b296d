package io.daxfs.alloc;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;

import java.util.ArrayList;
import java.util.List;

/**
 * One allocation group: a fixed, 2 MiB-aligned slice of the data area with its own lock, its
 * own free runs and its own frees waiting to be released. Threads allocating for files in
 * different groups never meet; the block bitmap is shared, but a group's blocks are whole
 * 64-bit words of it, changed only under this group's lock.
 *
 * <p>State guarded by {@link #lock}: {@link #runs}, {@link #pending}, {@link #heldBack},
 * {@link #toDiscard}.
 * Invariants: every run is clear in the bitmap and inside {@code [start, end)}; pending blocks
 * are clear in the bitmap and in no run; held-back blocks are pending.
 */
final class AllocationGroup {
    final int index;
    /** First data block of the group. */
    final long start;
    /** One past its last block. */
    final long end;
    final OrderedLock lock;
    final FreeRuns runs = new FreeRuns();
    /** Freed by a transaction not yet checkpointed, or held back: clear in the bitmap, not allocatable. */
    long pending;
    /** Pending blocks whose release found them still referenced (see {@link BlockAllocator#reuseOnlyWhenIdle}). */
    final List<Long> heldBack = new ArrayList<>();
    /** Released runs waiting to be punched out of a sparse image before reuse ({@link Discarder}); pending. */
    final List<long[]> toDiscard = new ArrayList<>();
    /** Free blocks in {@link #runs}, readable without the lock (a hint for choosing a group). */
    volatile long freeHint;
    /** Whole aligned 2 MiB pieces in {@link #runs}, readable without the lock (a hint). */
    volatile long hugeHint;

    AllocationGroup(int index, long start, long end) {
        this.index = index;
        this.start = start;
        this.end = end;
        this.lock = new OrderedLock(LockLevel.ALLOCATOR, "blocks", index);
    }

    /** Publishes the lock-free hints after a change of {@link #runs}. Lock held. */
    void updateHints() {
        freeHint = runs.free();
        hugeHint = runs.hugePieces();
    }

    boolean contains(long block) {
        return block >= start && block < end;
    }

    @Override
    public String toString() {
        return "allocation group " + index + " [" + start + ", " + end + ")";
    }
}
