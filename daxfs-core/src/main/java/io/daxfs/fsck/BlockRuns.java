package io.daxfs.fsck;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of device blocks kept as runs {@code [start, start + length)}: cross-linked blocks,
 * blocks marked free but in use. Built by adding blocks in any order, then {@link #seal sealed}
 * into sorted disjoint runs that can be intersected with an owner's extents.
 */
final class BlockRuns {
    private long[] starts = new long[16];
    private long[] lengths = new long[16];
    private int count;
    private boolean sealed;

    void add(long start, long length) {
        if (sealed) {
            throw new IllegalStateException("runs are sealed");
        }
        if (count > 0 && starts[count - 1] + lengths[count - 1] == start) {
            lengths[count - 1] += length;
            return;
        }
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
        }
        starts[count] = start;
        lengths[count] = length;
        count++;
    }

    /** Adds the set bits of {@code bits}, whose bit 0 is block {@code base}. */
    void addBits(long base, long bits) {
        while (bits != 0) {
            int lo = Long.numberOfTrailingZeros(bits);
            int run = Long.numberOfTrailingZeros(~(bits >>> lo));
            add(base + lo, run);
            bits = run + lo >= 64 ? 0 : bits & (-1L << (lo + run));
        }
    }

    /** Sorts and merges the runs (once); afterwards the set is read-only. */
    BlockRuns seal() {
        if (sealed) {
            return this;
        }
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(starts[a], starts[b]));
        long[] s = new long[count];
        long[] l = new long[count];
        int n = 0;
        for (int idx : order) {
            long st = starts[idx];
            long end = st + lengths[idx];
            if (n > 0 && s[n - 1] + l[n - 1] >= st) {
                l[n - 1] = Math.max(s[n - 1] + l[n - 1], end) - s[n - 1];
            } else {
                s[n] = st;
                l[n] = end - st;
                n++;
            }
        }
        starts = s;
        lengths = l;
        count = n;
        sealed = true;
        return this;
    }

    boolean isEmpty() {
        return count == 0;
    }

    int size() {
        return count;
    }

    long start(int i) {
        return starts[i];
    }

    long length(int i) {
        return lengths[i];
    }

    /** The pieces of {@code [from, from + length)} inside the set, as {index, start, length}. */
    List<long[]> intersect(long from, long length) {
        List<long[]> out = new ArrayList<>();
        long to = from + length;
        int i = Arrays.binarySearch(starts, 0, count, from);
        i = i >= 0 ? i : Math.max(0, -i - 2);
        for (; i < count && starts[i] < to; i++) {
            long s = Math.max(from, starts[i]);
            long e = Math.min(to, starts[i] + lengths[i]);
            if (s < e) {
                out.add(new long[]{i, s, e - s});
            }
        }
        return out;
    }
}
