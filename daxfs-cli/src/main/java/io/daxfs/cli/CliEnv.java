package io.daxfs.cli;

import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the commands may use of the process they run in: the raw standard output (cat writes
 * bytes, not text), the standard error, whether a person watches a terminal (progress bars)
 * and whether stack traces were asked for. Tests build one over in-memory streams.
 *
 * @param stdout      standard output, unbuffered bytes
 * @param stderr      standard error
 * @param interactive true when progress may be drawn on the terminal
 * @param debug       true when DAXFS_DEBUG=1 asks for stack traces
 */
public record CliEnv(OutputStream stdout, OutputStream stderr, boolean interactive, boolean debug) {

    /** The real process: file descriptors 1 and 2, the console, the environment. */
    public static CliEnv system() {
        Console console = System.console();
        return new CliEnv(
                // Not System.out: a PrintStream hides write errors, so `cat | head` would read on
                // after the pipe closed.
                new FileOutputStream(FileDescriptor.out),
                System.err,
                console != null && console.isTerminal() && stderrMayBeTerminal(),
                "1".equals(System.getenv("DAXFS_DEBUG")));
    }

    /**
     * Console.isTerminal() looks at stdin and stdout only, but progress bars go to stderr, which
     * may be redirected to a file. Linux names fd 2's target in /proc; elsewhere, trust the console.
     */
    private static boolean stderrMayBeTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return true;
        }
    }
}
