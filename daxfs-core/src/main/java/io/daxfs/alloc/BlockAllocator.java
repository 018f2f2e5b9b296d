package io.daxfs.alloc;

import io.daxfs.device.Device;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.journal.Journal;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongBinaryOperator;

/**
 * Free space of the data area, in allocation groups.
 *
 * <h2>State</h2>
 * <ul>
 * <li>{@code bitmap}: what the on-device block bitmap says once the running transaction
 *     commits (allocation and free both change it at once, inside a journal handle).</li>
 * <li>Per {@link AllocationGroup}: the free runs that may be handed out now ({@link FreeRuns},
 *     indexed by start, length and aligned 2 MiB pieces), a short stack of recently released
 *     single blocks, and the pending blocks: freed, but by a transaction not yet checkpointed
 *     (see {@link Journal}; for file data, not yet committed), so not yet allocatable.</li>
 * <li>{@code allocatable}: the blocks in every group's free runs, minus what takers have
 *     reserved and not yet taken. A taker first reserves its budget here with one
 *     compare-and-set, which is what keeps the metadata reserve exact without a global lock.</li>
 * </ul>
 * Invariants: every free run is clear in the bitmap; pending blocks are clear in the bitmap and
 * in no run; when no allocation is in progress, {@code allocatable} is the sum of the groups'
 * free runs and recent blocks.
 *
 * <h2>Placement</h2>
 * Groups are 2 MiB-aligned slices of at least 128 MiB (at most about 1024 of them). A request
 * starts at the group of its {@code goal} (the device block after the file's previous block,
 * for contiguity) or, for a file's first blocks, at a group chosen by the file's inode number,
 * so different files spread over groups and their allocations do not meet on a lock. A request
 * for whole 2 MiB-aligned pieces of a file ({@code huge}) takes the smallest run that holds
 * enough aligned pieces, so the DAX layer can map them as huge pages; other requests continue
 * at {@code goal} when it is free, else take the best fit by length, so small files fill small
 * holes and leave the large aligned runs whole. A single block without a free goal is the
 * group's most recently released one, when it has one ({@link AllocationGroup}). A group that
 * cannot serve sends the request on to the next group that has space (read from lock-free
 * hints). A small reserve is kept for
 * metadata blocks (directory and extent blocks), so that running out of data space never
 * leaves an operation unable to record what it already did.
 *
 * <h2>No zeroing</h2>
 * {@link #allocateData} writes nothing to the blocks. A file maps them unwritten (reading as
 * zeros) until its writer has written or zeroed them, and the commit that marks them written
 * makes those bytes durable first; so a former owner's bytes are never readable, after a crash
 * either, and no block is written twice.
 *
 * <h2>Locks</h2>
 * One {@link AllocationGroup#lock} at a time ({@code ALLOCATOR} level); never two groups at once.
 * Every method touches a range group by group. {@link #collect} takes no group lock: it runs
 * while no handle is open, and only handles change the bitmap.
 */
public final class BlockAllocator implements DirtySource {
    /** Smallest group: 128 MiB of blocks. */
    static final long MIN_GROUP_BLOCKS = 1L << 15;
    /** About this many groups at most. */
    static final long TARGET_GROUPS = 1024;

    private final Geometry geometry;
    private final Discarder discarder;
    private final long reserve;
    private final BitmapImage bitmap;
    private final int groupShift;
    private final AllocationGroup[] groups;
    private final AtomicLong allocatable = new AtomicLong();
    private final AtomicLong pendingTotal = new AtomicLong();
    private final AtomicLong heldBackTotal = new AtomicLong();
    /** Answers the first block of a range still referenced by a page (or -1): see {@link #reuseOnlyWhenIdle}. */
    private volatile LongBinaryOperator firstReferenced = (from, to) -> -1;

