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

/** Runs the real thing with tiny sizes: a daxfs mount and a bindfs mount (the machine has FUSE; scripts/setup-fuse). */
class BenchFuseCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsARowPerWorkloadAndLeavesNothingBehind() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(out, err, false, false),
                "bench", "fuse", "--size", "8M", "--seconds", "0.2", "--warmup", "0", "--dir", dir.toString());
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text + err);
        assertTrue(text.lines().anyMatch(l -> l.matches("workload\\s+daxfs MB/s\\s+bindfs MB/s\\s+ratio\\s+goal >= 1\\.0x")),
                text);
        for (Workload w : Workload.values()) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(w.label())
                    && l.matches(".*\\s\\d+\\.\\d\\s+\\d+\\.\\d\\s+\\d+\\.\\d\\d\\s+(pass|FAIL)$")), text);
        }
        assertTrue(text.contains("page cache dropped before reads: yes"), text);
        assertTrue(text.contains("workloads met"), text);
        assertNoMountsUnder(dir);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void withoutBindfsFailsInOneLineNamingTheSetupScript() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(out, err, false, false), "bench", "fuse", "--size", "8M", "--seconds", "0.2",
                "--dir", dir.toString(), "--bindfs", dir.resolve("no-such-bindfs").toString());
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, out.toString(StandardCharsets.UTF_8) + e);
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("daxfs: ENOENT: ") && e.contains("scripts/setup-fuse"), e);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void rejectsASizeThatIsNotWholeMebibytes() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(new ByteArrayOutputStream(), err, false, false),
                "bench", "fuse", "--size", "1000K", "--dir", dir.toString());
        assertEquals(2, code, err.toString(StandardCharsets.UTF_8));
    }

    private static void assertNoMountsUnder(Path dir) throws IOException {
        String prefix = dir.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            assertTrue(f.length < 5 || !f[4].startsWith(prefix), "still mounted: " + line);
        }
    }
}
