package io.daxfs.fuse;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxInodes;
import io.daxfs.fuse.lowlevel.FileInfo;
import io.daxfs.fuse.lowlevel.FuseOperations;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.types.DaxException;

import java.lang.foreign.MemorySegment;

/**
 * daxfs as a FUSE file system: the low-level operations by inode number ({@link DaxInodes}).
 * FUSE node ids are daxfs inode numbers (the root is 1 in both), so no table maps one to the
 * other and nothing resolves a path. This class negotiates the connection and routes each
 * operation to the class that does that job: {@link NamespaceOps} (names),
 * {@link AttributeOps} (attributes, statfs), {@link XattrOps} (extended attributes and ACLs),
 * {@link FileOps} (open files and their I/O, over {@link Handles}) and {@link DirectoryOps}
 * (listings, over {@link OpenDirs}).
 *
 * <p><b>Permissions and ACLs.</b> The mount uses default_permissions, and asks for POSIX ACLs
 * and for unmasked modes at init: the kernel then checks every access by mode and access ACL,
 * and sends mknod, mkdir and create the mode the caller asked for and its umask, which the core
 * applies, or instead inherits the parent's default ACL (POSIX's rule: a default ACL replaces
 * the umask). When the kernel does not grant unmasked modes it has applied the umask itself,
 * and 0 is passed on. Keeping mode and ACL in step (chmod, setfacl) is the core's job too.
 *
 * <p><b>Errors.</b> An operation fails by throwing the DaxException of the daxfs call that
 * failed; the dispatcher answers it with that errno. Anything else escapes to the dispatcher
 * too, which answers EIO and logs it.
 *
 * <p><b>Lookup counts.</b> {@link LookupCounts} keeps the kernel's count of every inode number
 * it was given (forget and batch forget take them back), and daxfs gives no counted number to a
 * new file: FUSE requests carry no generation, so a held directory fd or a cwd whose directory
 * was deleted would otherwise reach whatever file got its number next. A reply the kernel never
 * got (an interrupted request) gives its count back, and an interrupted open or create closes
 * the file it opened.
 *
 * <p>flush is left to the default ENOSYS on purpose: writes are in device memory when they are
 * acknowledged, so close has nothing to push, and on ENOSYS the kernel stops sending FLUSH,
 * which saves a round trip on every close(2).
 */
final class DaxFuseOperations implements FuseOperations {
    private final Handles handles = new Handles();
    private final LookupCounts lookups;
    private final NamespaceOps names;
    private final AttributeOps attributes;
    private final FileOps files;
    private final DirectoryOps directories;
    private final XattrOps xattrs;
    /** Whether init got CAP_DONT_MASK, so requests carry the umask; written before the first request. */
    private volatile boolean unmasked;

    /** Serves {@code fs}; the kernel may cache attributes and names for the given seconds. */
    DaxFuseOperations(DaxFileSystem fs, double attrTimeout, double entryTimeout) {
        DaxInodes inodes = fs.inodes();
        this.lookups = new LookupCounts(inodes);
        InodeReplies replies = new InodeReplies(inodes, lookups, attrTimeout, entryTimeout);
        OpenDirs openDirs = new OpenDirs();
        this.names = new NamespaceOps(inodes, replies);
        this.attributes = new AttributeOps(fs, inodes, replies, openDirs);
        this.files = new FileOps(fs, inodes, replies, handles);
        this.directories = new DirectoryOps(fs, inodes, replies, openDirs);
        this.xattrs = new XattrOps(inodes);
    }

    /** Closes what the kernel left open (after the session ended, before the file system closes). */
    void releaseAll() {
        handles.closeAll();
        lookups.releaseAll();
    }

    // ---------------------------------------------------------------- session

    @Override
    public void init(Connection conn) {
        // Writes go through to the device at once: no kernel write-back cache to lose on a crash.
        conn.unwant(Connection.CAP_WRITEBACK_CACHE);
        // Every change reaches the image through this mount (the server holds the image's lock),
        // and the kernel keeps its cache coherent with its own writes; invalidating a file's
        // whole cache on each mtime change made every write after a read or an mmap refault the
        // file (stress-ng's mmap stressor: 0 operations in 25 s). Direct writes invalidate their
        // range explicitly (CacheNotifier).
        conn.unwant(Connection.CAP_AUTO_INVAL_DATA);
        conn.want(Connection.CAP_ASYNC_READ | Connection.CAP_PARALLEL_DIROPS | Connection.CAP_ATOMIC_O_TRUNC);
        // File handles (inode number + generation) that outlive the kernel's inode cache and a
        // remount: the kernel looks "." and ".." up by node id (NamespaceOps.self).
        conn.want(Connection.CAP_EXPORT_SUPPORT);
        // The kernel clears set-user-ID bits on write, truncate and chown unless we claim to; we don't.
        conn.unwant(Connection.CAP_HANDLE_KILLPRIV);
        // ACLs checked and cached by the kernel; the umask left to the core, which must not
        // apply it where a default ACL is inherited.
        conn.want(Connection.CAP_POSIX_ACL | Connection.CAP_DONT_MASK);
        unmasked = (conn.want() & Connection.CAP_DONT_MASK) != 0;
        conn.timeGranularity(1);
    }