    private BlockAllocator(Device device, Geometry geometry, BitmapImage bitmap) {
        this.geometry = geometry;
        this.bitmap = bitmap;
        this.reserve = Math.min(256, Math.max(16, geometry.dataBlocks() / 256));
        long groupBlocks = Math.max(MIN_GROUP_BLOCKS, Long.highestOneBit(Math.max(1, geometry.totalBlocks() / TARGET_GROUPS)) * 2);
        this.groupShift = Long.numberOfTrailingZeros(groupBlocks);
        int first = (int) (geometry.dataStart() >>> groupShift);
        int last = (int) ((geometry.totalBlocks() - 1) >>> groupShift);
        this.groups = new AllocationGroup[last - first + 1];
        for (int i = 0; i < groups.length; i++) {
            long gs = (long) (first + i) << groupShift;
            groups[i] = new AllocationGroup(i, Math.max(gs, geometry.dataStart()),
                    Math.min(gs + groupBlocks, geometry.totalBlocks()));
        }
        for (AllocationGroup g : groups) {
            for (long b = bitmap.nextClear(g.start); b >= 0 && b < g.end; ) {
                long end = Math.min(bitmap.nextSet(b), g.end);
                g.runs.add(b, end - b);
                b = end >= g.end ? -1 : bitmap.nextClear(end);
            }
            g.updateHints();
            allocatable.addAndGet(g.runs.free());
        }
        this.discarder = device.discardsFreedSpace() ? new Discarder(device, groups, this::releaseDiscarded) : null;
    }

    /** Loads the block bitmap of a mounted device. EUCLEAN if a bitmap block is damaged. */
    public static BlockAllocator load(Device device, Geometry g, java.util.function.LongFunction<MemorySegment> reader) throws DaxException {
        BitmapImage img = BitmapImage.load(reader, g.blockBitmapStart(), g.blockBitmapBlocks(),
                g.totalBlocks(), BlockHeader.BLOCK_BITMAP, "block");
        long clear = img.nextClear(0);
        if (clear >= 0 && clear < g.dataStart()) {
            throw new DaxException(Errno.EUCLEAN, "block bitmap: metadata block " + clear + " is marked free");
        }
        return new BlockAllocator(device, g, img);
    }

    /** Writes the initial block bitmap (metadata area in use) straight to the device, for format. */
    public static void format(MemorySegment dev, Geometry g) {
        BitmapImage img = BitmapImage.empty(g.blockBitmapBlocks(), g.totalBlocks(), g.blockBitmapStart(), BlockHeader.BLOCK_BITMAP);
        img.set(0, g.dataStart(), true);
        for (int i = 0; i < img.blockCount(); i++) {
            img.writeBlock(dev.asSlice((g.blockBitmapStart() + i) << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE), i);
        }
    }

    /**
     * Allocates up to {@code want} data blocks as one run inside {@code handle}, without writing
     * them: the caller maps them unwritten (they read as zeros) until it has written them.
     * Returns {start, length}; ENOSPC when nothing is free beyond the metadata reserve.
     *
     * @param goal device block to continue from (0: none)
     * @param huge the request covers whole 2 MiB-aligned pieces of a file: prefer an aligned run
     * @param owner the file's inode number: spreads files without a goal over the groups
     */
    public long[] allocateData(Journal.Handle handle, long want, long goal, boolean huge, long owner) throws DaxException {
        long[] run = take(want, goal, huge, owner, reserve);
        if (run == null) {
            throw new DaxException(Errno.ENOSPC, "no free data blocks");
        }
        handle.markDirty(this);
        return run;
    }

    /**
     * Allocates a run of 1 to {@code want} blocks for metadata (may use the reserve), continuing
     * {@code goal} when it can; returns {start, length}. Not zeroed: metadata is written whole.
     */
    public long[] allocateMetaRun(Journal.Handle handle, long goal, long want) throws DaxException {
        long[] run = take(want, goal, false, 0, 0);
        if (run == null) {
            throw new DaxException(Errno.ENOSPC, "no free blocks, not even in the metadata reserve");
        }
        handle.markDirty(this);
        return run;
    }

