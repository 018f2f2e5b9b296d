package io.daxfs.alloc;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.device.Device;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;

import java.lang.foreign.MemorySegment;

/**
 * Inode numbers. Inode 0 is never used (it means "none" on the device); inode 1 is the root.
 *
 * <p>{@code bitmap} is what the on-device inode bitmap says once the running transaction
 * commits; {@code taken} is what may not be handed out. A freed number leaves the bitmap at
 * once but stays taken until the freeing transaction is checkpointed: until then the old
 * inode's zeroed record and a new owner's record could be collected into the same commit in
 * either order, and the inode cache still holds the old inode as a tombstone.
 *
 * <p><b>Held numbers.</b> A client that names inodes by number, such as the FUSE kernel module
 * (whose requests carry no generation), may {@link #hold} a number: it then stays taken after
 * its inode is freed, until the last {@link #release}, so a request through a stale number finds
 * no inode (ENOENT) rather than whatever file got the number next. {@code holds} counts them;
 * {@code parked} marks the freed numbers that only holds keep taken.
 */
public final class InodeAllocator implements DirtySource {
    private final OrderedLock lock = new OrderedLock(LockLevel.ALLOCATOR, "inodes");
    private final BitmapImage bitmap;
    private final java.util.BitSet taken = new java.util.BitSet();
    private final long count;
    private final java.util.Map<Long, Long> holds = new java.util.HashMap<>();
    private final java.util.BitSet parked = new java.util.BitSet();
    private long used;
    private long hint = 2;

    private InodeAllocator(BitmapImage bitmap, long count) {
        this.bitmap = bitmap;
        this.count = count;
        this.used = bitmap.countSet();
        for (long i = bitmap.nextSet(0); i < count; i = bitmap.nextSet(i + 1)) {
            taken.set(Math.toIntExact(i));
        }
    }

    public static InodeAllocator load(Device device, Geometry g, java.util.function.LongFunction<MemorySegment> reader) throws DaxException {
        BitmapImage img = BitmapImage.load(reader, g.inodeBitmapStart(), g.inodeBitmapBlocks(), g.inodeCount(),
                BlockHeader.INODE_BITMAP, "inode");
        if (!img.get(0) || !img.get(1)) {
            throw new DaxException(Errno.EUCLEAN, "inode bitmap: inode 0 or the root inode is marked free");
        }
        return new InodeAllocator(img, g.inodeCount());
    }

    /** Writes the initial inode bitmap (inodes 0 and 1 in use) straight to the device. */
    public static void format(MemorySegment dev, Geometry g) {
        BitmapImage img = BitmapImage.empty(g.inodeBitmapBlocks(), g.inodeCount(), g.inodeBitmapStart(), BlockHeader.INODE_BITMAP);
        img.set(0, 2, true);
        for (int i = 0; i < img.blockCount(); i++) {
            img.writeBlock(dev.asSlice((g.inodeBitmapStart() + i) << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE), i);
        }
    }

    /** Takes a free inode number. ENOSPC when all are in use. */
    public long allocate(io.daxfs.journal.Journal.Handle handle) throws DaxException {
        handle.markDirty(this);
        lock.lock();
        try {
            long ino = nextFree(hint);
            if (ino < 0) {
                ino = nextFree(2);
            }
            if (ino < 0) {
                throw new DaxException(Errno.ENOSPC, "no free inodes (all " + count + " in use or being freed)");
            }
            bitmap.set(ino, 1, true);
            taken.set(Math.toIntExact(ino));
            used++;
            hint = ino + 1;
            return ino;
        } finally {
            lock.unlock();
        }
    }

    public void free(io.daxfs.journal.Journal.Handle handle, long ino) {
        handle.markDirty(this);
        lock.lock();
        try {
            if (ino < 2 || !bitmap.get(ino)) {
                throw new IllegalStateException("freeing inode " + ino + " that is not in use");
            }
            bitmap.set(ino, 1, false);
            used--;
        } finally {
            lock.unlock();
        }
        handle.afterCheckpoint(() -> freeCheckpointed(ino));
    }

    /** The freeing of {@code ino} is checkpointed: the number may be reused unless it is held. */
    private void freeCheckpointed(long ino) {
        lock.lock();
        try {
            if (holds.containsKey(ino)) {
                parked.set(Math.toIntExact(ino));
            } else {
                reusable(ino);
            }
        } finally {
            lock.unlock();
        }
    }

    private void reusable(long ino) {
        taken.clear(Math.toIntExact(ino));
        hint = Math.min(hint, ino);
    }

    /**
     * Keeps number {@code ino} from being handed out again, even after its inode is freed, until
     * as many {@link #release} calls. The caller checks afterwards that the number
     * still names the inode it meant (it may have been freed and reused before the hold).
     */
    public void hold(long ino) {
        if (ino < 2 || ino >= count) {
            throw new IllegalArgumentException("inode number " + ino);
        }
        lock.lock();
        try {
            holds.merge(ino, 1L, Long::sum);
            int i = Math.toIntExact(ino);
            if (!bitmap.get(ino) && !taken.get(i)) {
                taken.set(i); // free already: keep it from being handed out while held
                parked.set(i);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Drops one {@link #hold} of {@code ino}; the last one makes a freed number reusable. */
    public void release(long ino) {
        lock.lock();
        try {
            Long n = holds.get(ino);
            if (n == null) {
                throw new IllegalStateException("releasing inode number " + ino + ", which is not held");
            }
            if (n > 1) {
                holds.put(ino, n - 1);
                return;
            }
            holds.remove(ino);
            if (parked.get(Math.toIntExact(ino))) {
                parked.clear(Math.toIntExact(ino));
                reusable(ino);
            }
        } finally {
            lock.unlock();
        }
    }

    /** How many numbers are held (for statistics and tests). */
    public int heldCount() {
        lock.lock();
        try {
            return holds.size();
        } finally {
            lock.unlock();
        }
    }

    private long nextFree(long from) {
        long i = taken.nextClearBit(Math.toIntExact(from));
        return i < count ? i : -1;
    }

    public boolean inUse(long ino) {
        lock.lock();
        try {
            return ino >= 0 && ino < count && bitmap.get(ino);
        } finally {
            lock.unlock();
        }
    }

    /** True when a number can be handed out now (not counting numbers whose free is still pending). */
    public boolean hasAvailable() {
        lock.lock();
        try {
            // Every number below the hint is taken (allocate moves it past what it scanned, a
            // number becoming reusable lowers it), so the scan starts there, not at 2: from 2 it
            // cost every create a pass over the in-use part of the bitmap.
            return nextFree(hint) >= 0;
        } finally {
            lock.unlock();
        }
    }

    public long freeCount() {
        lock.lock();
        try {
            return count - used;
        } finally {
            lock.unlock();
        }
    }

    public long count() {
        return count;
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
}
