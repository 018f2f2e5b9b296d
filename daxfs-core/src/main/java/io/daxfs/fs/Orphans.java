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
 * The orphan list: inodes whose last name is gone while handles still use them, or that are
 * being freed in several transactions (a huge file being reaped; a huge truncate, flagged
 * {@link InodeRecord#FLAG_TRUNCATING}, whose inode keeps its links). It is a doubly linked list
 * through the inode records, headed in the fs info block, so that a crash leaves a list that
 * mount walks to finish freeing their space.
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

    /** Puts {@code in} on the list as an orphan to free whole (its last name is gone). */
    void add(Journal.Handle handle, Inode in) throws DaxException {
        link(handle, in, false);
    }

    /** Puts {@code in}, which keeps its names, on the list while a truncate frees its tail in steps. */
    void addTruncating(Journal.Handle handle, Inode in) throws DaxException {
        link(handle, in, true);
    }

    /**
     * A stepped truncate is done: takes {@code in} off the list, unless it has lost its last name
     * meanwhile and become an orphan to free whole (then it only loses the truncating flag).
     */
    void endTruncate(Journal.Handle handle, Inode in) throws DaxException {
        boolean stays;
        in.meta.lock();
        try {
            stays = in.nlink == 0;
        } finally {
            in.meta.unlock();
        }
        if (stays) {
            setFlags(in, InodeRecord.FLAG_ORPHAN);
            handle.markDirty(in);
        } else {
            remove(handle, in);
        }
    }

    private void link(Journal.Handle handle, Inode in, boolean truncating) throws DaxException {
        if ((in.flags & InodeRecord.FLAG_ORPHAN) != 0) {
            // Already listed (a truncate in steps); an orphan to free whole it becomes, or stays.
            setFlags(in, truncating ? in.flags & (InodeRecord.FLAG_ORPHAN | InodeRecord.FLAG_TRUNCATING) : InodeRecord.FLAG_ORPHAN);
            handle.markDirty(in);
            return;
        }
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
            setFlags(in, InodeRecord.FLAG_ORPHAN | (truncating ? InodeRecord.FLAG_TRUNCATING : 0));
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
            setFlags(in, 0);
        } finally {
            lock.unlock();
        }
        handle.markDirty(in);
        handle.markDirty(this);
    }

    /** Sets the orphan flags of {@code in} to {@code orphanFlags}, keeping its other flags. */
    private static void setFlags(Inode in, int orphanFlags) {
        in.meta.lock();
        try {
            in.flags = in.flags & ~(InodeRecord.FLAG_ORPHAN | InodeRecord.FLAG_TRUNCATING) | orphanFlags;
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
