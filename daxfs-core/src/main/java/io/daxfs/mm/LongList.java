package io.daxfs.mm;

import java.util.Arrays;

/** A growable list of longs: the references and copies a revocation releases after its epoch closes. */
final class LongList {
    private long[] values = new long[8];
    private int size;

    void add(long v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    int size() {
        return size;
    }

    long get(int i) {
        return values[i];
    }
}
