package io.daxfs.fuse.lowlevel;

import io.daxfs.types.DaxException;

import java.lang.foreign.MemorySegment;

/**
 * The low-level FUSE operations, in Java terms: inode numbers, not paths. Calls arrive on
 * several libfuse worker threads at once.
 *
 * <p>Each call ends in exactly one reply on its request (forget has none), sent either by the
 * operation or by the dispatcher ({@link OpsTable}) for what the operation throws: a
 * {@link DaxException} is answered with its errno, so an operation states a failure by
 * throwing it and replies only on success; anything else is a bug, logged and answered EIO.
 * Nothing thrown reaches native code, where it would end the JVM. Operations not overridden
 * answer ENOSYS, as libfuse does for a missing one.
 */
public interface FuseOperations {
    /** The default answer of an operation a file system does not implement. */
    int ENOSYS = 38;

    /** Connection set-up: adjust capabilities and limits. */
    default void init(Connection conn) {
    }

    /** The session ends (after the last request). */
    default void destroy() {
    }

    default void lookup(FuseRequest r, long parent, String name) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /** The kernel dropped {@code nlookup} references to {@code ino}. No reply: the dispatcher sends none. */
    default void forget(long ino, long nlookup) {
    }

    default void getattr(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /** {@code fi} is null unless the change came through an open file (ftruncate, futimens). */
    default void setattr(FuseRequest r, long ino, AttrChange attr, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void readlink(FuseRequest r, long ino) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void mknod(FuseRequest r, long parent, String name, int mode, long rdev) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void mkdir(FuseRequest r, long parent, String name, int mode) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void unlink(FuseRequest r, long parent, String name) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void rmdir(FuseRequest r, long parent, String name) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void symlink(FuseRequest r, String target, long parent, String name) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /** {@code flags}: RENAME_NOREPLACE (1), RENAME_EXCHANGE (2), RENAME_WHITEOUT (4). */
    default void rename(FuseRequest r, long parent, String name, long newParent, String newName, int flags) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void link(FuseRequest r, long ino, long newParent, String newName) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void open(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void read(FuseRequest r, long ino, long size, long off, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /** {@code buf}: the data, in libfuse's request buffer (valid during the call only). */
    default void write(FuseRequest r, long ino, MemorySegment buf, long off, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void flush(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void release(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void fsync(FuseRequest r, long ino, boolean datasync, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void opendir(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /** {@code plus}: readdirplus, entries carry attributes (and count as lookups). */
    default void readdir(FuseRequest r, long ino, long size, long off, FileInfo fi, boolean plus) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void releasedir(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void fsyncdir(FuseRequest r, long ino, boolean datasync, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void statfs(FuseRequest r, long ino) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /**
     * {@code name}: the attribute's full name ("user.x"), its bytes in the String form of
     * {@link io.daxfs.types.FileNames}; {@code value} is a copy. {@code flags}: XATTR_CREATE (1),
     * XATTR_REPLACE (2).
     */
    default void setxattr(FuseRequest r, long ino, String name, byte[] value, int flags) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /** {@code size}: the caller's buffer, 0 when it asks for the length only ({@link FuseRequest#replyXattr}). */
    default void getxattr(FuseRequest r, long ino, String name, long size) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /** As getxattr; the data is the names, each ended by a NUL byte. */
    default void listxattr(FuseRequest r, long ino, long size) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void removexattr(FuseRequest r, long ino, String name) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void access(FuseRequest r, long ino, int mask) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void create(FuseRequest r, long parent, String name, int mode, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void fallocate(FuseRequest r, long ino, int mode, long off, long len, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void lseek(FuseRequest r, long ino, long off, int whence, FileInfo fi) throws DaxException {
        r.replyErr(ENOSYS);
    }

    default void copyFileRange(FuseRequest r, long inoIn, long offIn, FileInfo fiIn, long inoOut, long offOut,
                               FileInfo fiOut, long len, int flags) throws DaxException {
        r.replyErr(ENOSYS);
    }

    /** What the kernel asked to change in setattr; fields not in {@code valid} are meaningless. */
    record AttrChange(int valid, Structs.Attr attr) {
        public static final int MODE = 1;
        public static final int UID = 2;
        public static final int GID = 4;
        public static final int SIZE = 8;
        public static final int ATIME = 16;
        public static final int MTIME = 32;
        public static final int ATIME_NOW = 128;
        public static final int MTIME_NOW = 256;
        public static final int CTIME = 1024;

        public boolean has(int bit) {
            return (valid & bit) != 0;
        }
    }

    /** The connection parameters negotiated at init. */
    final class Connection {
        private final MemorySegment conn;

        Connection(MemorySegment conn) {
            this.conn = conn.reinterpret(128);
        }

        public int capable() {
            return conn.get(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_CAPABLE);
        }

        public int want() {
            return conn.get(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_WANT);
        }

        /** Asks for capability bits the kernel offers (ignored where it does not). */
        public void want(int bits) {
            conn.set(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_WANT, want() | (bits & capable()));
        }

        public void unwant(int bits) {
            conn.set(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_WANT, want() & ~bits);
        }

        public void maxWrite(int bytes) {
            conn.set(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_MAX_WRITE, bytes);
        }

        public int maxWrite() {
            return conn.get(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_MAX_WRITE);
        }

        public void maxReadahead(int bytes) {
            conn.set(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_MAX_READAHEAD, bytes);
        }

        public void maxBackground(int n) {
            conn.set(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_MAX_BACKGROUND, n);
        }

        /** Timestamp granularity in nanoseconds (1: full nanoseconds). */
        public void timeGranularity(int ns) {
            conn.set(java.lang.foreign.ValueLayout.JAVA_INT, Structs.CONN_TIME_GRAN, ns);
        }

        public static final int CAP_ASYNC_READ = 0x1;
        public static final int CAP_ATOMIC_O_TRUNC = 0x8;
        public static final int CAP_EXPORT_SUPPORT = 0x10;
        /**
         * The kernel does not apply the umask to the mode of mknod, mkdir and create but passes
         * it ({@link FuseRequest#umask()}): the file system applies it, or a default ACL instead.
         */
        public static final int CAP_DONT_MASK = 0x40;
        public static final int CAP_SPLICE_WRITE = 0x80;
        public static final int CAP_SPLICE_MOVE = 0x100;
        public static final int CAP_SPLICE_READ = 0x200;
        /**
         * The kernel drops a file's whole page cache (unmapping it from every process) whenever a
         * refresh of its attributes shows a new mtime: for a file system only the kernel writes
         * to, each write then costs every cached page and every mapped page of the file.
         */
        public static final int CAP_AUTO_INVAL_DATA = 0x1000;
        public static final int CAP_READDIRPLUS = 0x2000;
        public static final int CAP_READDIRPLUS_AUTO = 0x4000;
        public static final int CAP_ASYNC_DIO = 0x8000;
        public static final int CAP_WRITEBACK_CACHE = 0x10000;
        public static final int CAP_PARALLEL_DIROPS = 0x40000;
        /**
         * The kernel checks permissions by POSIX ACLs as well as the mode (it implies
         * default_permissions) and caches them; keeping mode and ACL in step and inheriting
         * default ACLs stay the file system's job.
         */
        public static final int CAP_POSIX_ACL = 0x80000;
        /** The file system clears set-user-ID bits itself on write, truncate and chown. */
        public static final int CAP_HANDLE_KILLPRIV = 0x100000;
    }
}
