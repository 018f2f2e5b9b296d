package io.daxfs.fs;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.types.DaxException;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.journal.Journal;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The orphan list: inodes whose last name is gone while handles still use them. It is a doubly
 * linked list through the inode records, headed in the fs info block, so that a crash before
 * the last close leaves a list that mount walks to free their space.
 *
 * <p>{@code lock} guards the head and every inode's orphan links; it is taken inside a handle
 * and never while holding an inode's {@code meta} lock.
 */
final class Orphans implements DirtySource {
    private final OrderedLock lock = new OrderedLock(LockLevel.ORPHANS, "orphans");
    private final InodeCache inodes;
    private volatile long head;

    Orphans(InodeCache inodes, long head) {
        this.inodes = inodes;
        this.head = head;
    }

    /** Reads the head from the fs info block (EUCLEAN if damaged). */
    static long readHead(MemorySegment fsinfo) throws DaxException {
        BlockHeader.verify(fsinfo, BlockHeader.FSINFO, "fs info block");
        return BlockHeader.a(fsinfo);
    }

    /** Writes an fs info block with an empty orphan list, for format. */
    static void format(MemorySegment fsinfo) {
        fsinfo.fill((byte) 0);
        BlockHeader.init(fsinfo, BlockHeader.FSINFO, 0, 0, 0);
        BlockHeader.seal(fsinfo);
    }

    void add(Journal.Handle handle, Inode in) throws DaxException {
        lock.lock();
        try {
            long h = head;
            in.orphanPrev = 0;
            in.orphanNext = h;
            if (h != 0) {
                Inode old = inodes.get(h);
                old.orphanPrev = in.ino;
                handle.markDirty(old);
            }
            head = in.ino;
            setFlag(in, true);
        } finally {
            lock.unlock();
        }
        handle.markDirty(in);
        handle.markDirty(this);
    }

    void remove(Journal.Handle handle, Inode in) throws DaxException {
        lock.lock();
        try {
            long prev = in.orphanPrev;
            long next = in.orphanNext;
            if (prev != 0) {
                Inode p = inodes.get(prev);
                p.orphanNext = next;
                handle.markDirty(p);
            } else {
                head = next;
            }
            if (next != 0) {
                Inode n = inodes.get(next);
                n.orphanPrev = prev;
                handle.markDirty(n);
            }
            in.orphanNext = 0;
            in.orphanPrev = 0;
            setFlag(in, false);
        } finally {
            lock.unlock();
        }
        handle.markDirty(in);
        handle.markDirty(this);
    }

    private static void setFlag(Inode in, boolean on) {
        in.meta.lock();
        try {
            in.flags = on ? in.flags | InodeRecord.FLAG_ORPHAN : in.flags & ~InodeRecord.FLAG_ORPHAN;
        } finally {
            in.meta.unlock();
        }
    }

    /** The inode numbers on the list, head first; EUCLEAN on a cycle or a broken link. */
    List<Long> list(long limit) throws DaxException {
        List<Long> out = new ArrayList<>();
        long prev = 0;
        for (long ino = head; ino != 0; ) {
            if (out.size() > limit) {
                throw new DaxException(io.daxfs.types.Errno.EUCLEAN, "orphan list has a cycle");
            }
            Inode in = inodes.get(ino);
            if (in.orphanPrev != prev) {
                throw new DaxException(io.daxfs.types.Errno.EUCLEAN, "orphan list: inode " + ino + " has a wrong back link");
            }
            out.add(ino);
            prev = ino;
            ino = in.orphanNext;
        }
        return out;
    }

    @Override
    public void collect(CommitBuilder b) {
        MemorySegment img = b.fresh(Geometry.FSINFO_BLOCK, true);
        BlockHeader.init(img, BlockHeader.FSINFO, head, 0, 0);
    }
}
