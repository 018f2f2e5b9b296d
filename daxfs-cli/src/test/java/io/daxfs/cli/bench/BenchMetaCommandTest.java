package io.daxfs.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `daxfs bench meta`, run tiny: the tables' shape, not the speeds. */
class BenchMetaCommandTest {
    private static final String NUMBER = "\\d+(\\.\\d+)?[kMG]?";
    private static final String RATIO = "\\d+\\.\\d\\d";
    private static final String SECONDS = "\\d+\\.\\d\\d";
    private static final String SIZE = "\\d+(\\.\\d)? (B|[KMGT]iB)";

    @TempDir
    Path dir;

    @Test
    void printsARowPerPhaseAndThreadCountAndCleansUp() throws IOException {
        BenchRun run = BenchRun.of("bench", "meta", "--files", "2000", "--dirs", "20", "--threads", "2,1",
                "--dir", dir.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("daxfs bench meta: 2000 empty files in 20 directories, threads 1,2;"), run::toString);
        assertEquals(1, run.lines("phase +threads +nio ops/s +daxfs ops/s +daxfs/nio").size(), run::toString);
        for (MetaBench.Phase phase : MetaBench.Phase.values()) {
            for (int threads : new int[] {1, 2}) {
                assertEquals(1, run.lines(phase.label() + " +" + threads + " +" + NUMBER + " +" + NUMBER + " +" + RATIO).size(),
                        phase + " " + threads + "\n" + run);
            }
        }
        // Thread counts in ascending order, phases in order within each.
        List<String> rows = run.lines("(create|stat|readdir|unlink) +\\d+ .*");
        assertEquals(8, rows.size(), run::toString);
        assertTrue(rows.get(0).matches("create +1 .*") && rows.get(3).matches("unlink +1 .*")
                && rows.get(4).matches("create +2 .*"), run::toString);
        assertEquals("", run.err(), "no progress lines for a run this short");
        assertEquals(List.of(), BenchRun.leftIn(dir), "the image and the nio files are deleted");
    }

    @Test
    void memoryModeReportsStepsHeapAndTheFirstLookup() throws IOException {
        BenchRun run = BenchRun.of("bench", "meta", "--memory", "--files", "3000", "--dirs", "30", "--big-dir", "2000",
                "--dir", dir.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("daxfs bench meta --memory: 3000 empty files in 30 directories, and 2000 in /big;"),
                run::toString);
        assertEquals(1, run.lines("step +ops +seconds +ops/s").size(), run::toString);
        assertEquals(1, run.lines("create files +3000 +" + SECONDS + " +" + NUMBER).size(), run::toString);
        assertEquals(1, run.lines("create /big +2000 +" + SECONDS + " +" + NUMBER).size(), run::toString);
        assertEquals(1, run.lines("unmount +1 +" + SECONDS + " +-").size(), run::toString);
        assertEquals(1, run.lines("mount +1 +" + SECONDS + " +-").size(), run::toString);
        assertEquals(1, run.lines("walk \\(readdir\\+stat\\) +3000 +" + SECONDS + " +" + NUMBER).size(), run::toString);
        // 123456 % 2000 = 1456
        assertEquals(1, run.lines("first lookup in /big after the remount: \\d+\\.\\d ms \\(stat /big/name-1456\\); "
                + "the next one: \\d+\\.\\d ms \\(stat /big/name-1457\\)").size(), run::toString);
        assertEquals(1, run.lines("heap used \\(after a GC\\): after mount " + SIZE + ", after the walk " + SIZE
                + ", after the /big lookups " + SIZE + "; max " + SIZE).size(), run::toString);
        assertEquals(1, run.lines("heap peak during the walk: " + SIZE + " .*").size(), run::toString);
        assertEquals(List.of(), BenchRun.leftIn(dir), "the image is deleted");
    }

    @Test
    void optionsOfTheOtherModeAreUsageErrors() {
        BenchRun run = BenchRun.of("bench", "meta", "--big-dir", "10", "--dir", dir.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("daxfs: EINVAL: ") && run.err().contains("--big-dir needs --memory"), run::toString);
        run = BenchRun.of("bench", "meta", "--memory", "--threads", "2", "--dir", dir.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("--threads"), run::toString);
        assertEquals("", run.out());
    }

    @Test
    void countsAreValidated() {
        BenchRun run = BenchRun.of("bench", "meta", "--dirs", "70000", "--dir", dir.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().contains("directories must be between 1 and 65000"), run::toString);
        run = BenchRun.of("bench", "meta", "--threads", "0", "--dir", dir.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("thread counts"), run::toString);
        assertThrows(IllegalArgumentException.class, () -> new MetaBench.Options(0, 1, List.of(1), dir));
        assertThrows(IllegalArgumentException.class, () -> new MetaBench.MemoryOptions(10, 1, 0, dir));
        assertEquals(List.of(1, 2), new MetaBench.Options(10, 1, List.of(2, 1, 2), dir).threads());
    }

    @Test
    void aMissingDirectoryIsOneLine() {
        BenchRun run = BenchRun.of("bench", "meta", "--files", "10", "--dirs", "1", "--dir", dir.resolve("nope").toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().startsWith("daxfs: ENOENT: "), run::toString);
    }
}
