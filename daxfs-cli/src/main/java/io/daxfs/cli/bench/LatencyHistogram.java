package io.daxfs.cli.bench;

/**
 * Durations in nanoseconds, counted in log-linear buckets (as HdrHistogram does): exact below
 * 128 ns, and above that 64 buckets per power of two, so a reported percentile is within 1/64
 * (1.6%) of the true one. The maximum is kept exactly.
 *
 * <p>One histogram belongs to one thread while it records; {@link #record} neither allocates nor
 * synchronises, so it can sit in a timed loop. Histograms are merged after the threads have
 * finished (their results travel through a Future, which publishes them).
 */
final class LatencyHistogram {
    /** Bits of a value kept below its leading one: 2^SUB_BITS buckets per power of two. */
    private static final int SUB_BITS = 6;
    private static final int SUB = 1 << SUB_BITS;
    /** Values below 2 * SUB get a bucket each; above, each power of two from 2^(SUB_BITS+1) has SUB buckets. */
    private static final int BUCKETS = 2 * SUB + (63 - (SUB_BITS + 1)) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long count;
    private long max;

    /** Counts one duration (negative ones count as 0). */
    void record(long nanos) {
        long v = Math.max(0, nanos);
        counts[index(v)]++;
        count++;
        if (v > max) {
            max = v;
        }
    }

    /** Adds {@code other}'s counts to this one. */
    void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        count += other.count;
        max = Math.max(max, other.max);
    }

    /** Forgets everything recorded (after a warm-up). */
    void reset() {
        java.util.Arrays.fill(counts, 0);
        count = 0;
        max = 0;
    }

    long count() {
        return count;
    }

    /** The largest duration recorded, exactly; 0 when empty. */
    long max() {
        return max;
    }

    /**
     * The duration below or at which a fraction {@code q} (0 < q <= 1) of the recorded ones lie:
     * the middle of its bucket, capped by the maximum. -1 when nothing was recorded.
     */
    long percentile(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("percentile fraction must be in (0, 1]: " + q);
        }
        if (count == 0) {
            return -1;
        }
        long rank = Math.max(1, (long) Math.ceil(q * count));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, middle(i));
            }
        }
        return max;
    }

    static int index(long v) {
        if (v < 2 * SUB) {
            return (int) v;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS + 1
        int shift = exponent - SUB_BITS;
        int mantissa = (int) (v >>> shift) - SUB;          // 0 .. SUB - 1
        return 2 * SUB + (exponent - SUB_BITS - 1) * SUB + mantissa;
    }

    /** The smallest value of bucket {@code i}. */
    static long lowest(int i) {
        if (i < 2 * SUB) {
            return i;
        }
        int exponent = (i - 2 * SUB) / SUB + SUB_BITS + 1;
        int mantissa = (i - 2 * SUB) % SUB;
        return (long) (SUB + mantissa) << (exponent - SUB_BITS);
    }

    private static long middle(int i) {
        if (i < 2 * SUB) {
            return i;
        }
        long low = lowest(i);
        long width = 1L << ((i - 2 * SUB) / SUB + 1);
        return low + (width - 1) / 2;
    }
}
