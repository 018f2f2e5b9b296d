package io.daxfs.fs;

import io.daxfs.device.MediaErrors;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxReadSink;
import io.daxfs.types.Errno;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The data path of a regular file: read, write and the zero-copy read copy straight between the
 * device segment and the caller's memory (one copy, no buffer), and SEEK_DATA / SEEK_HOLE. A write
 * into holes first has them filled ({@link HoleFiller}) and records its bytes as dirty
 * ({@link DirtyData}); changes of size or block map other than a write's are {@link FileLayout}'s.
 *
 * <p>Locks: the inode's I/O lock, shared for reads and seeks, exclusive for a write; inside it a
 * write takes the attribute lock briefly for the size, times and dirty chunks. Extent lookups
 * take the extent map's own short lock.
 */
final class FileIo {
    static final long MAX_FILE = (Extent.MAX_LOGICAL + 1) << Geometry.BLOCK_SHIFT;
    /** One past the last page a file can have: the end of every "to end of file" range. */
    static final long MAX_PAGE = Extent.MAX_LOGICAL + 1;
    private static final long BLOCK_MASK = Geometry.BLOCK_SIZE - 1;

    private final Volume v;
    private final MemorySegment seg;

    FileIo(Volume v) {
        this.v = v;
        this.seg = v.device.segment();
    }

    // ---------------------------------------------------------------- read and write

    long read(Inode in, long pos, MemorySegment dst) throws DaxException {
        if (pos < 0) {
            throw new DaxException(Errno.EINVAL, "negative read position " + pos);
        }
        long want = dst.byteSize();
        in.io().readLock().lock();
        try {
            long size = in.size;
            if (pos >= size) {
                return want == 0 ? 0 : -1;
            }
            long n = Math.min(want, size - pos);
            copy(in, pos, dst, n, false);
            return n;
        } finally {
            in.io().readLock().unlock();
        }
    }

