package io.daxfs.cli.bench;

import io.daxfs.cli.Cli;
import io.daxfs.cli.CliEnv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `daxfs bench map`, run tiny: the table's shape, not the speeds. */
class BenchMapCommandTest {
    /** metric label, daxfs, kernel, unit, ratio, goal, result. */
    private static final String NUMBER = "\\d+(\\.\\d+)?[kMG]?";
    private static final String ROW = " +" + NUMBER + " +" + NUMBER + " +(ms|faults/s|reads/s) +\\d+\\.\\d\\d +"
            + "(-|>= \\d\\.\\d\\dx|<= \\d+ ms) +(-|pass|FAIL)";

    @TempDir
    Path dir;

    /** In tmpfs when there is one, as by default: on a disk file system the mapped files make this slow. */
    private Path benchDir() throws IOException {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "daxfs-test-") : dir;
    }

    @Test
    void printsARowPerMetricWithRatioGoalAndVerdict() throws IOException {
        Path dir = benchDir();
        try {
            runTiny(dir);
        } finally {
            if (!dir.equals(this.dir)) {
                Files.deleteIfExists(dir);
            }
        }
    }

    private static void runTiny(Path dir) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(out, err, false, false),
                "bench", "map", "--size", "16M", "--seconds", "0.2", "--warmup", "0", "--dir", dir.toString());
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text + err);
        assertTrue(text.lines().anyMatch(l -> l.matches("metric +daxfs +kernel +unit +ratio +goal +result")), text);
        for (MapBench.Metric m : MapBench.Metric.values()) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(m.label()) && l.substring(m.label().length()).matches(ROW)),
                    m + " row in\n" + text);
            boolean hasGoal = !m.goal().isNone();
            assertTrue(text.lines().anyMatch(l -> l.startsWith(m.label()) && (l.endsWith("pass") || l.endsWith("FAIL")) == hasGoal),
                    m + " verdict in\n" + text);
        }
        assertTrue(text.contains("daxfs faults:"), text);
        assertTrue(text.contains("noisy"), text);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "the image and the kernel's files are deleted");
        }
    }

    @Test
    void rejectsASizeThatIsNotAMultipleOf2M() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(out, err, false, false), "bench", "map", "--size", "3M", "--dir", dir.toString());
        assertEquals(2, code, out.toString(StandardCharsets.UTF_8) + err);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("multiple of 2 MiB"), err.toString(StandardCharsets.UTF_8));
    }
}
