package io.daxfs.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** One run of the CLI against in-memory streams: what a user would have seen, and the exit code. */
record CliRun(int exitCode, byte[] stdoutBytes, String stderr) {

    static CliRun of(String... args) {
        return run(false, args);
    }

    /** As {@link #of}, with DAXFS_DEBUG=1 in effect. */
    static CliRun debug(String... args) {
        return run(true, args);
    }

    private static CliRun run(boolean debug, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(out, err, false, debug), args);
        return new CliRun(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + stdout() + "--- stderr\n" + stderr;
    }
}
