package io.daxfs.cli.bench;

import io.daxfs.cli.Cli;
import io.daxfs.cli.CliEnv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchIoCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsARowPerWorkload() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(out, err, false, false),
                "bench", "io", "--size", "4M", "--seconds", "0.05", "--warmup", "0", "--dir", dir.toString());
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text + err);
        assertTrue(text.contains("daxfs MB/s"), text);
        for (Workload w : Workload.values()) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(w.label()) && l.matches(".*\\d+\\.\\d\\d$")), text);
        }
        assertTrue(text.contains("noisy"), text);
    }
}
