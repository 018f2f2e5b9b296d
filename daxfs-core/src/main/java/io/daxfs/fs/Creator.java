package io.daxfs.fs;

import io.daxfs.journal.Journal;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileNames;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;


/**
 * Adds names: new inodes with their first name (mkdir, symlink, mknod, and the file an open
 * creates) and further names of an existing file (link).
 *
 * <p>Invariant: a name is added only under its directory's dirLock after checking, under that
 * lock, that the directory is still alive and the name still free; the entry's room is reserved
 * first, so an ENOSPC leaves nothing half made. Locks: the parent's dirLock, for link the source's
 * life lock, then the journal handle, inside which the allocators and attribute locks are taken
 * briefly.
 */
public final class Creator {
    private static final int MAX_TARGET = Geometry.BLOCK_SIZE - BlockHeader.SIZE;

    private final Volume v;

    Creator(Volume v) {
        this.v = v;
    }

    // ---------------------------------------------------------------- the API's operations

    public void mkdir(String path, int mode) throws DaxException {
        v.change("mkdir", () -> makeAtPath(path, FileType.DIRECTORY.modeBits() | (mode & 07777), null, 0));
    }

    public void symlink(String target, String linkPath) throws DaxException {
        v.change("symlink", () -> {
            byte[] t = symlinkTarget(target, linkPath);
            makeAtPath(linkPath, FileType.SYMLINK.modeBits() | 0777, t, 0);
        });
    }

    public void link(String existing, String newPath) throws DaxException {
        v.change("link", () -> {
            Inode src = v.lookup.resolve(existing, false);
            if (src.isDir()) {
                throw new DaxException(Errno.EPERM, existing + ": hard links to directories are not allowed");
            }
            Lookup.Parent par = newEntryParent(newPath);
            linkAt(src, existing, par.dir(), par.name(), newPath);
        });
    }

    /**
     * Creates the new entry {@code name} in directory inode {@code dir} (EEXIST if taken): a
     * directory, a regular file or (with {@code target}) a symlink, per the type bits of
     * {@code fullMode}. The permission bits are masked by {@code umask} unless the directory has a
     * default ACL, which then gives the new file its access list (see {@link Xattrs}).
     */
    public FileStat make(long dir, String name, int fullMode, int umask, String target, int uid, int gid)
            throws DaxException {
        String what = Lookup.at(dir, name);
        byte[] t = target == null ? null : symlinkTarget(target, what);
        return v.change("create", () -> makeAt(v.lookup.dirArg(dir, name), name, what, fullMode, umask, t, 0, uid, gid)).stat();
    }

    /**
     * Creates the special file (FIFO, socket, character or block device) {@code name} in
     * {@code dir}: {@code fullMode} has its type bits, {@code rdev} is a device's number (0 for
     * FIFOs and sockets). EINVAL for any other type.
     */
    public FileStat makeSpecial(long dir, String name, int fullMode, int umask, long rdev, int uid, int gid)
            throws DaxException {
        String what = Lookup.at(dir, name);
        long dev = specialDevice(fullMode, rdev, what);
        return v.change("mknod", () -> makeAt(v.lookup.dirArg(dir, name), name, what, fullMode, umask, null, dev, uid, gid)).stat();
    }

    /** As {@link #makeSpecial}, at {@code path}, owned by the calling process. */
    public void mknod(String path, int fullMode, long rdev) throws DaxException {
        long dev = specialDevice(fullMode, rdev, path);
        v.change("mknod", () -> makeAtPath(path, fullMode, null, dev));
    }

    /** The device number a special file of {@code fullMode} stores: {@code rdev} for a device, else 0; EINVAL if not special. */
    private static long specialDevice(int fullMode, long rdev, String what) throws DaxException {
        FileType t = FileType.ofMode(fullMode);
        if (t == null || !t.isSpecial()) {
            throw new DaxException(Errno.EINVAL, what + ": mknod of mode " + Integer.toOctalString(fullMode)
                    + " (a FIFO, socket or device node expected)");
        }
        return t.isDevice() ? rdev : 0;
    }