    /**
     * Writes {@code src} at {@code pos} (at the end of file when {@code append}), filling holes
     * first; with {@code persist} the bytes written are durable when it returns (O_DSYNC), and
     * the caller commits if the metadata needed to read them is not.
     */
    long write(Inode in, long pos, MemorySegment src, boolean append, boolean persist) throws DaxException {
        long len = src.byteSize();
        in.io().writeLock().lock();
        try {
            if (append) {
                pos = in.size;
            }
            if (pos < 0) {
                throw new DaxException(Errno.EINVAL, "negative write position " + pos);
            }
            if (len == 0) {
                return 0;
            }
            if (pos >= MAX_FILE) {
                throw new DaxException(Errno.EFBIG, "write at " + pos + ", at or past the maximum file size " + MAX_FILE);
            }
            if (len > MAX_FILE - pos) {
                // POSIX: a write that crosses the maximum file size writes what fits and
                // returns that short count; only a write with no room at all is EFBIG.
                len = MAX_FILE - pos;
                src = src.asSlice(0, len);
            }
            long fb0 = pos >>> Geometry.BLOCK_SHIFT;
            long fb1 = (pos + len + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT;
            boolean converting = !in.extents.allWritten(fb0, fb1);
            if (!converting) {
                placeBytes(in, pos, src, len, false, persist); // an overwrite of data: no block changes state
            } else {
                // Blocks this write fills, or finds unwritten, stay under the block-map lock until
                // they are marked written: a DAX write fault on one of them meanwhile would zero
                // it (it is unwritten) over the bytes just copied (docs/RACES.md R23). The fault
                // waits for the lock, then finds the blocks written and maps them as they are.
                try {
                    in.blockMap().lock();
                    try {
                        len = fillAndPlace(in, pos, src, len, persist);
                    } finally {
                        in.blockMap().unlock();
                    }
                } finally {
                    // Mappings drop the zero-page entries of what became data (also after a
                    // partial conversion). That waits for entry locks, so it runs after the
                    // block-map lock is released; faults never take the I/O lock (Rule 11, R20).
                    v.dax().invalidateClean(in, fb0, (pos + len + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT);
                }
            }
            long end = pos + len;
            long now = Inode.now();
            boolean grew;
            in.meta.lock();
            try {
                grew = end > in.size;
                if (grew) {
                    in.size = end;
                }
                in.mtime = in.ctime = now;
            } finally {
                in.meta.unlock();
            }
            if (grew || converting) {
                v.journal.markDirty(in);
            } else {
                v.journal.markTimesDirty(in); // an overwrite: fdatasync need not commit for it
            }
            v.journal.commitIfLarge();
            return len;
        } finally {
            in.io().writeLock().unlock();
        }
    }

    /**
     * The part of a write that gives blocks to holes and turns unwritten blocks into data:
     * allocates (a short write on ENOSPC), places the bytes, converts. Returns the length
     * written. Caller holds the I/O lock exclusive and the block-map lock.
     */
    private long fillAndPlace(Inode in, long pos, MemorySegment src, long len, boolean persist) throws DaxException {
        long fb0 = pos >>> Geometry.BLOCK_SHIFT;
        if (!fullyMapped(in, fb0, (pos + len + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT)) {
            try {
                v.holeFiller.fill(in, fb0, (pos + len + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT);
            } catch (DaxException e) {
                if (e.errno() != Errno.ENOSPC) {
                    throw e;
                }
                // Write what fits: the mapped prefix of the range (a short write, as POSIX allows).
                len = mappedPrefix(in, pos, len);
                if (len == 0) {
                    throw e;
                }
            }
        }
        placeBytes(in, pos, src, len, true, persist);
        v.hooks.writeBytesPlaced(in.ino);
        // After the dirty range is recorded: the commit that makes these blocks data orders
        // their bytes before it. Before the size: a write that fails here has not grown the file.
        v.holeFiller.convertLocked(in, fb0, (pos + len + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT);
        return len;
    }

    /**
     * Copies {@code len} bytes of {@code src} to {@code pos} (blocks allocated), zeroes the
     * uncovered edges of blocks still unwritten when {@code converting}, and records the bytes
     * as dirty data (persisting them first with {@code persist}). Caller holds the I/O lock
     * exclusive.
     */
    private void placeBytes(Inode in, long pos, MemorySegment src, long len, boolean converting, boolean persist)
            throws DaxException {
        copy(in, pos, src, len, true);
        long end = pos + len;
        long markFrom = pos;
        long markTo = end;
        if (converting) {
            // Unwritten blocks become data: the bytes of the first and last block that this
            // write does not cover must read as zeros then, so they are zeroed now (only
            // those: the rest of each block is written once, by this write).
            long blockStart = pos & ~BLOCK_MASK;
            long blockEnd = (end + BLOCK_MASK) & ~BLOCK_MASK;
            if (zeroIfUnwritten(in, blockStart, pos)) {
                markFrom = blockStart;
            }
            if (zeroIfUnwritten(in, end, blockEnd)) {
                markTo = blockEnd;
            }
        }
        // A store that faulted must fail the write here, before its blocks are recorded as
        // written data: compiled code may have skipped it and deferred the fault.
        MediaErrors.raisePending();
        if (persist) {
            persistRange(in, markFrom, markTo - markFrom);
        }
        in.meta.lock();
        try {
            v.dirtyData.mark(in, markFrom, markTo - markFrom);
        } finally {
            in.meta.unlock();
        }
    }

    /**
     * Zero-copy read: under the I/O lock (shared) hands {@code sink} the pieces of
     * {@code [pos, pos + min(len, size - pos))}: device slices for data, null for holes.
     * Returns the byte count, 0 for {@code len} 0, -1 at or after EOF.
     */
    long readInPlace(Inode in, long pos, long len, DaxReadSink sink) throws DaxException {
        if (pos < 0 || len < 0) {
            throw new DaxException(Errno.EINVAL, "negative read position or length " + pos + "+" + len);
        }
        in.io().readLock().lock();
        try {
            long size = in.size;
            if (pos >= size) {
                return len == 0 ? 0 : -1;
            }
            long n = Math.min(len, size - pos);
            if (n == 0) {
                return 0;
            }
            MemorySegment[] segs = new MemorySegment[8];
            long[] lens = new long[8];
            int count = 0;
            long done = 0;
            while (done < n) {
                long p = pos + done;
                long fb = p >>> Geometry.BLOCK_SHIFT;
                Extent e = in.extents.find(fb);
                long c;
                MemorySegment piece;
                if (e != null) {
                    c = Math.min((e.logicalEnd() << Geometry.BLOCK_SHIFT) - p, n - done);
                    long dev = (e.physicalOf(fb) << Geometry.BLOCK_SHIFT) + (p & BLOCK_MASK);
                    piece = e.unwritten() ? null : seg.asSlice(dev, c); // unwritten: zeros, like a hole
                } else {
                    Extent next = in.extents.next(fb);
                    long holeEnd = next == null ? Long.MAX_VALUE : next.logical() << Geometry.BLOCK_SHIFT;
                    c = Math.min(holeEnd - p, n - done);
                    piece = null;
                }
                if (count == segs.length) {
                    segs = Arrays.copyOf(segs, count * 2);
                    lens = Arrays.copyOf(lens, count * 2);
                }
                segs[count] = piece;
                lens[count] = c;
                count++;
                done += c;
            }
            sink.pieces(segs, lens, count);
            return n;
        } finally {
            in.io().readLock().unlock();
        }
    }

    /** Copies {@code n} bytes between file offset {@code pos} and {@code buf}; holes read as zeros. */
    private void copy(Inode in, long pos, MemorySegment buf, long n, boolean toDevice) {
        long done = 0;
        while (done < n) {
            long p = pos + done;
            long fb = p >>> Geometry.BLOCK_SHIFT;
            Extent e = in.extents.find(fb);
            long c;
            if (e != null) {
                c = Math.min((e.logicalEnd() << Geometry.BLOCK_SHIFT) - p, n - done);
                long dev = (e.physicalOf(fb) << Geometry.BLOCK_SHIFT) + (p & BLOCK_MASK);
                if (toDevice) {
                    MemorySegment.copy(buf, done, seg, dev, c);
                } else if (e.unwritten()) {
                    buf.asSlice(done, c).fill((byte) 0); // allocated, not yet written: zeros
                } else {
                    MemorySegment.copy(seg, dev, buf, done, c);
                }
            } else {
                Extent next = in.extents.next(fb);
                long holeEnd = next == null ? Long.MAX_VALUE : next.logical() << Geometry.BLOCK_SHIFT;
                c = Math.min(holeEnd - p, n - done);
                if (toDevice) {
                    throw new IllegalStateException("write into a hole at " + p + " of " + in);
                }
                buf.asSlice(done, c).fill((byte) 0);
            }
            done += c;
        }
    }

    /**
     * Zeroes file bytes {@code [from, to)}, which lie within one block, when that block is
     * unwritten; returns whether it did. Caller holds the I/O lock exclusive.
     */
    private boolean zeroIfUnwritten(Inode in, long from, long to) {
        if (from >= to) {
            return false;
        }
        long fb = from >>> Geometry.BLOCK_SHIFT;
        Extent e = in.extents.find(fb);
        if (e == null || !e.unwritten()) {
            return false;
        }
        seg.asSlice((e.physicalOf(fb) << Geometry.BLOCK_SHIFT) + (from & BLOCK_MASK), to - from).fill((byte) 0);
        return true;
    }

    /** Persists the device bytes under file bytes {@code [pos, pos + len)}, all mapped. Caller holds the I/O lock. */
    private void persistRange(Inode in, long pos, long len) {
        long done = 0;
        while (done < len) {
            long p = pos + done;
            Extent e = in.extents.find(p >>> Geometry.BLOCK_SHIFT);
            long c = Math.min((e.logicalEnd() << Geometry.BLOCK_SHIFT) - p, len - done);
            v.device.persist((e.physicalOf(p >>> Geometry.BLOCK_SHIFT) << Geometry.BLOCK_SHIFT) + (p & BLOCK_MASK), c);
            done += c;
        }
        v.device.fence();
    }

    private static boolean fullyMapped(Inode in, long fb0, long fb1) {
        for (long fb = fb0; fb < fb1; ) {
            Extent e = in.extents.find(fb);
            if (e == null) {
                return false;
            }
            fb = e.logicalEnd();
        }
        return true;
    }

    private static long mappedPrefix(Inode in, long pos, long len) {
        long fb = pos >>> Geometry.BLOCK_SHIFT;
        while (true) {
            Extent e = in.extents.find(fb);
            if (e == null) {
                return Math.max(0, Math.min(len, (fb << Geometry.BLOCK_SHIFT) - pos));
            }
            fb = e.logicalEnd();
            if ((fb << Geometry.BLOCK_SHIFT) >= pos + len) {
                return len;
            }
        }
    }


    // ---------------------------------------------------------------- seek

    /** The file's extents, bytes allocated and bytes in 2 MiB-aligned pieces; under the I/O lock shared. */
    io.daxfs.types.FileExtents extents(Inode in) {
        in.io().readLock().lock();
        try {
            long extents = 0;
            long blocks = 0;
            long huge = 0;
            for (Extent e = in.extents.ceiling(0); e != null; e = in.extents.ceiling(e.logicalEnd())) {
                long first = e.logical();
                long end = e.logicalEnd();
                extents++;
                blocks += end - first;
                if (((first - e.physicalOf(first)) & (HUGE_BLOCKS - 1)) == 0) {
                    long from = (first + HUGE_BLOCKS - 1) & -HUGE_BLOCKS;
                    long to = end & -HUGE_BLOCKS;
                    huge += Math.max(0, to - from);
                }
            }
            return new io.daxfs.types.FileExtents(extents, blocks << Geometry.BLOCK_SHIFT, huge << Geometry.BLOCK_SHIFT);
        } finally {
            in.io().readLock().unlock();
        }
    }

    /** Blocks in a 2 MiB page. */
    private static final long HUGE_BLOCKS = 512;

    long seekData(Inode in, long pos) throws DaxException {
        in.io().readLock().lock();
        try {
            long size = in.size;
            if (pos < 0 || pos >= size) {
                throw new DaxException(Errno.ENXIO, "SEEK_DATA from " + pos + " in a file of " + size + " bytes");
            }
            Extent e = in.extents.ceiling(pos >>> Geometry.BLOCK_SHIFT);
            long at = e == null ? Long.MAX_VALUE : Math.max(pos, e.logical() << Geometry.BLOCK_SHIFT);
            if (at >= size) {
                throw new DaxException(Errno.ENXIO, "no data after " + pos);
            }
            return at;
        } finally {
            in.io().readLock().unlock();
        }
    }

    long seekHole(Inode in, long pos) throws DaxException {
        in.io().readLock().lock();
        try {
            long size = in.size;
            if (pos < 0 || pos >= size) {
                throw new DaxException(Errno.ENXIO, "SEEK_HOLE from " + pos + " in a file of " + size + " bytes");
            }
            long fb = pos >>> Geometry.BLOCK_SHIFT;
            for (Extent e = in.extents.find(fb); e != null; e = in.extents.find(fb)) {
                fb = e.logicalEnd();
            }
            return Math.min(size, Math.max(pos, fb << Geometry.BLOCK_SHIFT));
        } finally {
            in.io().readLock().unlock();
        }
    }
}
