package io.daxfs.cli.mount;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A finished external command: exit code and its stdout+stderr. */
public record Proc(int exit, String output) {

    /** Runs {@code cmd} (stdout and stderr merged), killing it after {@code timeoutSeconds}. */
    public static Proc run(int timeoutSeconds, String... cmd) {
        return run(null, timeoutSeconds, cmd);
    }

    public static Proc run(Path cwd, int timeoutSeconds, String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true);
            if (cwd != null) {
                pb.directory(cwd.toFile());
            }
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Proc(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd));
            }
            return new Proc(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Proc assertOk() {
        assertEquals(0, exit, output);
        return this;
    }
}