    /** Allocates one block for metadata (may use the reserve). Not zeroed: metadata is written whole. */
    public long allocateMeta(Journal.Handle handle, long goal) throws DaxException {
        long[] run = take(1, goal, false, 0, 0);
        if (run == null) {
            throw new DaxException(Errno.ENOSPC, "no free blocks, not even in the metadata reserve");
        }
        handle.markDirty(this);
        return run[0];
    }

    /**
     * Frees a run inside {@code handle}: the bitmap says free when the transaction commits; the
     * blocks become allocatable after it is checkpointed. Word by word, group by group.
     */
    public void free(Journal.Handle handle, long start, long count) {
        free(handle, start, count, false);
    }

    /**
     * Frees a run of a regular file's data: as {@link #free}, but the blocks become allocatable
     * once the transaction is committed ({@link Journal.Handle#afterCommit}): no journal image
     * names a data block, so replay cannot write over its next owner's bytes. A file rewritten
     * or deleted gives its blocks back within one commit, to the recent stack of their group.
     */
    public void freeData(Journal.Handle handle, long start, long count) {
        free(handle, start, count, true);
    }

    private void free(Journal.Handle handle, long start, long count, boolean data) {
        if (start < geometry.dataStart() || start + count > geometry.totalBlocks() || count <= 0) {
            throw new IllegalArgumentException("freeing [" + start + ", +" + count + ") outside the data area");
        }
        forEachGroupPiece(start, count, (g, s, n) -> {
            g.lock.lock();
            try {
                if (!bitmap.allSet(s, n)) {
                    throw new IllegalStateException("double free in [" + s + ", +" + n + ")");
                }
                bitmap.set(s, n, false);
                g.pending += n;
            } finally {
                g.lock.unlock();
            }
            pendingTotal.addAndGet(n);
        });
        handle.markDirty(this);
        if (data) {
            handle.afterCommit(() -> release(start, count));
        } else {
            handle.afterCheckpoint(() -> release(start, count));
        }
    }

    /** Free blocks available to data allocation now (excluding pending frees and the reserve). */
    public long availableForData() {
        return Math.max(0, allocatable.get() - reserve);
    }

    /** Blocks free once pending frees are released (what statfs reports). */
    public long freeBlocks() {
        return allocatable.get() + pendingTotal.get();
    }

    /** {@link #freeBlocks} less the metadata reserve: what file data can still get (statfs's f_bavail). */
    public long availableBlocks() {
        return Math.max(0, freeBlocks() - reserve);
    }

    public long pendingBlocks() {
        return pendingTotal.get();
    }

    /** Number of allocation groups. */
    public int groupCount() {
        return groups.length;
    }

    /** True when the bitmap says every block of {@code [start, start + count)} is in use. */
    public boolean allInUse(long start, long count) {
        boolean[] all = {true};
        forEachGroupPiece(start, count, (g, s, n) -> {
            g.lock.lock();
            try {
                all[0] &= bitmap.allSet(s, n);
            } finally {
                g.lock.unlock();
            }
        });
        return all[0];
    }

    /** True when the bitmap (as of the running transaction) says block {@code b} is in use. */
    public boolean inUse(long b) {
        if (b < geometry.dataStart()) {
            return true;
        }
        AllocationGroup g = groupOf(b);
        g.lock.lock();
        try {
            return bitmap.get(b);
        } finally {
            g.lock.unlock();
        }
    }

    @Override
    public void collect(CommitBuilder b) {
        bitmap.collect(b); // no handle is open: nothing changes the bitmap meanwhile
    }

    /** The bitmap blocks the next commit will write, plus one. */
    @Override
    public int estimatedBlocks() {
        return bitmap.dirtyCount() + 1;
    }

