package io.daxfs.alloc;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.api.DaxException;
import io.daxfs.api.Errno;
import io.daxfs.device.Device;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;

import java.lang.foreign.MemorySegment;

/**
 * Inode numbers. Inode 0 is never used (it means "none" on the device); inode 1 is the root.
 * A freed number may be reused at once: inode records are metadata, so the journal replays
 * the free and the reuse in order.
 */
public final class InodeAllocator implements DirtySource {
    private final OrderedLock lock = new OrderedLock(LockLevel.ALLOCATOR, "inodes");
    private final BitmapImage bitmap;
    private final long count;
    private long used;
    private long hint = 2;

    private InodeAllocator(BitmapImage bitmap, long count) {
        this.bitmap = bitmap;
        this.count = count;
        this.used = bitmap.countSet();
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
            long ino = bitmap.nextClear(hint);
            if (ino < 0) {
                ino = bitmap.nextClear(2);
            }
            if (ino < 0) {
                throw new DaxException(Errno.ENOSPC, "no free inodes (all " + count + " in use)");
            }
            bitmap.set(ino, 1, true);
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
            hint = Math.min(hint, ino);
        } finally {
            lock.unlock();
        }
    }

    public boolean inUse(long ino) {
        lock.lock();
        try {
            return ino >= 0 && ino < count && bitmap.get(ino);
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
