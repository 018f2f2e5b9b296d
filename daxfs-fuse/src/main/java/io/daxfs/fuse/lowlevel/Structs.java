package io.daxfs.fuse.lowlevel;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The C structures libfuse3 exchanges, for Linux x86-64 and aarch64 (LP64, glibc). Offsets were
 * read off the 3.14 headers with offsetof; {@code FuseAbiTest} compiles that program
 * (src/test/resources/abi/fuse_abi.c) against the installed headers and compares.
 */
public final class Structs {
    private Structs() {
    }

    // struct stat (glibc x86-64)
    public static final long STAT_SIZE = 144;
    static final long ST_INO = 8;
    static final long ST_NLINK = 16;
    static final long ST_MODE = 24;
    static final long ST_UID = 28;
    static final long ST_GID = 32;
    static final long ST_RDEV = 40;
    static final long ST_SIZE = 48;
    static final long ST_BLKSIZE = 56;
    static final long ST_BLOCKS = 64;
    static final long ST_ATIM = 72;
    static final long ST_MTIM = 88;
    static final long ST_CTIM = 104;

    // struct fuse_entry_param
    public static final long ENTRY_SIZE = 176;
    static final long ENTRY_INO = 0;
    static final long ENTRY_GENERATION = 8;
    static final long ENTRY_ATTR = 16;
    static final long ENTRY_ATTR_TIMEOUT = 160;
    static final long ENTRY_ENTRY_TIMEOUT = 168;

    // struct fuse_file_info
    public static final long FI_SIZE = 40;
    static final long FI_FLAGS = 0;
    static final long FI_BITS = 4;
    static final long FI_FH = 16;
    static final int FI_WRITEPAGE = 1;
    /** open(2)'s O_DIRECT (x86-64 value; FuseAbiTest checks it against fcntl.h). */
    public static final int O_DIRECT = 040000;
    static final int FI_DIRECT_IO = 1 << 1;
    static final int FI_KEEP_CACHE = 1 << 2;
    static final int FI_CACHE_READDIR = 1 << 6;

    // struct statvfs
    public static final long STATVFS_SIZE = 112;

    // struct fuse_ctx
    static final long CTX_UID = 0;
    static final long CTX_GID = 4;
    static final long CTX_PID = 8;
    static final long CTX_UMASK = 12;

    // struct fuse_args
    public static final long ARGS_SIZE = 24;

    // struct fuse_conn_info
    static final long CONN_MAX_WRITE = 8;
    static final long CONN_MAX_READ = 12;
    static final long CONN_MAX_READAHEAD = 16;
    static final long CONN_CAPABLE = 20;
    static final long CONN_WANT = 24;
    static final long CONN_MAX_BACKGROUND = 28;
    static final long CONN_TIME_GRAN = 36;

    // struct iovec
    public static final long IOVEC_SIZE = 16;

    /** Attributes to put in a struct stat; times in nanoseconds since the epoch; {@code rdev} a device node's number. */
    public record Attr(long ino, int mode, long nlink, int uid, int gid, long size, long blocks, long atimeNs,
                       long mtimeNs, long ctimeNs, long rdev) {
        /** Attributes of anything but a device node. */
        public Attr(long ino, int mode, long nlink, int uid, int gid, long size, long blocks, long atimeNs,
                    long mtimeNs, long ctimeNs) {
            this(ino, mode, nlink, uid, gid, size, blocks, atimeNs, mtimeNs, ctimeNs, 0);
        }
    }

    static void writeStat(MemorySegment st, Attr a) {
        st.fill((byte) 0);
        st.set(JAVA_LONG, ST_INO, a.ino());
        st.set(JAVA_LONG, ST_NLINK, a.nlink());
        st.set(JAVA_INT, ST_MODE, a.mode());
        st.set(JAVA_INT, ST_UID, a.uid());
        st.set(JAVA_INT, ST_GID, a.gid());
        st.set(JAVA_LONG, ST_RDEV, a.rdev());
        st.set(JAVA_LONG, ST_SIZE, a.size());
        st.set(JAVA_LONG, ST_BLKSIZE, 4096);
        st.set(JAVA_LONG, ST_BLOCKS, a.blocks());
        writeTime(st, ST_ATIM, a.atimeNs());
        writeTime(st, ST_MTIM, a.mtimeNs());
        writeTime(st, ST_CTIM, a.ctimeNs());
    }

    private static void writeTime(MemorySegment st, long off, long ns) {
        st.set(JAVA_LONG, off, Math.floorDiv(ns, 1_000_000_000L));
        st.set(JAVA_LONG, off + 8, Math.floorMod(ns, 1_000_000_000L));
    }

    static Attr readStat(MemorySegment st) {
        return new Attr(st.get(JAVA_LONG, ST_INO), st.get(JAVA_INT, ST_MODE), st.get(JAVA_LONG, ST_NLINK),
                st.get(JAVA_INT, ST_UID), st.get(JAVA_INT, ST_GID), st.get(JAVA_LONG, ST_SIZE),
                st.get(JAVA_LONG, ST_BLOCKS), readTime(st, ST_ATIM), readTime(st, ST_MTIM), readTime(st, ST_CTIM),
                st.get(JAVA_LONG, ST_RDEV));
    }

    private static long readTime(MemorySegment st, long off) {
        return st.get(JAVA_LONG, off) * 1_000_000_000L + st.get(JAVA_LONG, off + 8);
    }

    static void writeEntry(MemorySegment e, long generation, Attr a, double attrTimeout, double entryTimeout) {
        e.fill((byte) 0);
        e.set(JAVA_LONG, ENTRY_INO, a == null ? 0 : a.ino());
        e.set(JAVA_LONG, ENTRY_GENERATION, generation);
        if (a != null) {
            writeStat(e.asSlice(ENTRY_ATTR, STAT_SIZE), a);
        }
        e.set(JAVA_DOUBLE, ENTRY_ATTR_TIMEOUT, attrTimeout);
        e.set(JAVA_DOUBLE, ENTRY_ENTRY_TIMEOUT, entryTimeout);
    }

    /** What {@code statvfs} reports. */
    public record StatFs(long blockSize, long blocks, long freeBlocks, long availableBlocks, long files, long freeFiles,
                         long nameMax) {
    }

    static void writeStatvfs(MemorySegment s, StatFs f) {
        s.fill((byte) 0);
        s.set(JAVA_LONG, 0, f.blockSize());   // f_bsize
        s.set(JAVA_LONG, 8, f.blockSize());   // f_frsize
        s.set(JAVA_LONG, 16, f.blocks());     // f_blocks
        s.set(JAVA_LONG, 24, f.freeBlocks()); // f_bfree
        s.set(JAVA_LONG, 32, f.availableBlocks()); // f_bavail
        s.set(JAVA_LONG, 40, f.files());      // f_files
        s.set(JAVA_LONG, 48, f.freeFiles());  // f_ffree
        s.set(JAVA_LONG, 56, f.freeFiles());  // f_favail
        s.set(JAVA_LONG, 80, f.nameMax());    // f_namemax
    }
}
