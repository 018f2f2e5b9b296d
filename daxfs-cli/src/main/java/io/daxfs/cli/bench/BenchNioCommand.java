package io.daxfs.cli.bench;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import static io.daxfs.cli.bench.BenchFormat.number;
import static io.daxfs.cli.bench.BenchFormat.ratio;

/** `daxfs bench nio`: {@link NioBench}, a row per phase. */
@Command(name = "nio", sortOptions = false,
        description = "Measure java.nio.file on daxfs (the daxfs provider, an image in DIR) against the default "
                + "provider (files in DIR): Files.write of 4 KiB files (new ones, then over existing ones), "
                + "Files.readAllBytes of them, and Files.walk over a tree of empty files; the same loops on both "
                + "sides, warmed up, then timed in rounds that alternate which side goes first (the median round "
                + "of each side is reported).")
final class BenchNioCommand implements Callable<Integer> {
    private static final String ROW = "%-10s %9s %12s %12s %10s %13s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--files", paramLabel = "N", defaultValue = "32768",
            description = "4 KiB files to write and read, a power of two (default: ${DEFAULT-VALUE}).")
    int files;

    @Option(names = "--walk", paramLabel = "N", defaultValue = "100000",
            description = "Empty files in the walked tree (default: ${DEFAULT-VALUE}).")
    int walk;

    @Option(names = "--dirs", paramLabel = "D", defaultValue = "100",
            description = "Directories the files are spread over (default: ${DEFAULT-VALUE}).")
    int dirs;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the daxfs image and the default provider's files go; deleted afterwards "
                    + "(default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--prefault", description = "Mount the image with prefault=true: every page of it mapped "
            + "at mount, so that writes to fresh blocks take no page fault of the host.")
    boolean prefault;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "5",
            description = "Timed rounds of each phase per side, after " + NioBench.WARMUP_ROUNDS
                    + " untimed ones; a side's figure is its median round (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "5",
            description = "Least time each phase warms up, untimed, before its timed rounds; at least "
                    + NioBench.WARMUP_ROUNDS + " rounds in any case (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Override
    public Integer call() throws IOException {
        NioBench.Options o;
        try {
            o = new NioBench.Options(files, walk, dirs, dir, prefault, rounds,
                    Duration.ofNanos((long) (warmupSeconds * 1e9)));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isDirectory(dir)) {
            throw DaxException.of(Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, dir.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        String warmup = BigDecimal.valueOf(warmupSeconds).stripTrailingZeros().toPlainString();
        out.printf("daxfs bench nio: %d files of 4 KiB and a walk of %d entries, in %d directories; both sides in %s%s; "
                        + "median of %d rounds after a warm-up of %s s%n%n",
                files, walk, dirs, dir, prefault ? "; the image prefaulted" : "", rounds, warmup);
        out.printf(ROW, "phase", "ops", "nio ops/s", "daxfs ops/s", "daxfs/nio", "round ratios");
        out.flush();
        NioBench.run(o, r -> {
            out.printf(ROW, r.phase(), r.ops(), number(r.nioPerSecond()), number(r.daxPerSecond()), ratio(r.ratio()),
                    ratio(r.minRatio()) + "-" + ratio(r.maxRatio()));
            out.flush();
        });
        out.printf("%ndaxfs/nio above 1: daxfs is faster (ratio of the medians; round ratios: the lowest and highest of "
                + "one round's pair). A shared, noisy machine: differences under ~20%% may be noise.%n");
        return 0;
    }
}
