package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Turns every failure into exactly one line on stderr, {@code daxfs: ERRNO: what}, and an exit
 * code: 1 for errors, 2 for usage errors. People and scripts read that line; a stack trace only
 * helps a developer, so it is printed only with --debug or DAXFS_DEBUG=1.
 */
final class ErrorReporter implements IExecutionExceptionHandler, IParameterExceptionHandler {
    static final int EXIT_ERROR = 1;
    static final int EXIT_USAGE = 2;

    private final boolean debugFromEnv;

    ErrorReporter(boolean debugFromEnv) {
        this.debugFromEnv = debugFromEnv;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult fullParseResult) {
        report(commandLine.getErr(), ex, debugFromEnv || debugRequested(fullParseResult));
        return EXIT_ERROR;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        String message = ex.getMessage();
        if (ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            message += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
        }
        PrintWriter err = cl.getErr();
        err.println("daxfs: " + Errno.EINVAL.name() + ": " + oneLine(message)
                + " (see '" + cl.getCommandSpec().qualifiedName() + " --help')");
        // The parse failed, so the parse result may not know about --debug; the raw words do.
        if (debugFromEnv || Arrays.asList(args).contains(DaxfsCommand.DEBUG_OPTION)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_USAGE;
    }

    /** Prints the one line for {@code failure} (and its stack trace when {@code debug}). */
    static void report(PrintWriter err, Throwable failure, boolean debug) {
        err.println("daxfs: " + describe(failure));
        if (debug) {
            failure.printStackTrace(err);
        }
        err.flush();
    }

    /** "ERRNO: what", on one line. */
    static String describe(Throwable failure) {
        Throwable t = failure instanceof UncheckedIOException u ? u.getCause() : failure;
        String text;
        if (t instanceof IOException io) {
            text = HostErrors.toDax(io).getMessage();
        } else if (t instanceof OutOfMemoryError) {
            text = DaxException.of(Errno.ENOMEM, "java heap").getMessage();
        } else {
            // A bug rather than a condition the user can act on; the type stands in for a missing message.
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            text = Errno.EIO.name() + ": " + message;
        }
        return oneLine(text);
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static boolean debugRequested(ParseResult parseResult) {
        for (ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption(DaxfsCommand.DEBUG_OPTION)) {
                return true;
            }
        }
        return false;
    }
}
