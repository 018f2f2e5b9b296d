package io.daxfs.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `daxfs bench nio`, run tiny: the table's shape and the medians, not the speeds. */
class BenchNioCommandTest {
    private static final String NUMBER = "\\d+(\\.\\d+)?[kMG]?";
    private static final String RATIO = "\\d+\\.\\d\\d";

    @TempDir
    Path dir;

    @Test
    void printsAMedianRowPerPhaseWithTheSpreadOfItsRoundsAndCleansUp() throws IOException {
        BenchRun run = BenchRun.of("bench", "nio", "--files", "64", "--walk", "300", "--dirs", "4", "--rounds", "3",
                "--warmup", "0", "--dir", dir.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("daxfs bench nio: 64 files of 4 KiB and a walk of 300 entries, in 4 directories; "
                + "both sides in " + dir + "; median of 3 rounds after a warm-up of 0 s"), run::toString);
        assertEquals(1, run.lines("phase +ops +nio ops/s +daxfs ops/s +daxfs/nio +round ratios").size(), run::toString);
        for (String phase : List.of("create 4K +64", "rewrite 4K +64", "read 4K +64", "walk +305")) {
            assertEquals(1, run.lines(phase + " +" + NUMBER + " +" + NUMBER + " +" + RATIO + " +" + RATIO + "-" + RATIO).size(),
                    phase + "\n" + run);
        }
        assertEquals(List.of(), BenchRun.leftIn(dir), "the image and the nio files are deleted");
    }

    @Test
    void zeroRoundsIsAUsageError() {
        BenchRun run = BenchRun.of("bench", "nio", "--rounds", "0", "--dir", dir.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("--rounds must be at least 1"), run::toString);
    }

    @Test
    void theMedianIsTheMiddleRoundOrTheMeanOfTheTwoAndTheSpreadPairsRoundsInOrder() {
        NioBench.Result r = NioBench.Result.of("p", 10, new long[]{300, 100, 200}, new long[]{100, 100, 400});
        assertEquals(200, r.nioNanos());
        assertEquals(100, r.daxNanos());
        assertEquals(0.5, r.minRatio()); // round 2: 200 / 400
        assertEquals(3.0, r.maxRatio()); // round 0: 300 / 100
        assertEquals(250, NioBench.Result.median(new long[]{400, 100, 200, 300}));
    }
}