    /**
     * Makes the allocator hand out a freed block only while {@code firstReferenced} finds no page
     * reference in its range (Linux: a page is reused only at refcount 0). The DAX layer revokes
     * every window and waits for pins before blocks are freed, so this should never hold a block
     * back; if a bug left a window behind, the block leaks (and is retried at each checkpoint)
     * instead of showing one file's data in another.
     *
     * @param firstReferenced given {@code [from, to)}, the first block still referenced, or -1
     */
    public void reuseOnlyWhenIdle(LongBinaryOperator firstReferenced) {
        this.firstReferenced = firstReferenced;
    }

    /** Freed blocks held back because they were still referenced at their checkpoint. */
    public long heldBack() {
        return heldBackTotal.get();
    }

    /**
     * Waits until freed blocks on their way back to a sparse image's host are allocatable again:
     * for a caller short of space, after the checkpoint that released them.
     */
    public void awaitDiscards() {
        if (discarder != null) {
            discarder.awaitIdle();
        }
    }

    /** Stops giving space back to the host (unmount, before the device closes). */
    public void close() {
        if (discarder != null) {
            discarder.close();
        }
    }

    // ---------------------------------------------------------------- taking

    /** Takes a run of at most {@code want} blocks, leaving {@code keep} blocks free; null when there is none. */
    private long[] take(long want, long goal, boolean huge, long owner, long keep) {
        if (want <= 0) {
            return null;
        }
        long budget = reserveBudget(want, keep);
        if (budget == 0) {
            return null;
        }
        long[] run = null;
        try {
            run = choose(budget, goal, huge, owner);
            return run;
        } finally {
            allocatable.addAndGet(budget - (run == null ? 0 : run[1]));
        }
    }

    /** Takes up to {@code want} blocks of {@code allocatable} beyond {@code keep}; 0 when none. */
    private long reserveBudget(long want, long keep) {
        for (;;) {
            long a = allocatable.get();
            long b = Math.min(want, a - keep);
            if (b <= 0) {
                return 0;
            }
            if (allocatable.compareAndSet(a, a - b)) {
                return b;
            }
        }
    }

