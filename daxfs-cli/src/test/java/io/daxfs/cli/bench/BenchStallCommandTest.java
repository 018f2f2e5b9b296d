package io.daxfs.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `daxfs bench stall`, run tiny: the table's shape, not the latencies. */
class BenchStallCommandTest {
    private static final String MICROS = "(\\d+\\.\\d|-)";

    @TempDir
    Path dir;

    @Test
    void printsARowPerPhaseTheFallocateAndTheGoal() throws IOException {
        BenchRun run = BenchRun.of("bench", "stall", "--size", "64M", "--fallocate", "32M", "--warmup", "0.05",
                "--dir", dir.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(1, run.lines("loop phase +iterations +p50 us +p99 us +max us").size(), run::toString);
        for (StallBench.Phase p : StallBench.Phase.values()) {
            assertEquals(1, run.lines(p.label() + " +\\d+ +" + MICROS + " +" + MICROS + " +" + MICROS).size(), p + "\n" + run);
        }
        assertEquals(1, run.lines("fallocate of 32 MiB: \\d+\\.\\d ms").size(), run::toString);
        assertEquals(1, run.lines("goal: no iteration during or after the fallocate over 50\\.0 ms: (pass|FAIL) \\(slowest \\d+\\.\\d ms\\)")
                .size(), run::toString);
        assertEquals(List.of(), BenchRun.leftIn(dir), "the image is deleted");
    }

    @Test
    void aDirectoryWithoutRoomForTheBitmapsIsOneLine() throws IOException {
        // About 4 EiB: its bitmaps alone would need hundreds of TiB.
        BenchRun run = BenchRun.of("bench", "stall", "--size", "4000000T", "--dir", dir.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().startsWith("daxfs: ENOSPC: " + dir) && run.err().contains("bitmaps"), run::toString);
        assertEquals(List.of(), BenchRun.leftIn(dir), "no image is made");
    }

    @Test
    void rejectsAFallocateLargerThanThreeQuartersOfTheImage() {
        BenchRun run = BenchRun.of("bench", "stall", "--size", "64M", "--fallocate", "60M", "--dir", dir.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().startsWith("daxfs: EINVAL: ") && run.err().contains("3/4"), run::toString);
    }
}
