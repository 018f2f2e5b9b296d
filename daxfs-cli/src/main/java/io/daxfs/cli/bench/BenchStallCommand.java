package io.daxfs.cli.bench;

import io.daxfs.cli.Sizes;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import static io.daxfs.cli.bench.BenchFormat.micros;
import static io.daxfs.cli.bench.BenchFormat.millis;
import static io.daxfs.cli.bench.BenchFormat.plain;
import static io.daxfs.cli.bench.BenchFormat.seconds;

/** `daxfs bench stall`: runs {@link StallBench} and prints the small-file loop's latency per phase. */
@Command(name = "stall", sortOptions = false,
        description = "Measure how much one huge fallocate stalls other work: while one thread fallocates "
                + "a large range on a sparse image, a second thread loops create, write 4 KiB, close and "
                + "unlink of a small file in another directory and times each iteration.",
        footer = {"",
                "The loop runs alone for the warm-up time unmeasured, then as long again",
                "measured (the 'alone' row), then during the fallocate, then as long again",
                "after it. The image is sparse and fallocate writes no data block, so DIR needs",
                "room only for the image's bitmaps and journal (checked first). Goal: no",
                "iteration during or after the fallocate over 50 ms."})
final class BenchStallCommand implements Callable<Integer> {
    private static final String ROW = "%-18s %10s %10s %10s %10s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "64G",
            description = "Size of the sparse image (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--fallocate", paramLabel = "SIZE", defaultValue = "32G",
            description = "Bytes fallocated in one call (at most 3/4 of --size; default: ${DEFAULT-VALUE}).")
    String fallocate;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "1",
            description = "Time the loop runs alone unmeasured, and then each of 'alone' and 'after' "
                    + "(default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the image goes; it is deleted afterwards (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Override
    public Integer call() throws IOException {
        StallBench.Options options;
        try {
            options = new StallBench.Options(Sizes.parse(size), Sizes.parse(fallocate), seconds(warmup), dir);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isDirectory(dir)) {
            throw DaxException.of(Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, dir.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        // The whole run happens before the first row can be printed; the header says what is going on meanwhile.
        out.printf("daxfs bench stall: fallocate of %s on a sparse %s image in %s; create+write 4 KiB+unlink loop, "
                        + "%s s alone after %s s warm-up%n%n",
                Sizes.format(options.fallocateSize()), Sizes.format(options.imageSize()), dir, plain(warmup), plain(warmup));
        out.flush();
        StallBench.Result r = StallBench.run(options);
        out.printf(ROW, "loop phase", "iterations", "p50 us", "p99 us", "max us");
        for (StallBench.PhaseResult p : new StallBench.PhaseResult[] {r.alone(), r.during(), r.after()}) {
            out.printf(ROW, p.phase().label(), p.iterations(), micros(p.p50Nanos()), micros(p.p99Nanos()),
                    micros(p.maxNanos()));
        }
        out.printf("%nfallocate of %s: %s ms%n", Sizes.format(options.fallocateSize()), millis(r.fallocateNanos()));
        out.printf("goal: no iteration during or after the fallocate over %s ms: %s (slowest %s ms)%n",
                millis(StallBench.GOAL_NANOS), r.passed() ? "pass" : "FAIL", millis(Math.max(0, r.worstNanos())));
        out.printf("One run on a shared, noisy machine: a single slow iteration may be the machine's.%n");
        return 0;
    }
}
