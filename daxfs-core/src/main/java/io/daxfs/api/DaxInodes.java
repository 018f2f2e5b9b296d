package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.RenameOption;
import io.daxfs.types.SetAttr;

import io.daxfs.dax.DaxLayer;
import io.daxfs.fs.OpenFile;
import io.daxfs.fs.Volume;

import java.nio.file.OpenOption;
import java.util.List;
import java.util.Objects;

/**
 * The file system by inode number, as the *at system calls and the kernel's VFS see it: every
 * operation names its directory (or file) by inode number plus, where needed, one name in it,
 * so nothing resolves a path per call. This is the API of the FUSE low-level front end.
 * Obtained from {@link DaxFileSystem#inodes()} (one instance per file system); thread-safe.
 *
 * <p>Inode numbers are those of {@link FileStat#ino()}; the root directory is {@link #ROOT}.
 * Each operation is the same code, with the same locks, as its path twin on
 * {@link DaxFileSystem}. Errors are {@link DaxException}s with an {@link Errno} and a message
 * naming the entry; changes on a read-only mount are EROFS.
 *
 * <p><b>Lifetime.</b> An inode number is valid while the inode lives: while it has a name, or,
 * once unlinked, while an open handle ({@link DaxFile} or mapping) still holds it (nlink 0). After
 * that it is ENOENT everywhere, and the number may be reused by a new inode: compare
 * {@link #generation(long)} to tell the new inode from the old one.
 */
public final class DaxInodes {
    /** The inode number of the root directory. */
    public static final long ROOT = 1;

    /** A file made and opened by {@link #create}: its status right after, and the open handle. */
    public record Created(FileStat stat, DaxFile file) {
    }

    private final Volume volume;
    private final DaxLayer dax;

    DaxInodes(Volume volume, DaxLayer dax) {
        this.volume = volume;
        this.dax = dax;
    }

    /** Status of inode {@code ino}; ENOENT if no live inode has that number (an open unlinked file has nlink 0). */
    public FileStat getattr(long ino) throws DaxException {
        return volume.attributes().getattr(ino);
    }

    /**
     * Status of the entry {@code name} of directory {@code dir}, a symlink itself (not followed).
     * "." is {@code dir}, ".." its parent (the root's is the root). ENOTDIR, ENOENT, EINVAL (a '/'
     * or NUL in the name), ENAMETOOLONG.
     */
    public FileStat lookup(long dir, String name) throws DaxException {
        Objects.requireNonNull(name, "name");
        return volume.lookup().lookup(dir, name);
    }

    /**
     * Keeps inode number {@code ino} from being given to a new inode until {@link #releaseNumber}
     * is called as many times, even after its inode is freed: for a client that names inodes by
     * number alone (the FUSE kernel module), so that a stale number finds no inode (ENOENT)
     * rather than another file. Check afterwards, with {@link #getattr}, that the number still
     * names the inode meant: it may have been reused just before the hold.
     */
    public void holdNumber(long ino) {
        volume.holdInodeNumber(ino);
    }

    /** Drops one {@link #holdNumber} of {@code ino}. */
    public void releaseNumber(long ino) {
        volume.releaseInodeNumber(ino);
    }

    /** How many inode numbers are held ({@link #holdNumber}). */
    public int heldNumbers() {
        return volume.heldInodeNumbers();
    }

    /** The generation number of inode {@code ino}: differs between inodes that reuse one number. */
    public int generation(long ino) throws DaxException {
        return volume.attributes().generation(ino);
    }

    /** Creates directory {@code name} in {@code dir} with permission bits {@code mode}, owned by uid/gid. */
    public FileStat mkdir(long dir, String name, int mode, int uid, int gid) throws DaxException {
        return mkdir(dir, name, mode, 0, uid, gid);
    }

    /**
     * As {@link #mkdir(long, String, int, int, int)}, as mkdir(2) with the caller's {@code umask}:
     * the mode is masked by it, unless {@code dir} has a default ACL, which the new directory
     * inherits (as its default list, and with the mode, as its access list) instead.
     */
    public FileStat mkdir(long dir, String name, int mode, int umask, int uid, int gid) throws DaxException {
        Objects.requireNonNull(name, "name");
        return volume.creator().make(dir, name, FileType.DIRECTORY.modeBits() | (mode & 07777), umask, null, uid, gid);
    }

