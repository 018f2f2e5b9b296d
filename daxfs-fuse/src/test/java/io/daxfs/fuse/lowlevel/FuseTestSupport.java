package io.daxfs.fuse.lowlevel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Test support: FUSE set up on this machine by the project's own script, once per JVM. */
public final class FuseTestSupport {
    private static boolean done;

    private FuseTestSupport() {
    }

    /** Runs scripts/setup-fuse; fails the test with its message when FUSE cannot be had here. */
    public static synchronized void setUpFuse() throws IOException, InterruptedException {
        if (done) {
            return;
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/setup-fuse"))) {
            p = p.getParent();
        }
        if (p == null) {
            fail("no scripts/setup-fuse above " + Path.of("").toAbsolutePath());
        }
        Process proc = new ProcessBuilder(p.resolve("scripts/setup-fuse").toString()).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!proc.waitFor(600, TimeUnit.SECONDS) || proc.exitValue() != 0) {
            fail("FUSE is not usable here: " + out.trim());
        }
        done = true;
    }
}
