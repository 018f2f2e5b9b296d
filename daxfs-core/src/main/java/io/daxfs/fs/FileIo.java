package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.journal.Journal;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;

import java.lang.foreign.MemorySegment;
import java.util.BitSet;

/**
 * File data operations: read and write copy straight between the device segment and the
 * caller's segment (one copy, no buffer); truncate and the fallocate family change the block
 * map under the inode's I/O and invalidate locks; fsync persists the written data ranges and
 * commits the journal.
 *
 * <p>Lock sequence of every operation here: I/O lock (read shared, others exclusive), then for
 * operations that remove or move blocks the invalidate lock exclusive, then a journal handle
 * when the block map changes, then the attribute lock briefly for size and times.
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
        in.io.readLock().lock();
        try {
            long size = in.size;
            if (pos >= size) {
                return want == 0 ? 0 : -1;
            }
            long n = Math.min(want, size - pos);
            copy(in, pos, dst, n, false);
            return n;
        } finally {
            in.io.readLock().unlock();
        }
    }

    long write(Inode in, long pos, MemorySegment src, boolean append) throws DaxException {
        long len = src.byteSize();
        in.io.writeLock().lock();
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
            if (pos + len > MAX_FILE || pos + len < 0) {
                throw new DaxException(Errno.EFBIG, "write would make the file larger than " + MAX_FILE + " bytes");
            }
            long fb0 = pos >>> Geometry.BLOCK_SHIFT;
            long fb1 = (pos + len + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT;
            if (!fullyMapped(in, fb0, fb1)) {
                try {
                    allocate(in, fb0, fb1);
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
            copy(in, pos, src, len, true);
            long end = pos + len;
            long now = Namespace.now();
            in.meta.lock();
            try {
                markDataDirty(in, pos, len);
                if (end > in.size) {
                    in.size = end;
                }
                in.mtime = in.ctime = now;
            } finally {
                in.meta.unlock();
            }
            v.journal.markDirty(in);
            v.journal.commitIfLarge();
            return len;
        } finally {
            in.io.writeLock().unlock();
        }
    }

    /**
     * Zero-copy read: under the I/O lock (shared) hands {@code sink} the pieces of
     * {@code [pos, pos + min(len, size - pos))}: device slices for data, null for holes.
     * Returns the byte count, 0 for {@code len} 0, -1 at or after EOF.
     */
    long readInPlace(Inode in, long pos, long len, io.daxfs.types.DaxReadSink sink) throws DaxException {
        if (pos < 0 || len < 0) {
            throw new DaxException(Errno.EINVAL, "negative read position or length " + pos + "+" + len);
        }
        in.io.readLock().lock();
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
                    piece = seg.asSlice(dev, c);
                } else {
                    Extent next = in.extents.next(fb);
                    long holeEnd = next == null ? Long.MAX_VALUE : next.logical() << Geometry.BLOCK_SHIFT;
                    c = Math.min(holeEnd - p, n - done);
                    piece = null;
                }
                if (count == segs.length) {
                    segs = java.util.Arrays.copyOf(segs, count * 2);
                    lens = java.util.Arrays.copyOf(lens, count * 2);
                }
                segs[count] = piece;
                lens[count] = c;
                count++;
                done += c;
            }
            sink.pieces(segs, lens, count);
            return n;
        } finally {
            in.io.readLock().unlock();
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

    /**
     * Allocates the holes of file blocks [fb0, fb1), then drops the zero-page entries mappings
     * may hold there (docs/RACES.md Rule 14, R5: else a mapped reader keeps seeing zeros where
     * the new data goes). That waits for entry locks, so it runs after the journal handle is
     * closed (Rule 11, R20). Caller holds the I/O lock exclusive.
     */
    private void allocate(Inode in, long fb0, long fb1) throws DaxException {
        in.blockMap.lock();
        try {
            allocateLocked(in, fb0, fb1);
        } finally {
            in.blockMap.unlock();
            // Also after a partial allocation (ENOSPC): what did get blocks must be invalidated.
            v.dax().invalidateClean(in, fb0, fb1);
        }
    }

    /** Allocates the holes of [fb0, fb1) in one handle. Caller holds the block-map lock. */
    private void allocateLocked(Inode in, long fb0, long fb1) throws DaxException {
        long need = fb1 - fb0;
        if (v.blocks.availableForData() < need && v.blocks.pendingBlocks() > 0) {
            // Blocks freed by recent transactions become reusable at a checkpoint.
            v.journal.checkpoint();
        }
        try (Journal.Handle h = v.journal.begin()) {
            v.fileBlocks.allocateRange(h, in, fb0, fb1);
            return;
        } catch (DaxException e) {
            // The estimate above can fall short (extent chain blocks come from the same free
            // space): before reporting ENOSPC, reclaim pending frees and fill the remaining holes.
            if (e.errno() != Errno.ENOSPC || v.blocks.pendingBlocks() == 0) {
                throw e;
            }
        }
        v.journal.checkpoint();
        try (Journal.Handle h = v.journal.begin()) {
            v.fileBlocks.allocateRange(h, in, fb0, fb1);
        }
    }

    /**
     * The block mapping of a DAX write fault, allocating (zeroed) blocks for a hole. Caller holds
     * the invalidate lock shared, the faulting entry's lock and the block-map lock.
     */
    Iomap mapAllocating(Inode in, long fb, long count, boolean huge) throws DaxException {
        if (v.blocks.availableForData() < count && v.blocks.pendingBlocks() > 0) {
            v.journal.checkpoint();
        }
        try (Journal.Handle h = v.journal.begin()) {
            return v.fileBlocks.map(h, in, fb, count, true, huge);
        } catch (DaxException e) {
            if (e.errno() != Errno.ENOSPC || v.blocks.pendingBlocks() == 0) {
                throw e;
            }
        }
        v.journal.checkpoint();
        try (Journal.Handle h = v.journal.begin()) {
            return v.fileBlocks.map(h, in, fb, count, true, huge);
        }
    }

    // ---------------------------------------------------------------- size and block map changes

    void truncate(Inode in, long newSize) throws DaxException {
        if (newSize < 0) {
            throw new DaxException(Errno.EINVAL, "negative size " + newSize);
        }
        if (newSize > MAX_FILE) {
            throw new DaxException(Errno.EFBIG, "size " + newSize + " exceeds the maximum file size " + MAX_FILE);
        }
        changeLayout(in, pageCeil(newSize), MAX_PAGE, () -> {
            long old = in.size;
            if (newSize <= old) {
                // Also for the current size: blocks preallocated past EOF go, as on ext4.
                // Bytes past the new end in its last block must read as zeros if the file grows again.
                zeroBytes(in, newSize, ((newSize + BLOCK_MASK) & ~BLOCK_MASK) - newSize, true);
                long firstGone = (newSize + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT;
                try (Journal.Handle h = v.journal.begin()) {
                    v.fileBlocks.freeRange(h, in, firstGone, Extent.MAX_LOGICAL + 1);
                    setSize(h, in, newSize, true);
                }
            } else {
                setSize(null, in, newSize, true);
            }
        });
    }

    /** fallocate mode 0 or KEEP_SIZE: allocate zeroed blocks for every hole in the range. */
    void allocateRange(Inode in, long pos, long len, boolean keepSize) throws DaxException {
        checkRange(pos, len);
        in.io.writeLock().lock();
        try {
            long end = pos + len;
            allocate(in, pos >>> Geometry.BLOCK_SHIFT, (end + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT);
            setSize(null, in, keepSize ? in.size : Math.max(in.size, end), false);
        } finally {
            in.io.writeLock().unlock();
        }
    }

    /** PUNCH_HOLE | KEEP_SIZE: zero the partial blocks at the edges, free the whole blocks inside. */
    void punchHole(Inode in, long pos, long len) throws DaxException {
        checkRange(pos, len);
        changeLayout(in, pos >>> Geometry.BLOCK_SHIFT, pageCeil(pos + len), () -> {
            long end = pos + len;
            long firstFull = (pos + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT;
            long endFull = end >>> Geometry.BLOCK_SHIFT;
            if (firstFull >= endFull) {
                zeroBytes(in, pos, len, false);
            } else {
                zeroBytes(in, pos, (firstFull << Geometry.BLOCK_SHIFT) - pos, false);
                zeroBytes(in, endFull << Geometry.BLOCK_SHIFT, end - (endFull << Geometry.BLOCK_SHIFT), false);
                try (Journal.Handle h = v.journal.begin()) {
                    v.fileBlocks.freeRange(h, in, firstFull, endFull);
                }
            }
            setSize(null, in, in.size, true);
        });
    }

    /** ZERO_RANGE: the range reads as zeros and is allocated; the size grows unless {@code keepSize}. */
    void zeroRange(Inode in, long pos, long len, boolean keepSize) throws DaxException {
        checkRange(pos, len);
        changeLayout(in, pos >>> Geometry.BLOCK_SHIFT, pageCeil(pos + len), () -> {
            long end = pos + len;
            // Existing blocks are zeroed in place; holes get fresh blocks, which come zeroed.
            zeroBytes(in, pos, len, false);
            allocate(in, pos >>> Geometry.BLOCK_SHIFT, (end + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT);
            setSize(null, in, keepSize ? in.size : Math.max(in.size, end), true);
        });
    }

    /** COLLAPSE_RANGE: remove the block-aligned range and shift the rest of the file down. */
    void collapseRange(Inode in, long pos, long len) throws DaxException {
        checkAligned(pos, len, "collapse");
        changeLayout(in, pos >>> Geometry.BLOCK_SHIFT, MAX_PAGE, () -> {
            long size = in.size;
            if (pos + len >= size) {
                throw new DaxException(Errno.EINVAL, "collapse range [" + pos + ", +" + len + ") reaches end of file " + size);
            }
            persistDataLocked(in); // dirty-range bookkeeping is by file offset, which is about to move
            long fb = pos >>> Geometry.BLOCK_SHIFT;
            long nb = len >>> Geometry.BLOCK_SHIFT;
            try (Journal.Handle h = v.journal.begin()) {
                v.fileBlocks.collapse(h, in, fb, nb);
                setSize(h, in, size - len, true);
            }
            commitShift();
        });
    }

    /** INSERT_RANGE: insert a block-aligned hole at {@code pos}, shifting the rest of the file up. */
    void insertRange(Inode in, long pos, long len) throws DaxException {
        checkAligned(pos, len, "insert");
        changeLayout(in, pos >>> Geometry.BLOCK_SHIFT, MAX_PAGE, () -> {
            long size = in.size;
            if (pos >= size) {
                throw new DaxException(Errno.EINVAL, "insert range at " + pos + " is at or past end of file " + size);
            }
            long nb = len >>> Geometry.BLOCK_SHIFT;
            if (size + len > MAX_FILE || in.extents.endBlock() + nb > Extent.MAX_LOGICAL + 1) {
                throw new DaxException(Errno.EFBIG, "insert range would make the file larger than " + MAX_FILE + " bytes");
            }
            persistDataLocked(in);
            try (Journal.Handle h = v.journal.begin()) {
                v.fileBlocks.shift(h, in, pos >>> Geometry.BLOCK_SHIFT, nb);
                setSize(h, in, size + len, true);
            }
            commitShift();
        });
    }

    /**
     * Makes a collapse or insert durable before any later write can use the moved block map.
     * File data is written in place, not journaled: a write through the new map lands in a
     * device block that the old (still durable) map gives another file offset, so a crash
     * before the shift commits would show it there, overwriting promised data. Caller holds
     * the I/O lock exclusive, so no write runs in between.
     */
    private void commitShift() throws DaxException {
        v.journal.commit();
    }

    /** A change that removes or moves file blocks (runs with the layout locks held). */
    @FunctionalInterface
    private interface LayoutChange {
        void run() throws DaxException;
    }

    /**
     * Runs a change that removes or moves blocks of {@code in} (truncate, punch hole, zero
     * range, collapse, insert) under the I/O lock and then the invalidate lock, both exclusive:
     * no read, write or fault can see the block map mid-change.
     *
     * <p>Before the change, the layout of pages {@code [firstPage, endPage)} is broken: the DAX
     * layer unmaps the range everywhere and scans its entries for pinned pages. A pinned page
     * must not lose its block, so we drop the invalidate lock (the pin's owner may need a fault
     * to finish), wait for the page interruptibly, and start again: faults may have mapped the
     * range meanwhile, so the scan that allows the free is always one made entirely under this
     * hold of the lock (docs/RACES.md Rule 17; R7, R11, R21).
     */
    private void changeLayout(Inode in, long firstPage, long endPage, LayoutChange change) throws DaxException {
        in.io.writeLock().lock();
        try {
            for (;;) {
                DaxCallbacks.BusyWait busy;
                in.invalidate.writeLock().lock();
                try {
                    busy = v.dax().breakLayout(in, firstPage, endPage);
                    if (busy == null) {
                        change.run();
                        return;
                    }
                } finally {
                    in.invalidate.writeLock().unlock();
                }
                try {
                    busy.await();
                } catch (InterruptedException e) {
                    throw DaxBlocks.interrupted("waiting for pinned pages of " + in);
                }
            }
        } finally {
            in.io.writeLock().unlock();
        }
    }

    /** The first page wholly at or after byte {@code pos}. */
    private static long pageCeil(long pos) {
        return (pos + BLOCK_MASK) >>> Geometry.BLOCK_SHIFT;
    }

    private static void checkRange(long pos, long len) throws DaxException {
        if (pos < 0 || len <= 0) {
            throw new DaxException(Errno.EINVAL, "bad range: offset " + pos + ", length " + len);
        }
        if (pos + len > MAX_FILE || pos + len < 0) {
            throw new DaxException(Errno.EFBIG, "range end " + (pos + len) + " exceeds the maximum file size " + MAX_FILE);
        }
    }

    private static void checkAligned(long pos, long len, String what) throws DaxException {
        checkRange(pos, len);
        if ((pos & BLOCK_MASK) != 0 || (len & BLOCK_MASK) != 0) {
            throw new DaxException(Errno.EINVAL, what + " range [" + pos + ", +" + len + ") is not 4096-byte aligned");
        }
    }

    private void setSize(Journal.Handle h, Inode in, long size, boolean touchMtime) throws DaxException {
        long now = Namespace.now();
        in.meta.lock();
        try {
            boolean changed = in.size != size;
            in.size = size;
            in.ctime = now;
            if (touchMtime || changed) {
                in.mtime = now;
            }
        } finally {
            in.meta.unlock();
        }
        if (h != null) {
            h.markDirty(in);
        } else {
            v.journal.markDirty(in);
            v.journal.commitIfLarge();
        }
    }

    /** Zeroes the mapped bytes of [pos, pos+len) (holes already read as zero). */
    private void zeroBytes(Inode in, long pos, long len, boolean persistNow) {
        long done = 0;
        while (done < len) {
            long p = pos + done;
            long fb = p >>> Geometry.BLOCK_SHIFT;
            Extent e = in.extents.find(fb);
            long c;
            if (e != null) {
                c = Math.min((e.logicalEnd() << Geometry.BLOCK_SHIFT) - p, len - done);
                long dev = (e.physicalOf(fb) << Geometry.BLOCK_SHIFT) + (p & BLOCK_MASK);
                seg.asSlice(dev, c).fill((byte) 0);
                if (persistNow) {
                    v.device.persist(dev, c);
                } else {
                    in.meta.lock();
                    try {
                        markDataDirty(in, p, c);
                    } finally {
                        in.meta.unlock();
                    }
                }
            } else {
                Extent next = in.extents.next(fb);
                c = next == null ? len - done : Math.min((next.logical() << Geometry.BLOCK_SHIFT) - p, len - done);
            }
            done += c;
        }
    }

    // ---------------------------------------------------------------- seek

    long seekData(Inode in, long pos) throws DaxException {
        in.io.readLock().lock();
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
            in.io.readLock().unlock();
        }
    }

    long seekHole(Inode in, long pos) throws DaxException {
        in.io.readLock().lock();
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
            in.io.readLock().unlock();
        }
    }

    // ---------------------------------------------------------------- durability

    /**
     * Persists this file's data (written through write() and through mappings), and every other
     * file's written data (ordered data), then commits. Caller holds no lock.
     */
    void fsync(Inode in) throws DaxException {
        v.dax().writeback(in, 0, MAX_PAGE);
        persistData(in);
        v.persistDirtyData();
        v.journal.commit();
    }

    /** Persists the data written to {@code in} since its last persist. */
    void persistData(Inode in) {
        if (!in.isRegular()) {
            return;
        }
        in.io.readLock().lock();
        try {
            persistDataLocked(in);
        } finally {
            in.io.readLock().unlock();
        }
    }

    /** As {@link #persistData}; caller holds the I/O lock (either mode). */
    private void persistDataLocked(Inode in) {
        BitSet chunks;
        in.meta.lock();
        try {
            if (in.dirtyChunks.isEmpty()) {
                return;
            }
            chunks = (BitSet) in.dirtyChunks.clone();
            in.dirtyChunks.clear();
            v.dataDirty.remove(in);
        } finally {
            in.meta.unlock();
        }
        int chunkBlocks = 1 << (Inode.CHUNK_SHIFT - Geometry.BLOCK_SHIFT);
        for (int c = chunks.nextSetBit(0); c >= 0; c = chunks.nextSetBit(c + 1)) {
            long fb = (long) c * chunkBlocks;
            long end = fb + chunkBlocks;
            while (fb < end) {
                Extent e = in.extents.ceiling(fb);
                if (e == null || e.logical() >= end) {
                    break;
                }
                long from = Math.max(fb, e.logical());
                long to = Math.min(end, e.logicalEnd());
                v.device.persist(e.physicalOf(from) << Geometry.BLOCK_SHIFT, (to - from) << Geometry.BLOCK_SHIFT);
                fb = to;
            }
        }
        v.device.fence();
    }

    /** Records written file bytes for the next persist. Caller holds {@code in.meta}. */
    private void markDataDirty(Inode in, long pos, long len) {
        if (in.dirtyChunks.isEmpty()) {
            v.dataDirty.add(in);
        }
        int from = (int) (pos >>> Inode.CHUNK_SHIFT);
        int to = (int) ((pos + len - 1) >>> Inode.CHUNK_SHIFT);
        in.dirtyChunks.set(from, to + 1);
    }
}