    /**
     * Creates regular file {@code name} in {@code dir} if absent (EEXIST if present and
     * {@code exclusive}) and opens it with {@code options} (READ, WRITE, APPEND,
     * TRUNCATE_EXISTING, SYNC, DSYNC, as {@link DaxFileSystem#open} understands them). An
     * existing entry is opened unless it is a directory (EISDIR) or a symlink (ELOOP: not followed).
     */
    public Created create(long dir, String name, int mode, int uid, int gid, boolean exclusive,
                          OpenOption... options) throws DaxException {
        return create(dir, name, mode, 0, uid, gid, exclusive, options);
    }

    /** As {@link #create(long, String, int, int, int, boolean, OpenOption...)}, with the caller's {@code umask} (see {@link #mkdir(long, String, int, int, int, int)}). */
    public Created create(long dir, String name, int mode, int umask, int uid, int gid, boolean exclusive,
                          OpenOption... options) throws DaxException {
        Objects.requireNonNull(name, "name");
        Args.options(options);
        OpenFile f = volume.opener().create(dir, name, mode, umask, uid, gid, exclusive, options);
        DaxFile file = new DaxFile(f, dax);
        try {
            return new Created(f.stat(), file);
        } catch (DaxException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Creates {@code name} in {@code dir} without opening it, of the type in {@code mode}'s type
     * bits: a regular file (S_IFREG or 0), a FIFO, a socket, or a character or block device with
     * device number {@code rdev} (Linux's encoding, as makedev gives it). Directories and
     * symlinks have their own calls: EINVAL.
     */
    public FileStat mknod(long dir, String name, int mode, int uid, int gid) throws DaxException {
        return mknod(dir, name, mode, 0, uid, gid);
    }

    /** As {@link #mknod(long, String, int, int, int)}, with a device node's number {@code rdev}. */
    public FileStat mknod(long dir, String name, int mode, long rdev, int uid, int gid) throws DaxException {
        return mknod(dir, name, mode, rdev, 0, uid, gid);
    }

    /** As {@link #mknod(long, String, int, long, int, int)}, with the caller's {@code umask} (see {@link #mkdir(long, String, int, int, int, int)}). */
    public FileStat mknod(long dir, String name, int mode, long rdev, int umask, int uid, int gid) throws DaxException {
        Objects.requireNonNull(name, "name");
        int type = mode & FileType.S_IFMT;
        if (type == 0 || type == FileType.REGULAR.modeBits()) {
            return volume.creator().make(dir, name, FileType.REGULAR.modeBits() | (mode & 07777), umask, null, uid, gid);
        }
        return volume.creator().makeSpecial(dir, name, type | (mode & 07777), umask, rdev, uid, gid);
    }

    /** Creates symlink {@code name} in {@code dir} pointing at {@code target}. */
    public FileStat symlink(long dir, String name, String target, int uid, int gid) throws DaxException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(target, "target");
        return volume.creator().make(dir, name, FileType.SYMLINK.modeBits() | 0777, 0, target, uid, gid);
    }

    /** The target of symlink {@code ino}; EINVAL if it is not a symlink. */
    public String readlink(long ino) throws DaxException {
        return volume.lookup().readlink(ino);
    }

    /** Removes the non-directory entry {@code name} of {@code dir} (EISDIR for a directory). */
    public void unlink(long dir, String name) throws DaxException {
        Objects.requireNonNull(name, "name");
        volume.unlinker().unlink(dir, name);
    }

    /** Removes the empty directory {@code name} of {@code dir} (ENOTEMPTY, ENOTDIR). */
    public void rmdir(long dir, String name) throws DaxException {
        Objects.requireNonNull(name, "name");
        volume.unlinker().rmdir(dir, name);
    }

    /**
     * renameat2: moves {@code name} of {@code dir} to {@code newName} of {@code newDir}, with
     * {@link RenameOption#NOREPLACE} or {@link RenameOption#EXCHANGE}, exactly as
     * {@link DaxFileSystem#rename} (EINVAL moving a directory into itself, and so on).
     */
    public void rename(long dir, String name, long newDir, String newName, RenameOption... options)
            throws DaxException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(newName, "newName");
        Args.options(options);
        volume.renamer().rename(dir, name, newDir, newName, options);
    }

    /** Adds {@code newName} in {@code newDir} as another name of {@code ino} (EPERM for a directory). */
    public FileStat link(long ino, long newDir, String newName) throws DaxException {
        Objects.requireNonNull(newName, "newName");
        return volume.creator().link(ino, newDir, newName);
    }

    /**
     * Opens regular file {@code ino} (EISDIR for a directory, ELOOP for a symlink, ENOENT for a
     * dead number). The handle counts as an open file like {@link DaxFileSystem#open}'s; an
     * unlinked file still open elsewhere can be opened again, and is freed at its last close.
     */
    public DaxFile open(long ino, OpenOption... options) throws DaxException {
        Args.options(options);
        return new DaxFile(volume.opener().open(ino, options), dax);
    }

    /**
     * Up to {@code max} entries of directory {@code dir} after position {@code cookie} (0: from
     * the start), "." and ".." excluded; cookies as {@link DaxFileSystem#readdir(String, long, int)}'s.
     */
    public List<DirEntry> readdir(long dir, long cookie, int max) throws DaxException {
        return volume.lookup().readdir(dir, cookie, max);
    }

    /**
     * Changes the attributes set in {@code a} (see {@link SetAttr}); returns the new status. A
     * size truncates or extends a regular file (EISDIR for a directory, EINVAL for a symlink).
     */
    public FileStat setattr(long ino, SetAttr a) throws DaxException {
        Objects.requireNonNull(a, "a");
        return volume.attributes().setattr(ino, a);
    }

    // ---------------------------------------------------------------- extended attributes and ACLs

    /**
     * The value of extended attribute {@code name} (e.g. "user.mime", "system.posix_acl_access")
     * of inode {@code ino}. ENODATA when it has none; EOPNOTSUPP for a namespace daxfs does not
     * keep; ERANGE for an empty name or one longer than 255 bytes. See {@link #setxattr}.
     */
    public byte[] getxattr(long ino, String name) throws DaxException {
        Objects.requireNonNull(name, "name");
        return volume.xattrs().get(ino, name);
    }

    /** The names of inode {@code ino}'s extended attributes (full names, prefix included). */
    public List<String> listxattr(long ino) throws DaxException {
        return volume.xattrs().list(ino);
    }

    /**
     * Sets extended attribute {@code name} of inode {@code ino}, as setxattr(2): {@code flags}
     * {@link #XATTR_CREATE} (EEXIST if it exists), {@link #XATTR_REPLACE} (ENODATA if it does
     * not), or 0. Namespaces: user. (regular files and directories only: EPERM elsewhere),
     * trusted., security., and the POSIX ACLs system.posix_acl_access and
     * system.posix_acl_default (directories only: EACCES) in Linux's xattr encoding (see
     * {@link io.daxfs.types.PosixAcl}; EINVAL when malformed). An access ACL also sets the mode's
     * permission bits, and one that says no more than the mode is not kept. Values up to 64 KiB
     * (E2BIG), all of one file's attributes up to about 254 KiB (ENOSPC).
     */
    public void setxattr(long ino, String name, byte[] value, int flags) throws DaxException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        volume.xattrs().set(ino, name, value, flags);
    }

    /** Removes extended attribute {@code name} of inode {@code ino}; ENODATA when there is none. */
    public void removexattr(long ino, String name) throws DaxException {
        Objects.requireNonNull(name, "name");
        volume.xattrs().remove(ino, name);
    }

    /**
     * access(2) for a caller with {@code uid} and supplementary and primary groups {@code gids}:
     * whether it may do {@code want} (R_OK 4 | W_OK 2 | X_OK 1) to inode {@code ino}, by the
     * file's mode and its access ACL. Returns normally when allowed; EACCES when not.
     */
    public void access(long ino, int uid, int[] gids, int want) throws DaxException {
        Objects.requireNonNull(gids, "gids");
        volume.xattrs().checkAccess(ino, uid, gids, want);
    }

    /** {@link #setxattr} flag: fail with EEXIST if the attribute exists. */
    public static final int XATTR_CREATE = io.daxfs.fs.Xattrs.XATTR_CREATE;
    /** {@link #setxattr} flag: fail with ENODATA if the attribute does not exist. */
    public static final int XATTR_REPLACE = io.daxfs.fs.Xattrs.XATTR_REPLACE;
}
