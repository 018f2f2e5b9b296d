package io.daxfs.fs;

import io.daxfs.media.Extent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The block map of one file: sorted, non-overlapping extents keyed by first file block, with
 * adjacent extents that are also adjacent on the device merged.
 *
 * <p>Not thread-safe. Readers hold the inode's I/O lock shared; writers hold it exclusive and
 * also an open journal handle (so a commit never sees a half-changed map).
 */
final class ExtentMap {
    private final TreeMap<Long, Extent> map = new TreeMap<>();
    private long blocks;

    ExtentMap() {
    }

    ExtentMap(List<Extent> extents) {
        for (Extent e : extents) {
            map.put(e.logical(), e);
            blocks += e.length();
        }
    }

    int count() {
        return map.size();
    }

    /** Blocks mapped. */
    long blocks() {
        return blocks;
    }

    List<Extent> toList() {
        return new ArrayList<>(map.values());
    }

    /** The extent holding file block {@code fb}, or null for a hole. */
    Extent find(long fb) {
        Map.Entry<Long, Extent> e = map.floorEntry(fb);
        if (e != null && e.getValue().contains(fb)) {
            return e.getValue();
        }
        return null;
    }

    /** The first extent starting after {@code fb}, or null. */
    Extent next(long fb) {
        Map.Entry<Long, Extent> e = map.higherEntry(fb);
        return e == null ? null : e.getValue();
    }

    /** The first extent that ends after {@code fb} (holding it or after it), or null. */
    Extent ceiling(long fb) {
        Extent e = find(fb);
        return e != null ? e : next(fb);
    }

    /** The last mapped extent, or null. */
    Extent last() {
        Map.Entry<Long, Extent> e = map.lastEntry();
        return e == null ? null : e.getValue();
    }

    /** Adds an extent over a hole, merging with neighbours that continue it on the device. */
    void insert(Extent x) {
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
        if (before != null && before.getValue().logicalEnd() == s && before.getValue().physicalEnd() == p
                && before.getValue().length() + len <= Integer.MAX_VALUE) {
            map.remove(before.getKey());
            s = before.getValue().logical();
            p = before.getValue().physical();
            len += before.getValue().length();
        }
        if (after != null && after.physical() == p + len && len + after.length() <= Integer.MAX_VALUE) {
            map.remove(after.logical());
            len += after.length();
        }
        map.put(s, new Extent(s, len, p));
        blocks += x.length();
    }

    /**
     * Unmaps file blocks {@code [from, to)}; returns the device runs that held them, as
     * {start, length} pairs, for the caller to free.
     */
    List<long[]> remove(long from, long to) {
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
                map.put(e.logical(), new Extent(e.logical(), cutFrom - e.logical(), e.physical()));
            }
            if (cutTo < e.logicalEnd()) {
                map.put(cutTo, new Extent(cutTo, e.logicalEnd() - cutTo, e.physicalOf(cutTo)));
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
    void shift(long from, long delta) {
        split(from);
        List<Extent> moved = new ArrayList<>(map.tailMap(from, true).values());
        map.tailMap(from, true).clear();
        for (Extent e : moved) {
            map.put(e.logical() + delta, new Extent(e.logical() + delta, e.length(), e.physical()));
        }
        if (delta < 0 && !moved.isEmpty()) {
            // Re-merge at the seam, where the moved run may now continue the one before it.
            // The first moved extent need not start at from: a hole may follow the removed range.
            Extent head = map.remove(moved.getFirst().logical() + delta);
            blocks -= head.length();
            insert(head);
        }
    }

    /** Splits the extent spanning file block {@code fb} (if any) so that one starts at {@code fb}. */
    void split(long fb) {
        Map.Entry<Long, Extent> en = map.floorEntry(fb);
        if (en == null) {
            return;
        }
        Extent e = en.getValue();
        if (e.logical() < fb && e.logicalEnd() > fb) {
            map.put(e.logical(), new Extent(e.logical(), fb - e.logical(), e.physical()));
            map.put(fb, new Extent(fb, e.logicalEnd() - fb, e.physicalOf(fb)));
        }
    }

    /** Last file block mapped + 1, or 0. */
    long endBlock() {
        Extent l = last();
        return l == null ? 0 : l.logicalEnd();
    }
}
