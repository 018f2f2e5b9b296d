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
 * <p>State guarded by {@link #lock}: {@link #runs}, the recent blocks, {@link #pending},
 * {@link #heldBack}, {@link #toDiscard}.
 * Invariants: every run is clear in the bitmap and inside {@code [start, end)}; so is every
 * recent block, which lies in no run; pending blocks are clear in the bitmap, in no run and not
 * recent; held-back blocks are pending.
 *
 * <p><b>Recent blocks.</b> Single blocks released by a checkpoint (a small file rewritten or
 * deleted) are kept on a bounded stack instead of being merged into {@link #runs}, and single-block
 * requests take them last in, first out. Both ends are O(1), where a run costs a handful of
 * tree updates, and the block handed out is the one released last, the likeliest to be in the
 * CPU's caches still (the kernel's per-CPU page lists hand out freed pages the same way). A block
 * on the stack is not merged with its free neighbours; the stack is small (2 MiB at most), and
 * emptied into the runs whenever the runs cannot serve a request ({@link #flushRecent}).
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
    /** Most recent blocks kept: one 2 MiB piece's worth. */
    static final int RECENT_MAX = 512;
    private final long[] recent = new long[RECENT_MAX];
    private int recentCount;
    /** Free blocks in {@link #runs} and on the recent stack, readable without the lock (a hint for choosing a group). */
    volatile long freeHint;
    /** Whole aligned 2 MiB pieces in {@link #runs}, readable without the lock (a hint). */
    volatile long hugeHint;
    /** Blocks on the recent stack, readable without the lock (a hint). */
    volatile int recentHint;

    AllocationGroup(int index, long start, long end) {
        this.index = index;
        this.start = start;
        this.end = end;
        this.lock = new OrderedLock(LockLevel.ALLOCATOR, "blocks", index);
    }

    /** Publishes the lock-free hints after a change of {@link #runs} or the recent stack. Lock held. */
    void updateHints() {
        freeHint = runs.free() + recentCount;
        hugeHint = runs.hugePieces();
        recentHint = recentCount;
    }

    /** Keeps a released block on the recent stack; false when the stack is full. Lock held. */
    boolean pushRecent(long block) {
        if (recentCount == RECENT_MAX) {
            return false;
        }
        recent[recentCount++] = block;
        return true;
    }

    /** Takes the block released last, as a run {block, 1}; null when there is none. Lock held. */
    long[] popRecent() {
        return recentCount == 0 ? null : new long[]{recent[--recentCount], 1};
    }

    /** Gives every recent block back to the runs, where it merges with its free neighbours; whether there was any. Lock held. */
    boolean flushRecent() {
        if (recentCount == 0) {
            return false;
        }
        for (int i = 0; i < recentCount; i++) {
            runs.add(recent[i], 1);
        }
        recentCount = 0;
        return true;
    }

    boolean contains(long block) {
        return block >= start && block < end;
    }

    @Override
    public String toString() {
        return "allocation group " + index + " [" + start + ", " + end + ")";
    }
}
