package io.daxfs.fs;

import io.daxfs.journal.Journal;
import io.daxfs.media.InodeRecord;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

/**
 * Removes names (unlink, rmdir, and the name a rename replaces) and ends inodes' lives: an inode
 * is freed when it has neither a name nor an open handle, at its last unlink or at its last
 * close; an inode unlinked while open goes on the orphan list meanwhile, so that mount frees it
 * after a crash.
 *
 * <p>Invariant: {@code nlink} and {@code openCount} change, and the decision to free is made,
 * only under the inode's life lock, so exactly one thread frees an inode. Locks: the parent's
 * dirLock (then, for rmdir, the child's), the life lock of the inode whose link count drops,
 * then the journal handle; inside it the orphan list, allocator and attribute locks.
 */
public final class Unlinker {
    private final Volume v;

    Unlinker(Volume v) {
        this.v = v;
    }

    // ---------------------------------------------------------------- the API's operations

    public void unlink(String path) throws DaxException {
        v.change("unlink", () -> {
            Lookup.Parent par = v.lookup.resolveParent(path);
            if (par.name() == null) {
                throw new DaxException(Errno.EISDIR, path + ": is a directory");
            }
            unlinkAt(par.dir(), par.name(), path, Names.mustBeDirectory(path));
        });
    }

    /** Removes the non-directory entry {@code name} of directory inode {@code dir}. */
    public void unlink(long dir, String name) throws DaxException {
        v.change("unlink", () -> unlinkAt(v.lookup.dirArg(dir, name), name, Lookup.at(dir, name), false));
    }

    public void rmdir(String path) throws DaxException {
        v.change("rmdir", () -> {
            Lookup.Parent par = v.lookup.resolveParent(path);
            if (par.name() == null) {
                throw new DaxException(Errno.EBUSY, path + ": cannot remove the root directory");
            }
            rmdirAt(par.dir(), par.name(), path);
        });
    }

    /** Removes the empty subdirectory {@code name} of directory inode {@code dir}. */
    public void rmdir(long dir, String name) throws DaxException {
        v.change("rmdir", () -> rmdirAt(v.lookup.dirArg(dir, name), name, Lookup.at(dir, name)));
    }

    // ---------------------------------------------------------------- removal

    /** Removes the non-directory entry {@code name} of {@code dir}; ENOTDIR when {@code trailingSlash}. */
    private void unlinkAt(Inode dir, String name, String what, boolean trailingSlash) throws DaxException {
        Lookup.checkDir(dir, what);
        if (Names.isDot(name)) {
            throw new DaxException(Errno.EISDIR, what + ": is a directory");
        }
        dir.dirLock().lock();
        try {
            Directory dd = v.lookup.dirOf(dir);
            Inode in = v.lookup.existingChild(dir, name, what);
            if (in.isDir()) {
                throw new DaxException(Errno.EISDIR, what + ": is a directory");
            }
            if (trailingSlash) {
                throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
            }
            in.life.lock();
            try (Journal.Handle h = v.journal.begin()) {
                dd.remove(h, name);
                dir.entriesChanged(h, 0);
                dropLink(h, in);
            } finally {
                in.life.unlock();
            }
        } finally {
            dir.dirLock().unlock();
        }
    }

    private void rmdirAt(Inode dir, String name, String what) throws DaxException {
        Lookup.checkDir(dir, what);
        if (name.equals(".")) {
            throw new DaxException(Errno.EINVAL, what + ": cannot remove '.'");
        }
        if (name.equals("..")) {
            throw new DaxException(Errno.ENOTEMPTY, what + ": directory not empty");
        }
        dir.dirLock().lock();
        try {
            Directory dd = v.lookup.dirOf(dir);
            Inode child = v.lookup.existingChild(dir, name, what);
            if (!child.isDir()) {
                throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
            }
            child.dirLock().lock();
            try {
                if (!v.lookup.dirOf(child).isEmpty()) {
                    throw new DaxException(Errno.ENOTEMPTY, what + ": directory not empty");
                }
                // The life lock, as unlink takes it: freeing the directory frees its xattr chain,
                // which setxattr and removexattr change under this lock.
                child.life.lock();
                try (Journal.Handle h = v.journal.begin()) {
                    dd.remove(h, name);
                    dir.entriesChanged(h, -1);
                    removeDirectory(h, child);
                } finally {
                    child.life.unlock();
                }
            } finally {
                child.dirLock().unlock();
            }
        } finally {
            dir.dirLock().unlock();
        }
    }

