package io.daxfs.fs;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.media.Extent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The block map of one file: sorted, non-overlapping extents keyed by first file block, with
 * adjacent extents that are also adjacent on the device, and in the same state (written or
 * unwritten), merged.
 *
 * <h2>Concurrency</h2>
 * Each method is atomic under the map's own read/write lock, a leaf lock
 * ({@link LockLevel#EXTENT_MAP}) held only inside these methods. It exists because DAX write
 * faults allocate with only the invalidate lock (shared) and the block-map lock held, so
 * read() (I/O lock shared) may look up extents while a fault inserts one. Writers are serialised
 * outside: by the inode's block-map lock, or by the I/O and invalidate locks held exclusive
 * (which exclude every allocating path), and they hold an open journal handle so that a commit
 * never sees a half-changed map. Extents only ever appear while a reader runs; removing or
 * moving one needs the exclusive locks, so an extent a reader found stays valid under its lock.
 */
final class ExtentMap {
    private final TreeMap<Long, Extent> map = new TreeMap<>();
    private final OrderedRwLock lock = new OrderedRwLock(LockLevel.EXTENT_MAP, "extents");
    private volatile long blocks;

    ExtentMap() {
    }

    ExtentMap(List<Extent> extents) {
        for (Extent e : extents) {
            map.put(e.logical(), e);
            blocks += e.length();
        }
    }

    int count() {
        lock.readLock().lock();
        try {
            return count0();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Blocks mapped; a volatile read, no lock (the count is written under the write lock). */
    long blocks() {
        return blocks;
    }

    List<Extent> toList() {
        lock.readLock().lock();
        try {
            return toList0();
        } finally {
            lock.readLock().unlock();
        }
    }

    Extent find(long fb) {
        lock.readLock().lock();
        try {
            return find0(fb);
        } finally {
            lock.readLock().unlock();
        }
    }

    Extent next(long fb) {
        lock.readLock().lock();
        try {
            return next0(fb);
        } finally {
            lock.readLock().unlock();
        }
    }

    Extent ceiling(long fb) {
        lock.readLock().lock();
        try {
            return ceiling0(fb);
        } finally {
            lock.readLock().unlock();
        }
    }

    Extent last() {
        lock.readLock().lock();
        try {
            return last0();
        } finally {
            lock.readLock().unlock();
        }
    }

    long endBlock() {
        lock.readLock().lock();
        try {
            return endBlock0();
        } finally {
            lock.readLock().unlock();
        }
    }

    void insert(Extent x) {
        lock.writeLock().lock();
        try {
            insert0(x);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Marks the unwritten parts of file blocks {@code [from, to)} written (what was written or
     * zeroed there is now the file's data). Adds at most two extents (an unwritten extent split
     * around the range). Returns the blocks converted.
     */
    long convertToWritten(long from, long to) {
        lock.writeLock().lock();
        try {
            return convert0(from, to);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Where a cut of the map's tail should start so that it frees at most {@code maxBlocks}
     * blocks in at most {@code maxExtents} extents, never before {@code from}: the tail
     * {@code [cut, end)} is what one bounded step of freeing removes.
     */
    long tailCut(long from, long maxBlocks, int maxExtents) {
        lock.readLock().lock();
        try {
            long blocks = 0;
            int extents = 0;
            for (Extent e = last0(); e != null && e.logicalEnd() > from; e = map.lowerEntry(e.logical()) == null ? null
                    : map.lowerEntry(e.logical()).getValue()) {
                long start = Math.max(from, e.logical());
                long len = e.logicalEnd() - start;
                if (blocks + len >= maxBlocks || extents + 1 >= maxExtents) {
                    return Math.max(start, e.logicalEnd() - (maxBlocks - blocks));
                }
                blocks += len;
                extents++;
            }
            return from;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** True when every block of {@code [from, to)} is mapped and written. */
    boolean allWritten(long from, long to) {
        lock.readLock().lock();
        try {
            for (long fb = from; fb < to; ) {
                Extent e = find0(fb);
                if (e == null || e.unwritten()) {
                    return false;
                }
                fb = e.logicalEnd();
            }
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    List<long[]> remove(long from, long to) {
        lock.writeLock().lock();
        try {
            return remove0(from, to);
        } finally {
            lock.writeLock().unlock();
        }
    }

    void shift(long from, long delta) {
        lock.writeLock().lock();
        try {
            shift0(from, delta);
        } finally {
            lock.writeLock().unlock();
        }
    }

    void split(long fb) {
        lock.writeLock().lock();
        try {
            split0(fb);
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---- the same, lock held ----

    private int count0() {
        return map.size();
    }

    private List<Extent> toList0() {
        return new ArrayList<>(map.values());
    }

    /** The extent holding file block {@code fb}, or null for a hole. */
    private Extent find0(long fb) {
        Map.Entry<Long, Extent> e = map.floorEntry(fb);
        if (e != null && e.getValue().contains(fb)) {
            return e.getValue();
        }
        return null;
    }

    /** The first extent starting after {@code fb}, or null. */
    private Extent next0(long fb) {
        Map.Entry<Long, Extent> e = map.higherEntry(fb);
        return e == null ? null : e.getValue();
    }

    /** The first extent that ends after {@code fb} (holding it or after it), or null. */
    private Extent ceiling0(long fb) {
        Extent e = find0(fb);
        return e != null ? e : next0(fb);
    }

    /** The last mapped extent, or null. */
    private Extent last0() {
        Map.Entry<Long, Extent> e = map.lastEntry();
        return e == null ? null : e.getValue();
    }

    /** Adds an extent over a hole, merging with neighbours that continue it on the device. */
    private void insert0(Extent x) {
        long s = x.logical();
        long len = x.length();
        long p = x.physical();
        Map.Entry<Long, Extent> before = map.floorEntry(s);
        if (before != null && before.getValue().logicalEnd() > s) {
            throw new IllegalStateException("extent " + x + " overlaps " + before.getValue());
        }
        Extent after = map.get(s + len);
        Map.Entry<Long, Extent> nextE = map.higherEntry(s);
        if (nextE != null && nextE.getKey() < s + len) {
            throw new IllegalStateException("extent " + x + " overlaps " + nextE.getValue());
        }
        if (before != null && before.getValue().continuedBy(x) && before.getValue().length() + len <= Integer.MAX_VALUE) {
            map.remove(before.getKey());
            s = before.getValue().logical();
            p = before.getValue().physical();
            len += before.getValue().length();
        }
        if (after != null && x.continuedBy(after) && len + after.length() <= Integer.MAX_VALUE) {
            map.remove(after.logical());
            len += after.length();
        }
        map.put(s, new Extent(s, len, p, x.unwritten()));
        blocks += x.length();
    }

    private long convert0(long from, long to) {
        long converted = 0;
        for (long fb = from; fb < to; ) {
            Extent e = find0(fb);
            if (e == null) {
                Extent n = next0(fb);
                if (n == null || n.logical() >= to) {
                    break;
                }
                fb = n.logical();
                continue;
            }
            long end = Math.min(to, e.logicalEnd());
            if (e.unwritten()) {
                map.remove(e.logical());
                blocks -= e.length();
                if (e.logical() < fb) {
                    insert0(e.slice(e.logical(), fb));
                }
                if (end < e.logicalEnd()) {
                    insert0(e.slice(end, e.logicalEnd()));
                }
                insert0(e.slice(fb, end).withUnwritten(false)); // merges with written neighbours
                converted += end - fb;
            }
            fb = end;
        }
        return converted;
    }

    /**
     * Unmaps file blocks {@code [from, to)}; returns the device runs that held them, as
     * {start, length} pairs, for the caller to free.
     */
    private List<long[]> remove0(long from, long to) {
        List<long[]> freed = new ArrayList<>();
        if (from >= to) {
            return freed;
        }
        Map.Entry<Long, Extent> first = map.floorEntry(from);
        long cursor = first != null && first.getValue().logicalEnd() > from ? first.getKey() : from;
        for (Map.Entry<Long, Extent> en = map.ceilingEntry(cursor); en != null && en.getKey() < to;
             en = map.ceilingEntry(cursor)) {
            Extent e = en.getValue();
            cursor = e.logicalEnd();
            long cutFrom = Math.max(from, e.logical());
            long cutTo = Math.min(to, e.logicalEnd());
            if (cutFrom >= cutTo) {
                continue;
            }
            map.remove(e.logical());
            if (e.logical() < cutFrom) {
                map.put(e.logical(), e.slice(e.logical(), cutFrom));
            }
            if (cutTo < e.logicalEnd()) {
                map.put(cutTo, e.slice(cutTo, e.logicalEnd()));
            }
            freed.add(new long[]{e.physicalOf(cutFrom), cutTo - cutFrom});
            blocks -= cutTo - cutFrom;
        }
        return freed;
    }

    /**
     * Moves every extent at or after file block {@code from} by {@code delta} blocks (negative:
     * down). The caller guarantees the destination range is free: {@code [from + delta, from)}
     * is a hole when shifting down; an extent spanning {@code from} is split first.
     */
    private void shift0(long from, long delta) {
        split0(from);
        List<Extent> moved = new ArrayList<>(map.tailMap(from, true).values());
        map.tailMap(from, true).clear();
        for (Extent e : moved) {
            map.put(e.logical() + delta, new Extent(e.logical() + delta, e.length(), e.physical(), e.unwritten()));
        }
        if (delta < 0 && !moved.isEmpty()) {
            // Re-merge at the seam, where the moved run may now continue the one before it.
            // The first moved extent need not start at from: a hole may follow the removed range.
            Extent head = map.remove(moved.getFirst().logical() + delta);
            blocks -= head.length();
            insert0(head);
        }
    }

    /** Splits the extent spanning file block {@code fb} (if any) so that one starts at {@code fb}. */
    private void split0(long fb) {
        Map.Entry<Long, Extent> en = map.floorEntry(fb);
        if (en == null) {
            return;
        }
        Extent e = en.getValue();
        if (e.logical() < fb && e.logicalEnd() > fb) {
            map.put(e.logical(), e.slice(e.logical(), fb));
            map.put(fb, e.slice(fb, e.logicalEnd()));
        }
    }

    /** Last file block mapped + 1, or 0. */
    private long endBlock0() {
        Extent l = last0();
        return l == null ? 0 : l.logicalEnd();
    }
}
