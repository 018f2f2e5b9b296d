package io.daxfs.alloc;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.device.Device;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.journal.Journal;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;

import java.lang.foreign.MemorySegment;
import java.util.Comparator;
import java.util.function.LongPredicate;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Free space of the data area, as extents.
 *
 * <h2>State</h2>
 * <ul>
 * <li>{@code bitmap}: what the on-device block bitmap says once the running transaction
 *     commits (allocation and free both change it at once, inside a journal handle).</li>
 * <li>{@code byStart} / {@code bySize}: the free runs that may be handed out now. A freed run
 *     enters them only after the transaction that freed it is checkpointed (see
 *     {@link Journal}); until then it is "pending".</li>
 * </ul>
 * Invariant: every run in the free index is clear in the bitmap; pending runs are clear in
 * the bitmap and absent from the index.
 *
 * <h2>Placement</h2>
 * A request for a whole 2 MiB-aligned piece of a file ({@code huge}) takes a 2 MiB-aligned run
 * from the first free run that holds one, so the DAX layer can map it with one PMD entry.
 * Other requests first try to continue right after {@code goal} (the device block after the
 * file's previous block, for contiguity), then best fit by size, so small files fill small
 * holes and leave the large aligned runs whole. A small reserve is kept for metadata blocks
 * (directory and extent blocks), so that running out of data space never leaves an operation
 * unable to record what it already did.
 *
 * <h2>No zeroing</h2>
 * {@link #allocateData} writes nothing to the blocks. A file maps them unwritten (reading as
 * zeros) until its writer has written or zeroed them, and the commit that marks them written
 * makes those bytes durable first; so a former owner's bytes are never readable, after a crash
 * either, and no block is written twice.
 */
public final class BlockAllocator implements DirtySource {
    private static final Comparator<long[]> BY_SIZE = (a, b) -> a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[0], b[0]);

    private final Device device;
    private final Geometry geometry;
    private final long reserve;
    private final OrderedLock lock = new OrderedLock(LockLevel.ALLOCATOR, "blocks");
    private final BitmapImage bitmap;
    private final TreeMap<Long, Long> byStart = new TreeMap<>();
    private final TreeSet<long[]> bySize = new TreeSet<>(BY_SIZE);
    private long freeInIndex;
    private long pending;
    private volatile LongPredicate referenced = b -> false;
    /** Pending blocks whose release found them still referenced (see {@link #reuseOnlyWhenIdle}). */
    private final java.util.List<Long> heldBack = new java.util.ArrayList<>();

    private BlockAllocator(Device device, Geometry geometry, BitmapImage bitmap) {
        this.device = device;
        this.geometry = geometry;
        this.bitmap = bitmap;
        this.reserve = Math.min(256, Math.max(16, geometry.dataBlocks() / 256));
        for (long b = bitmap.nextClear(geometry.dataStart()); b >= 0; ) {
            long end = bitmap.nextSet(b);
            insertFree(b, end - b);
            b = end >= geometry.totalBlocks() ? -1 : bitmap.nextClear(end);
        }
    }

    /** Loads the block bitmap of a mounted device. EUCLEAN if a bitmap block is damaged. */
    public static BlockAllocator load(Device device, Geometry g, java.util.function.LongFunction<MemorySegment> reader) throws DaxException {
        BitmapImage img = BitmapImage.load(reader, g.blockBitmapStart(), g.blockBitmapBlocks(),
                g.totalBlocks(), BlockHeader.BLOCK_BITMAP, "block");
        for (long b = 0; b < g.dataStart(); b++) {
            if (!img.get(b)) {
                throw new DaxException(Errno.EUCLEAN, "block bitmap: metadata block " + b + " is marked free");
            }
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
     */
    public long[] allocateData(Journal.Handle handle, long want, long goal, boolean huge) throws DaxException {
        long[] run = take(want, goal, huge, reserve);
        if (run == null) {
            throw new DaxException(Errno.ENOSPC, "no free data blocks");
        }
        handle.markDirty(this);
        return run;
    }

    /** Allocates one block for metadata (may use the reserve). Not zeroed: metadata is written whole. */
    public long allocateMeta(Journal.Handle handle, long goal) throws DaxException {
        long[] run = take(1, goal, false, 0);
        if (run == null) {
            throw new DaxException(Errno.ENOSPC, "no free blocks, not even in the metadata reserve");
        }
        handle.markDirty(this);
        return run[0];
    }

    /**
     * Frees a run inside {@code handle}: the bitmap says free when the transaction commits; the
     * blocks become allocatable after it is checkpointed.
     */
    public void free(Journal.Handle handle, long start, long count) {
        if (start < geometry.dataStart() || start + count > geometry.totalBlocks() || count <= 0) {
            throw new IllegalArgumentException("freeing [" + start + ", +" + count + ") outside the data area");
        }
        lock.lock();
        try {
            for (long b = start; b < start + count; b++) {
                if (!bitmap.get(b)) {
                    throw new IllegalStateException("double free of block " + b);
                }
            }
            bitmap.set(start, count, false);
            pending += count;
        } finally {
            lock.unlock();
        }
        handle.markDirty(this);
        handle.afterCheckpoint(() -> release(start, count));
    }

    /** Free blocks available to data allocation now (excluding pending frees and the reserve). */
    public long availableForData() {
        lock.lock();
        try {
            return Math.max(0, freeInIndex - reserve);
        } finally {
            lock.unlock();
        }
    }

    /** Blocks free once pending frees are released (what statfs reports). */
    public long freeBlocks() {
        lock.lock();
        try {
            return freeInIndex + pending;
        } finally {
            lock.unlock();
        }
    }

    public long pendingBlocks() {
        lock.lock();
        try {
            return pending;
        } finally {
            lock.unlock();
        }
    }

    /** True when the bitmap says every block of {@code [start, start + count)} is in use. */
    public boolean allInUse(long start, long count) {
        lock.lock();
        try {
            long clear = bitmap.nextClear(start);
            return clear < 0 || clear >= start + count;
        } finally {
            lock.unlock();
        }
    }

    /** True when the bitmap (as of the running transaction) says block {@code b} is in use. */
    public boolean inUse(long b) {
        lock.lock();
        try {
            return bitmap.get(b);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void collect(CommitBuilder b) {
        lock.lock();
        try {
            bitmap.collect(b);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int estimatedBlocks() {
        return 4;
    }

    private long[] take(long want, long goal, boolean huge, long keep) {
        lock.lock();
        try {
            if (freeInIndex <= keep || want <= 0) {
                return null;
            }
            want = Math.min(want, freeInIndex - keep);
            long[] run = huge ? takeAligned(want) : null;
            if (run == null && goal > 0) {
                run = takeAt(goal, want);
            }
            if (run == null) {
                run = takeBestFit(want);
            }
            bitmap.set(run[0], run[1], true);
            return run;
        } finally {
            lock.unlock();
        }
    }

    private long[] takeAligned(long want) {
        for (Map.Entry<Long, Long> e : byStart.entrySet()) {
            long s = e.getKey();
            long end = s + e.getValue();
            long aligned = (s + Geometry.HUGE_BLOCKS - 1) & -(long) Geometry.HUGE_BLOCKS;
            if (aligned + Geometry.HUGE_BLOCKS <= end) {
                long len = Math.min(want, end - aligned);
                carve(s, e.getValue(), aligned, len);
                return new long[]{aligned, len};
            }
        }
        return null;
    }

    private long[] takeAt(long goal, long want) {
        Map.Entry<Long, Long> e = byStart.floorEntry(goal);
        if (e == null || e.getKey() + e.getValue() <= goal) {
            return null;
        }
        long len = Math.min(want, e.getKey() + e.getValue() - goal);
        carve(e.getKey(), e.getValue(), goal, len);
        return new long[]{goal, len};
    }

    private long[] takeBestFit(long want) {
        long[] fit = bySize.ceiling(new long[]{0, want});
        if (fit == null) {
            fit = bySize.last();
        }
        long len = Math.min(want, fit[1]);
        long start = fit[0];
        carve(start, fit[1], start, len);
        return new long[]{start, len};
    }

    /** Removes [at, at+len) from the free run [s, s+runLen), keeping the pieces on either side. */
    private void carve(long s, long runLen, long at, long len) {
        removeFree(s, runLen);
        if (at > s) {
            insertFree(s, at - s);
        }
        long tailStart = at + len;
        long runEnd = s + runLen;
        if (tailStart < runEnd) {
            insertFree(tailStart, runEnd - tailStart);
        }
    }

    /**
     * Makes the allocator hand out a freed block only while {@code referenced} says it has no
     * page reference (Linux: a page is reused only at refcount 0). The DAX layer revokes every
     * window and waits for pins before blocks are freed, so this should never hold a block
     * back; if a bug left a window behind, the block leaks (and is retried at each checkpoint)
     * instead of showing one file's data in another.
     */
    public void reuseOnlyWhenIdle(LongPredicate referenced) {
        this.referenced = referenced;
    }

    /** Freed blocks held back because they were still referenced at their checkpoint. */
    public long heldBack() {
        lock.lock();
        try {
            return heldBack.size();
        } finally {
            lock.unlock();
        }
    }

    private void release(long start, long count) {
        lock.lock();
        try {
            for (int i = heldBack.size() - 1; i >= 0; i--) {
                long b = heldBack.get(i);
                if (!referenced.test(b)) {
                    heldBack.remove(i);
                    releaseRun(b, 1);
                }
            }
            long s = start;
            for (long b = start; b < start + count; b++) {
                if (referenced.test(b)) {
                    if (b > s) {
                        releaseRun(s, b - s);
                    }
                    heldBack.add(b);
                    s = b + 1;
                }
            }
            if (s < start + count) {
                releaseRun(s, start + count - s);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Moves a pending run into the free index, merging with its neighbours. Lock held. */
    private void releaseRun(long start, long count) {
        pending -= count;
        long s = start;
        long len = count;
        Map.Entry<Long, Long> before = byStart.floorEntry(s);
        if (before != null && before.getKey() + before.getValue() == s) {
            removeFree(before.getKey(), before.getValue());
            s = before.getKey();
            len += before.getValue();
        }
        Long afterLen = byStart.get(start + count);
        if (afterLen != null) {
            removeFree(start + count, afterLen);
            len += afterLen;
        }
        insertFree(s, len);
    }

    private void insertFree(long s, long len) {
        byStart.put(s, len);
        bySize.add(new long[]{s, len});
        freeInIndex += len;
    }

    private void removeFree(long s, long len) {
        byStart.remove(s);
        bySize.remove(new long[]{s, len});
        freeInIndex -= len;
    }

}
