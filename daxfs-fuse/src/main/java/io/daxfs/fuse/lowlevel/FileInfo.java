package io.daxfs.fuse.lowlevel;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A view of libfuse's {@code struct fuse_file_info} for the duration of one callback: the open
 * flags the kernel passed, and the handle ({@code fh}) the file system chose at open.
 */
public final class FileInfo {
    private final MemorySegment fi;

    FileInfo(MemorySegment raw) {
        this.fi = raw.reinterpret(Structs.FI_SIZE);
    }

    /** open(2) flags (O_ACCMODE, O_APPEND, O_SYNC, ...). */
    public int flags() {
        return fi.get(JAVA_INT, Structs.FI_FLAGS);
    }

    /**
     * For a write: true when it comes from the kernel's page cache (write-back of cached pages),
     * false when it carries the caller's data directly (O_DIRECT, or a direct_io open).
     */
    public boolean writepage() {
        return (fi.get(JAVA_INT, Structs.FI_BITS) & Structs.FI_WRITEPAGE) != 0;
    }

    public long fh() {
        return fi.get(JAVA_LONG, Structs.FI_FH);
    }

    public void fh(long handle) {
        fi.set(JAVA_LONG, Structs.FI_FH, handle);
    }

    /** Keep the kernel's cached pages of this file across this open (the data did not change behind its back). */
    public void keepCache(boolean on) {
        setBit(Structs.FI_KEEP_CACHE, on);
    }

    /** Bypass the kernel page cache for this open. */
    public void directIo(boolean on) {
        setBit(Structs.FI_DIRECT_IO, on);
    }

    /** Let the kernel cache this directory's listing (opendir only). */
    public void cacheReaddir(boolean on) {
        setBit(Structs.FI_CACHE_READDIR, on);
    }

    private void setBit(int bit, boolean on) {
        int bits = fi.get(JAVA_INT, Structs.FI_BITS);
        fi.set(JAVA_INT, Structs.FI_BITS, on ? bits | bit : bits & ~bit);
    }

    MemorySegment segment() {
        return fi;
    }
}
