package io.daxfs.cli;

import picocli.CommandLine;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Wires the command tree to an environment and runs one command line, returning its exit code. */
public final class Cli {
    private Cli() {
    }

    /** The configured command line; its out and err write to {@code env}'s streams. */
    public static CommandLine commandLine(CliEnv env) {
        ErrorReporter errors = new ErrorReporter(env.debug());
        return new CommandLine(DaxfsCommand.class, new CliFactory(env))
                .setOut(new PrintWriter(new OutputStreamWriter(env.stdout(), StandardCharsets.UTF_8), true))
                .setErr(new PrintWriter(new OutputStreamWriter(env.stderr(), StandardCharsets.UTF_8), true))
                .setExecutionExceptionHandler(errors)
                .setParameterExceptionHandler(errors);
    }

    /** Runs {@code args}; never throws and never prints a stack trace unless debugging was asked for. */
    public static int run(CliEnv env, String... args) {
        CommandLine cl = commandLine(env);
        try {
            return cl.execute(args);
        } catch (Throwable t) {
            // picocli hands only Exceptions to the handler; an Error (OutOfMemoryError, a
            // StackOverflowError from a bug) still deserves the one-line treatment.
            ErrorReporter.report(cl.getErr(), t, env.debug());
            return ErrorReporter.EXIT_ERROR;
        } finally {
            cl.getOut().flush();
            cl.getErr().flush();
        }
    }
}