    /** The parent directory and name of {@code path}, which is to get a new entry: EEXIST for the root. */
    private Lookup.Parent newEntryParent(String path) throws DaxException {
        Lookup.Parent par = v.lookup.resolveParent(path);
        if (par.name() == null) {
            throw new DaxException(Errno.EEXIST, path + ": file exists");
        }
        return par;
    }

    /** {@link #makeAt} at {@code path}, owned by the calling process. */
    private void makeAtPath(String path, int fullMode, byte[] target, long rdev) throws DaxException {
        Lookup.Parent par = newEntryParent(path);
        makeAt(par.dir(), par.name(), path, fullMode, 0, target, rdev, Ids.uid(), Ids.gid());
    }

    /** Adds {@code newName} in directory inode {@code newDir} as another name of {@code ino}. */
    public FileStat link(long ino, long newDir, String newName) throws DaxException {
        return v.change("link", () -> {
            Inode src = v.lookup.byIno(ino);
            linkAt(src, "inode " + ino, v.lookup.dirArg(newDir, newName), newName, Lookup.at(newDir, newName));
            return src.stat();
        });
    }

    // ---------------------------------------------------------------- new inodes

    private Inode makeAt(Inode dir, String name, String what, int fullMode, int umask, byte[] target, long rdev,
                         int uid, int gid)
            throws DaxException {
        Lookup.checkDir(dir, what);
        if (Names.isDot(name)) {
            throw new DaxException(Errno.EEXIST, what + ": file exists");
        }
        dir.dirLock().lock();
        try {
            Lookup.checkAlive(dir, what);
            if (v.lookup.dirOf(dir).lookup(name) != null) {
                throw new DaxException(Errno.EEXIST, what + ": file exists");
            }
            return createChild(dir, name, fullMode, umask, target, rdev, uid, gid);
        } finally {
            dir.dirLock().unlock();
        }
    }

    /**
     * Creates an inode and its entry {@code name} in {@code dir} (caller holds dir's dirLock and
     * checked the name is free). {@code target}: symlink target bytes, else null; {@code rdev}:
     * a device node's number, else 0. The mode comes from {@code fullMode} and the directory's
     * default ACL, or without one {@code fullMode} masked by {@code umask}.
     */
    Inode createChild(Inode dir, String name, int fullMode, int umask, byte[] target, long rdev, int uid, int gid)
            throws DaxException {
        Directory dd = v.lookup.dirOf(dir);
        boolean isDir = (fullMode & FileType.S_IFMT) == FileType.DIRECTORY.modeBits();
        if (isDir && dir.nlink >= Inode.MAX_LINKS) {
            throw new DaxException(Errno.EMLINK, "too many subdirectories");
        }
        if (!v.inodes.hasAvailable() || v.blocks.availableForData() == 0 && v.blocks.pendingBlocks() > 0) {
            v.reclaimFreedSpace(); // numbers and blocks freed by recent transactions become reusable
        }
        Xattrs.Inherited inherited = Xattrs.inherit(dir, fullMode, umask);
        try (Journal.Handle h = v.journal.begin()) {
            // Room for the entry first: if that fails with ENOSPC nothing else has changed.
            dd.reserve(h, v.fileBlocks, name);
            long ino = v.inodes.allocate(h);
            v.cache.checkUnused(ino);
            Inode in = new Inode(ino, v.geometry, new ExtentMap());
            long now = Inode.now();
            // As on Linux: the creating process's group, or the directory's when the directory is
            // set-group-ID (a new subdirectory then inherits the set-group-ID bit as well).
            boolean setgid = (dir.mode & 02000) != 0;
            in.mode = isDir && setgid ? inherited.mode() | 02000 : inherited.mode();
            in.nlink = isDir ? 2 : 1;
            in.uid = uid;
            in.gid = setgid ? dir.gid : gid;
            in.atime = in.mtime = in.ctime = in.btime = now;
            in.parent = dir.ino;
            in.generation = (int) (now ^ (now >>> 32));
            in.rdev = rdev;
            if (target != null) {
                in.target = target;
                in.size = target.length;
                if (target.length <= InodeRecord.INLINE_BYTES) {
                    in.flags |= InodeRecord.FLAG_INLINE_TARGET;
                }
            }
            v.cache.put(in);
            try {
                if (target != null && target.length > InodeRecord.INLINE_BYTES) {
                    v.fileBlocks.addSymlinkBlock(h, in);
                }
                v.xattrs.storeNew(h, in, inherited.xattrs());
            } catch (DaxException e) {
                discardNew(h, in);
                throw e;
            }
            h.markDirty(in);
            dd.add(h, v.fileBlocks, name, ino, FileType.ofMode(fullMode));
            dir.meta.lock();
            try {
                if (isDir) {
                    dir.nlink++;
                }
                dir.mtime = dir.ctime = now;
            } finally {
                dir.meta.unlock();
            }
            h.markDirty(dir);
            return in;
        }
    }

