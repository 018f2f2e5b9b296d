package io.daxfs.cli.bench;

import io.daxfs.cli.Cli;
import io.daxfs.cli.CliEnv;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** One run of a `daxfs bench` command against in-memory streams, for the command tests. */
record BenchRun(int exitCode, String out, String err) {
    static BenchRun of(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(out, err, false, false), args);
        return new BenchRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The lines of stdout that match {@code regex} whole. */
    List<String> lines(String regex) {
        return out.lines().filter(l -> l.matches(regex)).toList();
    }

    /** What is left in {@code dir}: nothing, after a bench command that cleaned up. */
    static List<Path> leftIn(Path dir) throws IOException {
        try (Stream<Path> left = Files.list(dir)) {
            return left.toList();
        }
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
