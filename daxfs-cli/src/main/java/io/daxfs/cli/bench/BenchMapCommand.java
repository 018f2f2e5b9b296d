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

/** `daxfs bench map`: runs {@link MapBench} and prints its results as a table, a row per metric as it completes. */
@Command(name = "map", sortOptions = false,
        description = "Compare mapped access to a daxfs file (DaxMapping) with a tmpfs file mapped by the kernel "
                + "(FileChannel.map into a MemorySegment): first touch, 4 KiB write-fault rate, 8-byte reads "
                + "through windows and through getLong, and truncate of a mapped file, in one run.",
        footer = {"", "The daxfs image is a file in DIR too (unless --memory), prefaulted whole",
                "first, so both sides use the same memory and a daxfs fault does not also pay",
                "for the host's fault. Each daxfs read loop has a kernel twin of the same",
                "shape: getLong against a segment load, a window per page against a slice of",
                "the raw segment per 2 MiB page. daxfs-bench (JMH, forked, with 1 and 2",
                "readers) measures the same reads carefully."})
final class BenchMapCommand implements Callable<Integer> {
    private static final String ROW = "%-30s %12s %12s %-9s %7s %10s %6s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1G",
            description = "Size of the files touched, read and truncated (a multiple of 2M; random reads cover "
                    + "the largest power of two within it; default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "2",
            description = "Measured time per read and fault-rate measurement and side (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "1",
            description = "Unmeasured time before each measurement and side (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the kernel's files and the daxfs image go; they are deleted afterwards "
                    + "(default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--memory", description = "Put the daxfs image in process memory instead of an image file in DIR.")
    boolean memory;

    @Override
    public Integer call() throws IOException {
        MapBench.Options options;
        try {
            options = new MapBench.Options(Sizes.parse(size), seconds(warmup), seconds(seconds), dir, memory);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isDirectory(dir)) {
            // Checked before the table header is printed, so the failure is all the output.
            throw DaxException.of(Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, dir.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("daxfs bench map: %s files, %s s per rate measurement after %s s warm-up each, median of 3 one-shot runs; "
                        + "daxfs image %s%n%n",
                Sizes.format(options.fileSize()), plain(seconds), plain(warmup), memory ? "in process memory" : "file in " + dir);
        out.printf(ROW, "metric", "daxfs", "kernel", "unit", "ratio", "goal", "result");
        out.flush();
        MapBench.run(options, r -> {
            out.printf(ROW, r.metric().label(), number(r.daxfs()), number(r.kernel()), r.metric().unit().label(),
                    String.format(Locale.ROOT, "%.2f", r.ratio()), r.metric().goal().label(),
                    r.metric().goal().isNone() ? "-" : r.passed() ? "pass" : "FAIL");
            out.flush();
        }, s -> out.printf("%ndaxfs faults: %d of 4 KiB, %d of 2 MiB, %d fallbacks %s, %d revocations%n",
                s.faults4k(), s.faults2m(), s.fallbacksTotal(), s.fallbacks(), s.revocations()));
        out.printf("kernel = a file in %s mapped by FileChannel.map (reads: its raw MemorySegment); ratio = daxfs speed / kernel%n"
                + "speed (kernel ms / daxfs ms, or daxfs rate / kernel rate): above 1 daxfs is faster.%n"
                + "One run on a shared, noisy machine: differences under ~20%% may be noise.%n", dir);
        return 0;
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }

    /** Three significant digits or more, with k/M/G for rates. */
    static String number(double v) {
        if (v >= 1e9) {
            return String.format(Locale.ROOT, "%.2fG", v / 1e9);
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        }
        if (v >= 1e4) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.1f" : "%.2f", v);
    }

    private static String plain(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