    private long[] choose(long budget, long goal, boolean huge, long owner) {
        int first = goal > 0 && goal >= geometry.dataStart() && goal < geometry.totalBlocks() ? groupOf(goal).index
                : homeGroup(owner);
        if (huge && budget >= Geometry.HUGE_BLOCKS) {
            long pieces = budget & -(long) Geometry.HUGE_BLOCKS;
            for (int i = 0; i < groups.length; i++) {
                AllocationGroup g = groups[(first + i) % groups.length];
                if (g.hugeHint > 0 || g.recentHint > 0) {
                    // Recent blocks may be what keeps an aligned piece from forming: on a miss
                    // they go back to the runs, and the group is asked once more.
                    long[] r = inGroup(g, grp -> {
                        long[] got = grp.runs.takeHuge(pieces);
                        return got == null && grp.flushRecent() ? grp.runs.takeHuge(pieces) : got;
                    });
                    if (r != null) {
                        return r;
                    }
                }
            }
        }
        if (goal > 0 && goal >= geometry.dataStart() && goal < geometry.totalBlocks()) {
            long[] r = inGroup(groupOf(goal), grp -> grp.runs.takeAt(goal, budget));
            if (r != null) {
                return r;
            }
        }
        // Reserved blocks exist somewhere; a group may have been drained by the time it is
        // locked, so the walk goes round until it finds them (other takers only ever hold what
        // they reserved themselves).
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < groups.length; i++) {
                AllocationGroup g = groups[(first + i) % groups.length];
                if (g.freeHint > 0) {
                    long[] r = inGroup(g, grp -> takeFromGroup(grp, budget, goal));
                    if (r != null) {
                        return r;
                    }
                }
            }
        }
        return null;
    }

    /**
     * A request that has no aligned piece or goal to go to: a single block comes off the recent
     * stack when there is one; anything else is a best fit from the runs (for a new stream, from
     * the middle of a large run), which get the recent blocks back first if they cannot serve.
     * Lock held.
     */
    private static long[] takeFromGroup(AllocationGroup g, long budget, long goal) {
        if (budget == 1) {
            long[] r = g.popRecent();
            if (r != null) {
                return r;
            }
        }
        long[] r = goal > 0 ? g.runs.takeBestFit(budget) : g.runs.takeForNewStream(budget);
        if (r == null && g.flushRecent()) {
            r = g.runs.takeBestFit(budget);
        }
        return r;
    }

    private interface GroupTake {
        long[] take(AllocationGroup g);
    }

    /** One attempt in group {@code g}, under its lock; marks what it took used in the bitmap. */
    private long[] inGroup(AllocationGroup g, GroupTake how) {
        g.lock.lock();
        try {
            long[] r = how.take(g);
            if (r != null) {
                bitmap.set(r[0], r[1], true);
            }
            g.updateHints(); // also after a miss: it may have flushed the recent blocks
            return r;
        } finally {
            g.lock.unlock();
        }
    }

    /** The group a file without a goal starts in: its inode number, spread. */
    private int homeGroup(long owner) {
        long mixed = owner * 0x9E37_79B9_7F4A_7C15L;
        return (int) Long.remainderUnsigned(mixed ^ (mixed >>> 32), groups.length);
    }

    private AllocationGroup groupOf(long block) {
        return groups[(int) ((block >>> groupShift) - (geometry.dataStart() >>> groupShift))];
    }

    private interface Piece {
        void accept(AllocationGroup g, long start, long count);
    }

    /** Splits {@code [start, start + count)} at group boundaries. */
    private void forEachGroupPiece(long start, long count, Piece action) {
        long end = start + count;
        for (long s = start; s < end; ) {
            AllocationGroup g = groupOf(s);
            long e = Math.min(end, g.end);
            action.accept(g, s, e - s);
            s = e;
        }
    }

    // ---------------------------------------------------------------- releasing

    /** After the freeing transaction's checkpoint: pending blocks that no page references become allocatable. */
    private void release(long start, long count) {
        forEachGroupPiece(start, count, this::releaseInGroup);
    }

    private void releaseInGroup(AllocationGroup g, long start, long count) {
        long released = 0;
        long held = 0;
        boolean discard = false;
        g.lock.lock();
        try {
            for (int i = g.heldBack.size() - 1; i >= 0; i--) {
                long b = g.heldBack.get(i);
                if (firstReferenced.applyAsLong(b, b + 1) < 0) {
                    g.heldBack.remove(i);
                    g.runs.add(b, 1);
                    released++;
                    held--;
                }
            }
            long end = start + count;
            discard = discarder != null && discarder.enabled();
            for (long s = start; s < end; ) {
                long busy = firstReferenced.applyAsLong(s, end);
                long stop = busy < 0 ? end : busy;
                if (stop > s && discard) {
                    g.toDiscard.add(new long[]{s, stop - s}); // stays pending until punched
                } else if (stop > s) {
                    if (stop - s != 1 || !g.pushRecent(s)) {
                        g.runs.add(s, stop - s);
                    }
                    released += stop - s;
                }
                if (busy < 0) {
                    break;
                }
                g.heldBack.add(busy);
                held++;
                s = busy + 1;
            }
            g.pending -= released;
            g.updateHints();
        } finally {
            g.lock.unlock();
        }
        pendingTotal.addAndGet(-released);
        allocatable.addAndGet(released);
        heldBackTotal.addAndGet(held);
        if (discard) {
            discarder.wake();
        }
    }

    /** The discarder punched {@code runs} out of the image: they become allocatable. */
    private void releaseDiscarded(AllocationGroup g, java.util.List<long[]> runs) {
        long n = 0;
        g.lock.lock();
        try {
            for (long[] r : runs) {
                g.runs.add(r[0], r[1]);
                n += r[1];
            }
            g.pending -= n;
            g.updateHints();
        } finally {
            g.lock.unlock();
        }
        pendingTotal.addAndGet(-n);
        allocatable.addAndGet(n);
    }
}
