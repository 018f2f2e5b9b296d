package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.SetAttr;

/**
 * An inode's attributes, read and changed: status (stat, lstat, getattr), the generation number,
 * and setattr with its path forms chmod, chown and utimes. A size change truncates a regular file
 * through {@link FileLayout}.
 *
 * <p>Invariant: ctime changes with every attribute change, in the same hold of the attribute
 * lock. Locks: the attribute lock for reads, and the life lock then the attribute lock for the
 * change of the scalar fields (a chmod may rewrite the access ACL, see {@link Xattrs}); a size
 * change first holds an open reference (the life lock briefly, for {@code openCount++}) so the
 * file cannot be freed during the truncate, which takes the file's I/O and invalidate locks.
 */
public final class Attributes {
    private final Volume v;

    Attributes(Volume v) {
        this.v = v;
    }

    /** Status of the file at {@code path}; a final symlink is followed when {@code follow}. */
    public FileStat stat(String path, boolean follow) throws DaxException {
        v.checkOpen();
        return v.onDevice("stat", () -> v.lookup.resolve(path, follow).stat()); // may load inodes
    }

    /** Status of the live inode {@code ino}. */
    public FileStat getattr(long ino) throws DaxException {
        v.checkOpen();
        return v.onDevice("getattr", () -> v.lookup.byIno(ino).stat());
    }

    public int generation(long ino) throws DaxException {
        v.checkOpen();
        return v.onDevice("getattr", () -> {
            Inode in = v.lookup.byIno(ino);
            in.meta.lock();
            try {
                return in.generation;
            } finally {
                in.meta.unlock();
            }
        });
    }

    public void chmod(String path, int mode) throws DaxException {
        v.change("chmod", () -> setattr(v.lookup.resolve(path, true), path, SetAttr.NONE.withMode(mode)));
    }

    public void chown(String path, int uid, int gid) throws DaxException {
        v.change("chown", () -> setattr(v.lookup.resolve(path, true), path, SetAttr.NONE.withUid(uid).withGid(gid)));
    }

    public void utimes(String path, long atimeNs, long mtimeNs) throws DaxException {
        v.change("utimes", () -> setattr(v.lookup.resolve(path, true), path,
                SetAttr.NONE.withAtime(atimeNs).withMtime(mtimeNs)));
    }

    /** See {@link io.daxfs.api.DaxInodes#setattr}: returns the status after the change. */
    public FileStat setattr(long ino, SetAttr a) throws DaxException {
        return v.change("setattr", () -> {
            Inode in = v.lookup.byIno(ino);
            setattr(in, "inode " + ino, a);
            return in.stat();
        });
    }

    /**
     * Changes the attributes of {@code in} that {@code a} sets. The size changes first, under a
     * temporary open reference so the file cannot be freed meanwhile; then the rest and ctime
     * together under the attribute lock.
     */
    private void setattr(Inode in, String what, SetAttr a) throws DaxException {
        long size = a.size();
        if (size != -1) {
            if (in.isDir()) {
                throw new DaxException(Errno.EISDIR, what + ": is a directory");
            }
            if (!in.isRegular()) {
                throw new DaxException(Errno.EINVAL, what + ": not a regular file");
            }
            in.life.lock();
            try {
                if (in.freed) {
                    throw new DaxException(Errno.ENOENT, what + ": no such file or directory");
                }
                in.openCount++;
            } finally {
                in.life.unlock();
            }
            try {
                v.fileLayout.truncate(in, size);
            } finally {
                v.unlinker.release(in);
            }
        }
        boolean attrs = a.mode() != -1 || a.uid() != -1 || a.gid() != -1
                || a.atimeNs() != SetAttr.UTIME_OMIT || a.mtimeNs() != SetAttr.UTIME_OMIT;
        if (!attrs && size != -1) {
            return; // truncate set the times itself
        }
        long now = Inode.now();
        // The life lock keeps extended attribute changes out while a chmod rewrites the access ACL.
        in.life.lock();
        try {
            in.meta.lock();
            try {
                setFields(in, a, now);
            } finally {
                in.meta.unlock();
            }
        } finally {
            in.life.unlock();
        }
        v.journal.markDirty(in);
        v.journal.commitIfLarge();
    }

    /** Sets the fields {@code a} names, and ctime. Caller holds the life and attribute locks. */
    private static void setFields(Inode in, SetAttr a, long now) {
        if (a.mode() != -1) {
            in.mode = (in.mode & FileType.S_IFMT) | (a.mode() & 07777);
            Xattrs.modeChanged(in, in.mode); // an access ACL's owner, mask and other entries follow the mode
        }
        if (a.uid() != -1) {
            in.uid = a.uid();
        }
        if (a.gid() != -1) {
            in.gid = a.gid();
        }
        if (a.atimeNs() != SetAttr.UTIME_OMIT) {
            in.atime = a.atimeNs() == SetAttr.UTIME_NOW ? now : a.atimeNs();
        }
        if (a.mtimeNs() != SetAttr.UTIME_OMIT) {
            in.mtime = a.mtimeNs() == SetAttr.UTIME_NOW ? now : a.mtimeNs();
        }
        in.ctime = now;
    }
}
