package io.daxfs.cli.bench;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyHistogramTest {
    @Test
    void emptyHasNoPercentiles() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, h.count());
        assertEquals(-1, h.percentile(0.5));
        assertEquals(0, h.max());
    }

    @Test
    void smallValuesAreExact() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 1; v <= 100; v++) {
            h.record(v);
        }
        assertEquals(50, h.percentile(0.50));
        assertEquals(99, h.percentile(0.99));
        assertEquals(100, h.percentile(1.0));
        assertEquals(100, h.max());
    }

    @Test
    void percentilesAreWithinOneSixtyFourthOfTheExactOnes() {
        SplittableRandom random = new SplittableRandom(7);
        long[] values = new long[100_000];
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < values.length; i++) {
            // Spread over many powers of two: 100 ns to about 100 ms.
            values[i] = (long) Math.exp(Math.log(100) + random.nextDouble() * Math.log(1e6));
            h.record(values[i]);
        }
        Arrays.sort(values);
        for (double q : new double[] {0.01, 0.5, 0.9, 0.99, 0.999}) {
            long exact = values[(int) Math.ceil(q * values.length) - 1];
            long got = h.percentile(q);
            assertTrue(Math.abs(got - exact) <= exact / 64 + 1, q + ": " + got + " vs " + exact);
        }
        assertEquals(values[values.length - 1], h.max());
        assertEquals(values.length, h.count());
    }

    @Test
    void bucketsCoverEveryLongInOrder() {
        long previous = -1;
        for (int i = 0; i < 3000; i++) {
            long low = LatencyHistogram.lowest(i);
            assertTrue(low > previous, "bucket " + i);
            assertEquals(i, LatencyHistogram.index(low));
            previous = low;
        }
        assertEquals(LatencyHistogram.index(Long.MAX_VALUE), LatencyHistogram.index(Long.MAX_VALUE - 1));
        assertTrue(LatencyHistogram.index(Long.MAX_VALUE) > 3000);
    }

    @Test
    void addMergesCountsAndMax() {
        LatencyHistogram a = new LatencyHistogram();
        LatencyHistogram b = new LatencyHistogram();
        a.record(10);
        b.record(1_000_000);
        b.record(-5);
        a.add(b);
        assertEquals(3, a.count());
        assertEquals(1_000_000, a.max());
        assertEquals(0, a.percentile(0.01));
        a.reset();
        assertEquals(0, a.count());
        assertEquals(-1, a.percentile(0.5));
    }

    @Test
    void percentileMustBeAFraction() {
        LatencyHistogram h = new LatencyHistogram();
        assertThrows(IllegalArgumentException.class, () -> h.percentile(0));
        assertThrows(IllegalArgumentException.class, () -> h.percentile(1.5));
    }
}