    private void discardNew(Journal.Handle h, Inode in) {
        in.freed = true;
        v.inodes.free(h, in.ino);
        h.markDirty(in);
        h.afterCheckpoint(v.cache.bury(in, v.hooks));
    }

    /** The bytes of a symlink target: ENOENT if empty, ENAMETOOLONG or EINVAL if impossible. */
    private static byte[] symlinkTarget(String target, String linkPath) throws DaxException {
        byte[] t = FileNames.toBytes(target);
        if (t.length == 0) {
            throw new DaxException(Errno.ENOENT, linkPath + ": empty symbolic link target");
        }
        if (t.length > MAX_TARGET || target.indexOf('\0') >= 0) {
            throw new DaxException(t.length > MAX_TARGET ? Errno.ENAMETOOLONG : Errno.EINVAL,
                    linkPath + ": symbolic link target longer than " + MAX_TARGET + " bytes or containing NUL");
        }
        return t;
    }

    // ---------------------------------------------------------------- further names

    /** Adds the entry {@code name} in {@code dir} for the non-directory {@code src}. */
    private void linkAt(Inode src, String srcWhat, Inode dir, String name, String what) throws DaxException {
        if (src.isDir()) {
            throw new DaxException(Errno.EPERM, srcWhat + ": hard links to directories are not allowed");
        }
        Lookup.checkDir(dir, what);
        if (Names.isDot(name)) {
            throw new DaxException(Errno.EEXIST, what + ": file exists");
        }
        dir.dirLock().lock();
        try {
            Lookup.checkAlive(dir, what);
            Directory dd = v.lookup.dirOf(dir);
            if (dd.lookup(name) != null) {
                throw new DaxException(Errno.EEXIST, what + ": file exists");
            }
            src.life.lock();
            try (Journal.Handle h = v.journal.begin()) {
                if (src.nlink == 0 || src.freed) {
                    throw new DaxException(Errno.ENOENT, srcWhat + ": no such file or directory");
                }
                if (src.nlink >= Inode.MAX_LINKS) {
                    throw new DaxException(Errno.EMLINK, srcWhat + ": too many links");
                }
                dd.reserve(h, v.fileBlocks, name);
                dd.add(h, v.fileBlocks, name, src.ino, src.type());
                src.meta.lock();
                try {
                    src.nlink++;
                    src.ctime = Inode.now();
                } finally {
                    src.meta.unlock();
                }
                h.markDirty(src);
                dir.entriesChanged(h, 0);
            } finally {
                src.life.unlock();
            }
        } finally {
            dir.dirLock().unlock();
        }
    }
}
