package io.daxfs.cli.bench;

import io.daxfs.cli.Sizes;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import static io.daxfs.cli.bench.BenchFormat.micros;
import static io.daxfs.cli.bench.BenchFormat.number;
import static io.daxfs.cli.bench.BenchFormat.plain;
import static io.daxfs.cli.bench.BenchFormat.ratio;
import static io.daxfs.cli.bench.BenchFormat.seconds;

/** `daxfs bench sync`: runs {@link SyncBench} and prints its results as a table, a row per measurement as it completes. */
@Command(name = "sync", sortOptions = false,
        description = "Measure the durability path: each thread writes 4 KiB to its own file and syncs, "
                + "on a daxfs file system in memory, on a daxfs image in DIR, and on files in DIR through "
                + "FileChannel (force), for each thread count. Workloads: append+fsync (appends to the "
                + "file, then fsync / force(true)) and overwrite+fdatasync (overwrites a random block of a "
                + "written file, then fdatasync / force(false)).",
        footer = {"",
                "An op is one write and its sync; its latency percentiles come from every op of",
                "every thread. An appending thread that reaches --file-size truncates its file",
                "and starts over (not counted in the op, counted in the run's time). The daxfs",
                "path is deep: without the --jit-warmup ops its first thousands of ops run cold",
                "and slow. With the default DIR (tmpfs) the FileChannel sync reaches no disk",
                "either."})
final class BenchSyncCommand implements Callable<Integer> {
    private static final String ROW = "%-12s  %-20s %7s %10s %10s %9s %9s %8s %8s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--threads", paramLabel = "N", split = ",", defaultValue = "1,2,4,8",
            description = "Thread counts to measure, each in turn (default: ${DEFAULT-VALUE}).")
    int[] threads;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "Measured time per workload, thread count and side (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "0.5",
            description = "Unmeasured time before each measurement (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--jit-warmup", paramLabel = "OPS", defaultValue = "30000",
            description = "Ops one thread runs untimed before the first measurement of each device and workload, "
                    + "so the JIT has compiled the whole path (at most 10 s; 0: none; default: ${DEFAULT-VALUE}).")
    long jitWarmup;

    @Option(names = "--file-size", paramLabel = "SIZE", defaultValue = "64M",
            description = "Each thread's file: the overwritten range, and where appends start over "
                    + "(a power of two, at least 64K; default: ${DEFAULT-VALUE}).")
    String fileSize;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the daxfs image and the FileChannel files go; they are deleted afterwards "
                    + "(default: ${DEFAULT-VALUE}).")
    Path dir;

    @Override
    public Integer call() throws IOException {
        SyncBench.Options options;
        try {
            options = new SyncBench.Options(Sizes.parse(fileSize), jitWarmup, seconds(warmup), seconds(seconds),
                    Arrays.stream(threads).boxed().toList(), dir);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isDirectory(dir)) {
            // Checked before the table header is printed, so the failure is all the output.
            throw DaxException.of(Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, dir.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        int fewest = options.threads().getFirst();
        out.printf("daxfs bench sync: 4 KiB ops, %s files, threads %s, %s s per measurement after %s s warm-up "
                        + "(and %d untimed ops first per device and workload); image and FileChannel files in %s%n%n",
                Sizes.format(options.fileSize()),
                options.threads().stream().map(String::valueOf).collect(Collectors.joining(",")),
                plain(seconds), plain(warmup), options.jitWarmupOps(), dir);
        out.printf(ROW, "device", "workload", "threads", "ops/s", "commits/s", "p50 us", "p99 us", "speed-up", "vs FC");
        out.flush();
        boolean[] commitsUnknown = {false};
        SyncBench.run(options, r -> {
            commitsUnknown[0] |= r.target().isDaxfs() && Double.isNaN(r.commitsPerSecond());
            out.printf(ROW, r.target().label(), r.workload().label(), r.threads(), number(r.opsPerSecond()),
                    r.target().isDaxfs() ? number(r.commitsPerSecond()) : "-",
                    micros(r.p50Nanos()), micros(r.p99Nanos()), ratio(r.speedup()), ratio(r.vsFileChannel()));
            out.flush();
        });
        out.printf("%nspeed-up = ops/s over the same device's and workload's ops/s with %d thread%s;%n"
                        + "vs FC = daxfs ops/s / FileChannel ops/s (same workload and threads): above 1 daxfs is faster.%n",
                fewest, fewest == 1 ? "" : "s");
        if (commitsUnknown[0]) {
            out.printf("commits/s: n/a, the API does not count journal commits yet.%n");
        }
        out.printf("One run on a shared, noisy machine: differences under ~20%% may be noise.%n");
        return 0;
    }
}