    /** The umask for the core to apply: the caller's, or 0 when the kernel has applied it. */
    private int umask(FuseRequest r) {
        return unmasked ? r.umask() & 0777 : 0;
    }

    @Override
    public void forget(long ino, long nlookup) {
        lookups.forget(ino, nlookup);
    }

    // ---------------------------------------------------------------- names

    @Override
    public void lookup(FuseRequest r, long parent, String name) throws DaxException {
        names.lookup(r, parent, name);
    }

    @Override
    public void readlink(FuseRequest r, long ino) throws DaxException {
        names.readlink(r, ino);
    }

    @Override
    public void mknod(FuseRequest r, long parent, String name, int mode, long rdev) throws DaxException {
        names.mknod(r, parent, name, mode, rdev, umask(r));
    }

    @Override
    public void mkdir(FuseRequest r, long parent, String name, int mode) throws DaxException {
        names.mkdir(r, parent, name, mode, umask(r));
    }

    @Override
    public void symlink(FuseRequest r, String target, long parent, String name) throws DaxException {
        names.symlink(r, target, parent, name);
    }

    @Override
    public void link(FuseRequest r, long ino, long newParent, String newName) throws DaxException {
        names.link(r, ino, newParent, newName);
    }

    @Override
    public void unlink(FuseRequest r, long parent, String name) throws DaxException {
        names.unlink(r, parent, name);
    }

    @Override
    public void rmdir(FuseRequest r, long parent, String name) throws DaxException {
        names.rmdir(r, parent, name);
    }

    @Override
    public void rename(FuseRequest r, long parent, String name, long newParent, String newName, int flags)
            throws DaxException {
        names.rename(r, parent, name, newParent, newName, flags);
    }

    // ---------------------------------------------------------------- attributes

    @Override
    public void getattr(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        attributes.getattr(r, ino);
    }

    @Override
    public void setattr(FuseRequest r, long ino, AttrChange attr, FileInfo fi) throws DaxException {
        attributes.setattr(r, ino, attr);
    }

    @Override
    public void access(FuseRequest r, long ino, int mask) throws DaxException {
        attributes.access(r, ino, mask);
    }

    @Override
    public void setxattr(FuseRequest r, long ino, String name, byte[] value, int flags) throws DaxException {
        xattrs.setxattr(r, ino, name, value, flags);
    }

    @Override
    public void getxattr(FuseRequest r, long ino, String name, long size) throws DaxException {
        xattrs.getxattr(r, ino, name, size);
    }

    @Override
    public void listxattr(FuseRequest r, long ino, long size) throws DaxException {
        xattrs.listxattr(r, ino, size);
    }

    @Override
    public void removexattr(FuseRequest r, long ino, String name) throws DaxException {
        xattrs.removexattr(r, ino, name);
    }

    @Override
    public void statfs(FuseRequest r, long ino) {
        attributes.statfs(r);
    }

    // ---------------------------------------------------------------- open files

    @Override
    public void create(FuseRequest r, long parent, String name, int mode, FileInfo fi) throws DaxException {
        files.create(r, parent, name, mode, umask(r), fi);
    }

    @Override
    public void open(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        files.open(r, ino, fi);
    }

    @Override
    public void read(FuseRequest r, long ino, long size, long off, FileInfo fi) throws DaxException {
        files.read(r, size, off, fi);
    }

    @Override
    public void write(FuseRequest r, long ino, MemorySegment buf, long off, FileInfo fi) throws DaxException {
        files.write(r, ino, buf, off, fi);
    }

    @Override
    public void release(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        files.release(r, fi);
    }

    @Override
    public void fsync(FuseRequest r, long ino, boolean datasync, FileInfo fi) throws DaxException {
        files.fsync(r, datasync, fi);
    }

    @Override
    public void fallocate(FuseRequest r, long ino, int mode, long off, long len, FileInfo fi) throws DaxException {
        files.fallocate(r, mode, off, len, fi);
    }

    @Override
    public void lseek(FuseRequest r, long ino, long off, int whence, FileInfo fi) throws DaxException {
        files.lseek(r, off, whence, fi);
    }

    @Override
    public void copyFileRange(FuseRequest r, long inoIn, long offIn, FileInfo fiIn, long inoOut, long offOut,
                              FileInfo fiOut, long len, int flags) throws DaxException {
        files.copyFileRange(r, offIn, fiIn, offOut, fiOut, len, flags);
    }

    // ---------------------------------------------------------------- directories

    @Override
    public void opendir(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        directories.opendir(r, ino, fi);
    }

    @Override
    public void readdir(FuseRequest r, long ino, long size, long off, FileInfo fi, boolean plus)
            throws DaxException {
        directories.readdir(r, ino, size, off, plus);
    }

    @Override
    public void releasedir(FuseRequest r, long ino, FileInfo fi) {
        directories.releasedir(r, ino);
    }

    @Override
    public void fsyncdir(FuseRequest r, long ino, boolean datasync, FileInfo fi) throws DaxException {
        directories.fsyncdir(r);
    }
}
