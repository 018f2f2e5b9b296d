package io.daxfs.alloc;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The free-space index of one group: what each kind of request takes, and that its counts stay exact. */
class FreeRunsTest {
    private static final long H = 512;

    @Test
    void addedRunsMergeWithTheRunsTheyTouch() {
        FreeRuns r = new FreeRuns();
        r.add(100, 10);
        r.add(120, 10);
        r.add(110, 10);
        assertEquals(1, r.runs());
        assertEquals(30, r.free());
        assertArrayEquals(new long[]{100, 30}, r.takeAt(100, 100));
        assertEquals(0, r.free());
    }

    @Test
    void aHugeRequestTakesTheSmallestRunWithEnoughAlignedPiecesAndOnlyAlignedBlocks() {
        FreeRuns r = new FreeRuns();
        r.add(10, 10 * H);          // 9 aligned pieces
        r.add(20 * H + 7, 3 * H);   // 2 aligned pieces (unaligned start)
        r.add(40 * H, 100);         // none
        assertEquals(11, r.hugePieces());
        long[] got = r.takeHuge(2 * H);
        assertArrayEquals(new long[]{21 * H, 2 * H}, got, "the run with just enough pieces, from its first aligned block");
        assertEquals(9, r.hugePieces());
        got = r.takeHuge(20 * H);
        assertEquals(0, got[0] % H);
        assertEquals(9 * H, got[1], "all the largest run has, when none has enough");
        assertNull(r.takeHuge(H), "no aligned piece is left");
        // Left free: [10, 512) and [5120, 5130) of the first run, [10247, 10752) and [11776, 11783)
        // of the second, and all of the third.
        assertEquals(502 + 10 + 505 + 7 + 100, r.free(), "the unaligned edges stay free");
    }

    @Test
    void bestFitTakesTheSmallestRunThatHoldsTheRequest() {
        FreeRuns r = new FreeRuns();
        r.add(1000, 50);
        r.add(2000, 8);
        r.add(3000, 20);
        assertArrayEquals(new long[]{3000, 16}, r.takeBestFit(16));
        assertArrayEquals(new long[]{1000, 50}, r.takeBestFit(100), "the largest when none is big enough");
    }

    @Test
    void aNewStreamStartsInTheMiddleOfALargeRunSoTheFileBeforeItCanGrowInPlace() {
        FreeRuns r = new FreeRuns();
        r.add(100, 64 * H);
        assertArrayEquals(new long[]{100, 1}, r.takeBestFit(1), "a file's first block, at the run's start");
        long[] second = r.takeForNewStream(1);
        assertEquals(0, second[0] % H, "a new stream starts 2 MiB aligned");
        assertTrue(second[0] >= 100 + 16 * H, "far from the first file: " + second[0]);
        assertArrayEquals(new long[]{101, 1}, r.takeAt(101, 1), "the first file's next block is still free");
        r.add(100_000, 10);
        assertArrayEquals(new long[]{100_000, 4}, r.takeForNewStream(4), "a small run that fits is used up first (best fit)");
    }

    @Test
    void aSeededRandomMixOfRequestsMatchesABitSetModel() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int size = 64 * (int) H;
            BitSet free = new BitSet(size);
            FreeRuns r = new FreeRuns();
            free.set(0, size);
            r.add(0, size);
            for (int op = 0; op < 2000; op++) {
                long[] got = switch (rnd.nextInt(5)) {
                    case 4 -> r.takeForNewStream(1 + rnd.nextInt(700));
                    case 0 -> r.takeHuge((1 + rnd.nextInt(4)) * H);
                    case 1 -> r.takeAt(rnd.nextInt(size), 1 + rnd.nextInt(600));
                    case 2 -> r.takeBestFit(1 + rnd.nextInt(700));
                    default -> {
                        // Free a random allocated run back.
                        int at = free.nextClearBit(rnd.nextInt(size));
                        if (at < size) {
                            int end = Math.min(size, free.nextSetBit(at) < 0 ? size : free.nextSetBit(at));
                            int len = 1 + rnd.nextInt(end - at);
                            free.set(at, at + len);
                            r.add(at, len);
                        }
                        yield null;
                    }
                };
                if (got != null) {
                    assertTrue(got[1] > 0);
                    int from = (int) got[0];
                    int to = (int) (got[0] + got[1]);
                    assertEquals(to, free.nextClearBit(from) < to ? -1 : to, "seed " + seed + ": took blocks that were not free");
                    free.clear(from, to);
                }
                assertEquals(free.cardinality(), r.free(), "seed " + seed + ": free count");
                assertEquals(alignedPieces(free, size), r.hugePieces(), "seed " + seed + ": aligned pieces");
            }
        }
    }

    private static long alignedPieces(BitSet free, int size) {
        long n = 0;
        for (int p = 0; p + H <= size; p += (int) H) {
            if (free.get(p, (int) (p + H)).cardinality() == H) {
                n++;
            }
        }
        return n;
    }
}
