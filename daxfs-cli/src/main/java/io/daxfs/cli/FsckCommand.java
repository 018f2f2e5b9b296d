package io.daxfs.cli;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxException;
import io.daxfs.types.FsckReport;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * `daxfs fsck`: checks an unmounted image and prints each problem on its own line. The exit code
 * is for scripts: 0 only when the image was clean.
 */
@Command(name = "fsck", description = "Check an image for consistency (and with --repair, fix what it can).",
        footer = {"", "Exit status: 0 the image is clean; 1 problems were found (even when --repair fixed them)"
                + " or the check could not run; 2 usage error."})
final class FsckCommand implements Callable<Integer> {
    private final CliEnv env;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "IMAGE", description = "Image file or device; it must not be mounted.")
    Path image;

    @Option(names = "--repair", description = "Fix the problems found (without it, nothing is written).")
    boolean repair;

    FsckCommand(CliEnv env) {
        this.env = env;
    }

    @Override
    public Integer call() throws DaxException {
        FsckReport report;
        try (TerminalProgress progress = TerminalProgress.items(env, "fsck")) {
            report = DaxFileSystem.fsck(image, repair, progress);
        }
        PrintWriter out = spec.commandLine().getOut();
        report.problems().forEach(out::println);
        report.repairs().forEach(r -> out.println("repaired: " + r));
        String counts = report.inodesChecked() + " inodes, " + report.directoriesChecked() + " directories, "
                + report.blocksInUse() + " blocks in use" + (report.journalReplayed() ? ", journal replayed" : "");
        if (report.clean()) {
            out.println(image + ": clean (" + counts + ")");
            return 0;
        }
        int n = report.problems().size();
        out.println(image + ": " + n + (n == 1 ? " problem" : " problems")
                + (report.repairs().isEmpty() ? "" : ", " + report.repairs().size() + " repaired") + " (" + counts + ")");
        return ErrorReporter.EXIT_ERROR;
    }
}
