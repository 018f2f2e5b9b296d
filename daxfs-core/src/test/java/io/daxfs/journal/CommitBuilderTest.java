package io.daxfs.journal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ordered-data ranges a commit persists: merged so that each run costs one persist. */
class CommitBuilderTest {
    private static List<long[]> ranges(long... pairs) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.add(new long[]{pairs[i], pairs[i + 1]});
        }
        return out;
    }

    private static void assertRuns(List<long[]> actual, long... pairs) {
        List<long[]> expected = ranges(pairs);
        assertEquals(expected.size(), actual.size(), "runs");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "run " + i);
        }
    }

    @Test
    void adjacentBlocksWrittenInAnyOrderArePersistedAsOneRun() {
        assertRuns(CommitBuilder.coalesce(ranges(8192, 4096, 0, 4096, 4096, 4096)), 0, 12288);
    }

    @Test
    void overlappingAndContainedRangesMerge() {
        assertRuns(CommitBuilder.coalesce(ranges(0, 8192, 4096, 8192, 1000, 10)), 0, 12288);
    }

    @Test
    void aGapKeepsRunsApart() {
        assertRuns(CommitBuilder.coalesce(ranges(16384, 4096, 0, 4096)), 0, 4096, 16384, 4096);
    }

    @Test
    void noRangesAndOneRangeAreReturnedAsTheyAre() {
        assertRuns(CommitBuilder.coalesce(ranges()));
        assertRuns(CommitBuilder.coalesce(ranges(40960, 100)), 40960, 100);
    }

    /** Every byte of the input is in exactly one run, and no byte outside it; runs are sorted and apart. */
    @Test
    void runsCoverExactlyTheBytesAsked() {
        Random rnd = new Random(20261202L);
        for (int round = 0; round < 500; round++) {
            int space = 256;
            boolean[] asked = new boolean[space];
            List<long[]> in = new ArrayList<>();
            for (int i = rnd.nextInt(12); i > 0; i--) {
                int off = rnd.nextInt(space - 1);
                int len = 1 + rnd.nextInt(Math.min(32, space - off));
                in.add(new long[]{off, len});
                for (int b = off; b < off + len; b++) {
                    asked[b] = true;
                }
            }
            Collections.shuffle(in, rnd);
            boolean[] covered = new boolean[space];
            long prevEnd = -1;
            for (long[] r : CommitBuilder.coalesce(in)) {
                assertEquals(true, r[0] > prevEnd, "runs sorted and not adjacent, round " + round);
                for (long b = r[0]; b < r[0] + r[1]; b++) {
                    covered[(int) b] = true;
                }
                prevEnd = r[0] + r[1];
            }
            assertArrayEquals(asked, covered, "round " + round);
        }
    }
}
