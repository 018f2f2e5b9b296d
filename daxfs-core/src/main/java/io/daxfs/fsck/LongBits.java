package io.daxfs.fsck;

/**
 * A fixed-size bit set indexed by {@code long} (java.util.BitSet stops at 2^31 bits, fewer than
 * the blocks of a large device), with word access for the word-at-a-time bitmap comparisons.
 */
final class LongBits {
    private final long[] words;
    private final long size;

    /** Bits {@code [0, size)}; {@code size} must be at most 2^36 (the caller checks). */
    LongBits(long size) {
        this.words = new long[(int) ((size + 63) >>> 6)];
        this.size = size;
    }

    LongBits copy() {
        LongBits c = new LongBits(size);
        System.arraycopy(words, 0, c.words, 0, words.length);
        return c;
    }

    boolean get(long i) {
        return (words[(int) (i >>> 6)] & (1L << (i & 63))) != 0;
    }

    void set(long i) {
        words[(int) (i >>> 6)] |= 1L << (i & 63);
    }

    /** Word {@code w}: bits {@code [64w, 64w + 64)}, bit {@code i} at {@code 1L << (i & 63)}. */
    long word(int w) {
        return words[w];
    }

    /**
     * Sets bits {@code [from, to)} and returns, word by word, the ones that were already set
     * (reported to {@code already} as a word index and the mask of bits it already had).
     */
    void setRange(long from, long to, WordSink already) {
        for (long b = from; b < to; ) {
            int w = (int) (b >>> 6);
            int lo = (int) (b & 63);
            int hi = (int) Math.min(64, to - (b & ~63L));
            long mask = (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            long dup = words[w] & mask;
            if (dup != 0 && already != null) {
                already.accept(w, dup);
            }
            words[w] |= mask;
            b = (b & ~63L) + hi;
        }
    }

    void clearRange(long from, long to) {
        for (long b = from; b < to; ) {
            int w = (int) (b >>> 6);
            int lo = (int) (b & 63);
            int hi = (int) Math.min(64, to - (b & ~63L));
            long mask = (hi == 64 ? -1L : (1L << hi) - 1) & (-1L << lo);
            words[w] &= ~mask;
            b = (b & ~63L) + hi;
        }
    }

    long cardinality() {
        long n = 0;
        for (long w : words) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** Receives words of bits. */
    @FunctionalInterface
    interface WordSink {
        void accept(int word, long bits);
    }
}
