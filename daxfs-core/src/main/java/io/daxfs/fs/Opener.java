package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;

import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * Opens regular files: by path (creating the file when asked, following symlinks in the last
 * component unless told not to), by directory inode and name (create(2)), and by inode number;
 * and hands out a second handle on an open file for a mapping. Each handle raises the inode's
 * open count, which keeps an unlinked file alive until its last close ({@link Unlinker#release}).
 *
 * <p>Locks: an existing regular file is found without the parent's lock, and opened under its
 * life lock ({@code openCount++}); otherwise the parent's dirLock while the name is looked up
 * (and, when creating, the journal handle of the creation inside it), then the life lock.
 * Opening by number or reopening takes the life lock only.
 */
public final class Opener {
    private final Volume v;

    Opener(Volume v) {
        this.v = v;
    }

    /** What an open asks for, from its options. */
    record OpenFlags(boolean read, boolean write, boolean append, boolean create, boolean createNew,
                     boolean truncate, boolean noFollow, OpenFile.SyncWrites sync) {
        /** The flags of {@code options}; as with open(2)'s bits, an option given twice counts once. */
        static OpenFlags of(OpenOption... options) {
            boolean append = false, writeOpt = false, readOpt = false, createNew = false, createOpt = false;
            boolean truncateOpt = false, noFollowOpt = false, syncOpt = false, dsyncOpt = false;
            for (OpenOption o : options) {
                switch (Objects.requireNonNull(o, "open option")) {
                    case StandardOpenOption.APPEND -> append = true;
                    case StandardOpenOption.WRITE -> writeOpt = true;
                    case StandardOpenOption.READ -> readOpt = true;
                    case StandardOpenOption.CREATE_NEW -> createNew = true;
                    case StandardOpenOption.CREATE -> createOpt = true;
                    case StandardOpenOption.TRUNCATE_EXISTING -> truncateOpt = true;
                    case StandardOpenOption.SYNC -> syncOpt = true;
                    case StandardOpenOption.DSYNC -> dsyncOpt = true;
                    case LinkOption.NOFOLLOW_LINKS -> noFollowOpt = true;
                    default -> {
                        // SPARSE is a hint, DELETE_ON_CLOSE is the NIO layer's, anything else is not an open flag
                    }
                }
            }
            boolean write = writeOpt || append;
            boolean read = readOpt || !write;
            boolean create = createNew || createOpt;
            boolean truncate = truncateOpt && write;
            boolean noFollow = noFollowOpt || createNew;
            OpenFile.SyncWrites sync = syncOpt ? OpenFile.SyncWrites.ALL
                    : dsyncOpt ? OpenFile.SyncWrites.DATA : OpenFile.SyncWrites.NONE;
            return new OpenFlags(read, write, append, create, createNew, truncate, noFollow, sync);
        }

        OpenFlags withoutTruncate() {
            return truncate ? new OpenFlags(read, write, append, create, createNew, false, noFollow, sync) : this;
        }
    }

    // ---------------------------------------------------------------- the API's operations

    /** Opens (creating with permission bits {@code mode} if asked) the regular file at {@code path}. */
    public OpenFile open(String path, int mode, OpenOption... options) throws DaxException {
        v.checkOpen();
        OpenFile f = v.guarded("open", () -> openPath(path, mode, options));
        v.register(f);
        return f;
    }

    /**
     * create(2) by directory inode: creates the regular file {@code name} in {@code dir} if absent
     * (EEXIST when {@code exclusive}), or opens the existing one; a symlink is not followed (ELOOP).
     */
    public OpenFile create(long dir, String name, int mode, int umask, int uid, int gid, boolean exclusive,
                           OpenOption... options) throws DaxException {
        OpenFile f = v.change("create", () -> createAt(v.lookup.dirArg(dir, name), name, Lookup.at(dir, name),
                mode, umask, uid, gid, exclusive, options));
        v.register(f);
        return f;
    }

    /**
     * Opens the regular file {@code ino} by number. An unlinked file still held open elsewhere
     * (nlink 0, not freed) may be opened again; a freed one is ENOENT.
     */
    public OpenFile open(long ino, OpenOption... options) throws DaxException {
        OpenFlags fl = OpenFlags.of(options);
        v.checkOpen();
        OpenFile f = v.guarded("open", () -> {
            Inode in = v.lookup.byIno(ino);
            if (fl.write() && v.readOnly) {
                throw new DaxException(Errno.EROFS, "inode " + ino + ": file system is mounted read-only");
            }
            return openInode(in, "inode " + ino, options);
        });
        v.register(f);
        return f;
    }

    /** A second handle on an open file (see {@link Volume#reopen}). */
    OpenFile reopen(OpenFile f) throws DaxException {
        Inode in = f.inode();
        in.life.lock();
        try {
            if (in.freed || f.isClosed()) {
                throw new DaxException(Errno.EBADF, "file is closed");
            }
            in.openCount++;
        } finally {
            in.life.unlock();
        }
        return f.duplicate();
    }

    // ---------------------------------------------------------------- opening

    private OpenFile openPath(String path, int mode, OpenOption... options) throws DaxException {
        OpenFlags f = OpenFlags.of(options);
        if ((f.write() || f.create()) && v.readOnly) {
            throw new DaxException(Errno.EROFS, path + ": file system is mounted read-only");
        }
        if (Names.mustBeDirectory(path)) {
            // A regular file cannot be named with a trailing slash: resolve says ENOTDIR for an
            // existing non-directory; a directory, or a new name, is EISDIR (as open(2) says).
            try {
                v.lookup.resolve(path, true);
            } catch (DaxException e) {
                if (e.errno() != Errno.ENOENT || !f.create()) {
                    throw e;
                }
            }
            throw new DaxException(Errno.EISDIR, path + ": is a directory");
        }
        String p = path;
        for (int hops = 0; ; hops++) {
            Lookup.Parent par = v.lookup.resolveParent(p);
            if (par.name() == null || Names.isDot(par.name())) {
                throw new DaxException(Errno.EISDIR, path + ": is a directory");
            }
            Object got = openInParent(par.dir(), par.name(), path, mode, 0, Ids.uid(), Ids.gid(), f.create(),
                    f.createNew(), f.noFollow());
            if (got instanceof Inode in) {
                return opened(in, f);
            }
            if (got instanceof Created c) {
                return opened(c.in(), f.withoutTruncate());
            }
            if (hops >= Lookup.MAX_SYMLINKS) {
                throw new DaxException(Errno.ELOOP, path + ": too many levels of symbolic links");
            }
            String target = (String) got;
            p = target.startsWith("/") ? target : "/" + String.join("/", par.dirComponents()) + "/" + target;
        }
    }

    /** The handle of an inode whose open count was just raised for it (truncating if asked). */
    private OpenFile opened(Inode in, OpenFlags f) throws DaxException {
        OpenFile file = new OpenFile(v, in, f.read(), f.write(), f.append(), f.sync());
        if (f.truncate()) {
            try {
                v.fileLayout.truncate(in, 0);
            } catch (DaxException | RuntimeException e) {
                file.close();
                throw e;
            }
        }
        return file;
    }

    private OpenFile createAt(Inode dir, String name, String what, int mode, int umask, int uid, int gid, boolean exclusive,
                              OpenOption... options) throws DaxException {
        OpenFlags f = OpenFlags.of(options);
        Lookup.checkDir(dir, what);
        if (Names.isDot(name)) {
            throw new DaxException(Errno.EISDIR, what + ": is a directory");
        }
        Object got = openInParent(dir, name, what, mode, umask, uid, gid, true, exclusive, true);
        return got instanceof Created c ? opened(c.in(), f.withoutTruncate()) : opened((Inode) got, f);
    }

    private OpenFile openInode(Inode in, String what, OpenOption... options) throws DaxException {
        OpenFlags f = OpenFlags.of(options);
        if (in.isDir()) {
            throw new DaxException(Errno.EISDIR, what + ": is a directory");
        }
        if (in.isSymlink()) {
            throw new DaxException(Errno.ELOOP, what + ": is a symbolic link");
        }
        checkNotSpecial(in, what);
        in.life.lock();
        try {
            if (in.freed) {
                throw new DaxException(Errno.ENOENT, what + ": no such inode");
            }
            in.openCount++;
        } finally {
            in.life.unlock();
        }
        return opened(in, f);
    }

    /**
     * What {@link #openInParent} answers for a file it made. Such a file has nothing to truncate
     * and was stamped just now, so an O_TRUNC open skips the truncate, as Linux's does for a file
     * the open created.
     */
    private record Created(Inode in) {
    }

    /**
     * Opens (creating if asked) {@code name} in {@code dir}: an Inode, a {@link Created} for a
     * file made here, or a symlink target to follow.
     */
    private Object openInParent(Inode dir, String name, String path, int mode, int umask, int uid, int gid, boolean create,
                                boolean excl, boolean noFollow) throws DaxException {
        if (!excl) {
            Inode in = openLinkedRegular(dir, name);
            if (in != null) {
                return in;
            }
        }
        dir.dirLock().lock();
        try {
            Lookup.checkAlive(dir, path);
            Directory.Dentry d = v.lookup.dirOf(dir).lookup(name);
            if (d == null) {
                if (!create) {
                    throw new DaxException(Errno.ENOENT, path + ": no such file or directory");
                }
                Inode in = v.creator.createChild(dir, name, FileType.REGULAR.modeBits() | (mode & 07777), umask,
                        null, 0, uid, gid);
                in.life.lock();
                try {
                    in.openCount++;
                } finally {
                    in.life.unlock();
                }
                return new Created(in);
            }
            if (excl) {
                throw new DaxException(Errno.EEXIST, path + ": file exists");
            }
            Inode in = v.cache.get(d.ino());
            if (in.isSymlink()) {
                if (noFollow) {
                    throw new DaxException(Errno.ELOOP, path + ": is a symbolic link (NOFOLLOW_LINKS)");
                }
                return in.targetString();
            }
            if (in.isDir()) {
                throw new DaxException(Errno.EISDIR, path + ": is a directory");
            }
            checkNotSpecial(in, path);
            if (!openIfLinked(in)) {
                throw new DaxException(Errno.ENOENT, path + ": no such file or directory");
            }
            return in;
        } finally {
            dir.dirLock().unlock();
        }
    }

    /**
     * The regular file {@code name} of {@code dir}, its open count raised, found without the
     * directory's lock; null when the name is not there or is not a linked regular file, and
     * the caller takes the locked path, which creates, follows or refuses as the case may be.
     * As with Linux's open(O_CREAT), the parent is locked only when the name may have to be
     * made. The lookup is the lock-free one every path component gets (see {@link Lookup}): the
     * open takes effect at the lookup, and an unlink meanwhile shows as nlink 0 under the life
     * lock (a rename meanwhile leaves the file linked and opens it, as if the open had come first).
     */
    private Inode openLinkedRegular(Inode dir, String name) {
        Inode in;
        try {
            Directory.Dentry d = v.lookup.dirOf(dir).lookup(name);
            if (d == null) {
                return null;
            }
            in = v.cache.get(d.ino());
        } catch (DaxException raced) {
            return null; // freed meanwhile, or damage: the locked path looks again and reports
        }
        return in.isRegular() && openIfLinked(in) ? in : null;
    }

    /** Raises the open count of {@code in} if it is still linked; false when it was unlinked or freed. */
    private static boolean openIfLinked(Inode in) {
        in.life.lock();
        try {
            if (in.nlink == 0 || in.freed) {
                return false;
            }
            in.openCount++;
            return true;
        } finally {
            in.life.unlock();
        }
    }

    /** A FIFO, socket or device holds no data daxfs could serve: opening it is the kernel's job (through a mount). */
    private static void checkNotSpecial(Inode in, String what) throws DaxException {
        FileType t = in.type();
        if (t.isSpecial()) {
            throw new DaxException(Errno.ENXIO, what + ": is a " + t.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + " (no data here: open it through a mount)");
        }
    }
}