    /** Drops one link of a non-directory (caller holds its life lock and a handle). */
    void dropLink(Journal.Handle h, Inode in) throws DaxException {
        boolean last;
        boolean inUse;
        in.meta.lock();
        try {
            in.nlink--;
            in.ctime = Inode.now();
            last = in.nlink == 0;
            inUse = in.openCount > 0;
        } finally {
            in.meta.unlock();
        }
        h.markDirty(in);
        if (last) {
            if (inUse) {
                v.orphans.add(h, in);
            } else if (Reaper.needsSteps(in, 0)) {
                v.orphans.add(h, in);
                reapLater(in);
            } else {
                evict(h, in);
            }
        }
    }

    /**
     * Hands a huge nameless, unopened inode (already on the orphan list) to the reaper, which
     * frees it in bounded steps; from now on no lookup finds it.
     */
    private void reapLater(Inode in) {
        in.reaping = true;
        v.dax().evicted(in);
        v.reaper.defer(in);
    }

    /** Frees an empty directory whose entry is gone (caller holds its dirLock and a handle). */
    void removeDirectory(Journal.Handle h, Inode child) throws DaxException {
        Directory entries = child.dir;
        if (entries != null) {
            entries.markGone(); // before its blocks are freed: no lookup reads them again
        }
        child.meta.lock();
        try {
            child.nlink = 0;
            child.ctime = Inode.now();
        } finally {
            child.meta.unlock();
        }
        evict(h, child);
    }

    // ---------------------------------------------------------------- the end of an inode

    /** An open handle closes: the last close of an unlinked file frees it. */
    void release(Inode in) throws DaxException {
        // The last close may free the inode, and uses it after its open count reached zero, when
        // it becomes evictable: inside an operation bracket, so the evictor cannot drop it meanwhile.
        long entered = v.operations.enter();
        try {
            releaseIn(in);
        } finally {
            v.operations.exit(entered);
        }
    }

    private void releaseIn(Inode in) throws DaxException {
        boolean evictIt;
        in.life.lock();
        try {
            in.openCount--;
            evictIt = in.openCount == 0 && in.nlink == 0 && !in.freed && !in.reaping;
            if (evictIt && !v.readOnly) {
                if (Reaper.needsSteps(in, 0)) {
                    reapLater(in); // an unlinked file that was open: on the orphan list already
                } else {
                    try (Journal.Handle h = v.journal.begin()) {
                        evict(h, in);
                    }
                }
            }
        } finally {
            in.life.unlock();
        }
    }

    /** Frees an unlinked inode: the end of a reaping, or at mount for crash leftovers. */
    void evictNow(Inode in) throws DaxException {
        in.life.lock();
        try (Journal.Handle h = v.journal.begin()) {
            if (!in.freed && in.nlink == 0 && in.openCount == 0) {
                evict(h, in);
            }
        } finally {
            in.life.unlock();
        }
    }

    /**
     * Frees an inode that has no name left and no open handle. Nobody can reach it any more, so
     * nobody holds or can wait for its I/O lock.
     */
    private void evict(Journal.Handle h, Inode in) throws DaxException {
        v.dax().evicted(in);
        v.fileBlocks.freeAll(h, in);
        v.dirtyData.forgetFreed(in);
        v.xattrs.freeAll(h, in);
        if ((in.flags & InodeRecord.FLAG_ORPHAN) != 0) {
            v.orphans.remove(h, in);
        }
        in.meta.lock();
        try {
            in.freed = true;
        } finally {
            in.meta.unlock();
        }
        v.inodes.free(h, in.ino);
        h.markDirty(in);
        h.afterCheckpoint(v.cache.bury(in, v.hooks));
    }
}
