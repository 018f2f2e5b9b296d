package io.daxfs.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `daxfs bench sync`, run tiny: the table's shape, not the speeds. */
class BenchSyncCommandTest {
    private static final String NUMBER = "\\d+(\\.\\d+)?[kMG]?";
    private static final String MICROS = "\\d+\\.\\d";
    private static final String RATIO = "\\d+\\.\\d\\d";

    @TempDir
    Path dir;

    @Test
    void printsARowPerDeviceWorkloadAndThreadCountAndCleansUp() throws IOException {
        BenchRun run = BenchRun.of("bench", "sync", "--threads", "2,1", "--seconds", "0.05", "--warmup", "0", "--jit-warmup", "200",
                "--file-size", "64K", "--dir", dir.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(1, run.lines("device +workload +threads +ops/s +commits/s +p50 us +p99 us +speed-up +vs FC").size(),
                run::toString);
        for (SyncBench.Workload w : SyncBench.Workload.values()) {
            for (int threads : new int[] {1, 2}) {
                String prefix = " +" + w.label().replace("+", "\\+") + " +" + threads + " +" + NUMBER;
                String times = " +" + MICROS + " +" + MICROS + " +" + RATIO;
                assertEquals(1, run.lines("FileChannel" + prefix + " +-" + times + " +-").size(), w + " " + threads + "\n" + run);
                for (String device : new String[] {"daxfs memory", "daxfs image"}) {
                    assertEquals(1, run.lines(device + prefix + " +" + NUMBER + times + " +" + RATIO).size(),
                            device + " " + w + " " + threads + "\n" + run);
                }
            }
        }
        // Thread counts are measured in ascending order, and speed-ups are against the fewest.
        assertTrue(run.lines(".* 1 +" + NUMBER + " +(-|" + NUMBER + ") +" + MICROS + " +" + MICROS + " +1\\.00 .*").size() == 6, run::toString);
        assertTrue(run.out().contains("noisy"), run::toString);
        assertEquals(List.of(), BenchRun.leftIn(dir), "the image and the FileChannel files are deleted");
    }

    @Test
    void rejectsAFileSizeThatIsNotAPowerOfTwo() throws IOException {
        BenchRun run = BenchRun.of("bench", "sync", "--file-size", "96K", "--dir", dir.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().startsWith("daxfs: EINVAL: ") && run.err().contains("power of two"), run::toString);
        assertEquals("", run.out());
        assertEquals(List.of(), BenchRun.leftIn(dir));
    }

    @Test
    void rejectsAThreadCountBelowOne() {
        BenchRun run = BenchRun.of("bench", "sync", "--threads", "1,0", "--dir", dir.toString());
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("thread counts"), run::toString);
    }

    @Test
    void aMissingDirectoryIsOneLine() {
        BenchRun run = BenchRun.of("bench", "sync", "--dir", dir.resolve("nope").toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().startsWith("daxfs: ENOENT: "), run::toString);
    }

    @Test
    void optionsAreValidatedAndSorted() {
        Duration s = Duration.ofMillis(10);
        assertEquals(List.of(1, 2, 4), new SyncBench.Options(1 << 16, 0, s, s, List.of(4, 1, 2, 4), dir).threads());
        assertThrows(IllegalArgumentException.class, () -> new SyncBench.Options(1 << 15, 0, s, s, List.of(1), dir));
        assertThrows(IllegalArgumentException.class, () -> new SyncBench.Options(1 << 16, 0, s, Duration.ZERO, List.of(1), dir));
        assertThrows(IllegalArgumentException.class, () -> new SyncBench.Options(1 << 16, 0, s, s, List.of(), dir));
        assertThrows(IllegalArgumentException.class, () -> new SyncBench.Options(1 << 16, -1, s, s, List.of(1), dir));
    }

    @Test
    void commitCountCountsTheCommitsAnFsyncRuns() throws IOException {
        try (var fs = io.daxfs.api.DaxFileSystem.formatMemory(16L << 20)) {
            long before = SyncBench.commitCount(fs);
            try (var f = fs.open("/f", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                f.fsync();
            }
            assertTrue(SyncBench.commitCount(fs) > before, "an fsync after a create commits");
        }
    }
}
