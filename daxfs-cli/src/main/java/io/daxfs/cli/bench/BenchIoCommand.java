package io.daxfs.cli.bench;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.cli.Sizes;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** `daxfs bench io`: runs {@link IoBench} and prints its results as a table, a row per workload as it completes. */
@Command(name = "io", sortOptions = false,
        description = "Compare file I/O through daxfs with java.nio FileChannel: 4 KiB random and 1 MiB "
                + "sequential reads and writes, on files of the same size, in one run.",
        footer = {"", "With the default DIR both files live in memory (/dev/shm is tmpfs), so this",
                "measures the software path, not a disk. Neither path forces writes to the",
                "medium per operation."})
final class BenchIoCommand implements Callable<Integer> {
    private static final String ROW = "%-24s %12s %18s %8s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "256M",
            description = "Size of each test file (a multiple of 1M; default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "Measured time per workload and path (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "1",
            description = "Unmeasured time before each measurement (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Threads issuing I/O (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the test files go; they are deleted afterwards (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--memory", description = "Put the daxfs image in process memory instead of an image file in DIR.")
    boolean memory;

    @Override
    public Integer call() throws IOException {
        IoBench.Options options;
        try {
            options = new IoBench.Options(Sizes.parse(size), seconds(warmup), seconds(seconds), threads, dir, memory);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isDirectory(dir)) {
            // Checked before the table header is printed, so the failure is all the output.
            throw DaxException.of(Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, dir.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("daxfs bench io: %s files, %d thread%s, %s s per measurement after %s s warm-up; daxfs image %s%n%n",
                Sizes.format(options.fileSize()), threads, threads == 1 ? "" : "s", plain(seconds), plain(warmup),
                memory ? "in process memory" : "file in " + dir);
        out.printf(ROW, "workload", "daxfs MB/s", "FileChannel MB/s", "ratio");
        out.flush();
        IoBench.run(options, r -> {
            out.printf(ROW, r.workload().label(), fixed(r.daxfsMBps(), 1), fixed(r.fileChannelMBps(), 1), fixed(r.ratio(), 2));
            out.flush();
        });
        out.printf("%nratio = daxfs / FileChannel; writes are not forced to the medium on either path.%n"
                + "One run on a shared, noisy machine: differences under ~20%% may be noise.%n");
        return 0;
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }

    private static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String plain(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
