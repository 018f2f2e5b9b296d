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

import static io.daxfs.cli.bench.BenchFormat.number;
import static io.daxfs.cli.bench.BenchFormat.plain;
import static io.daxfs.cli.bench.BenchFormat.ratio;
import static io.daxfs.cli.bench.BenchFormat.seconds;

/** `daxfs bench alloc`: runs {@link AllocBench} and prints the layout it made, then a row per measurement. */
@Command(name = "alloc", sortOptions = false,
        description = "Measure block allocation on a fragmented device: fallocate of 2 MiB at 2 MiB-aligned "
                + "file offsets, and of 4 KiB, with one thread and with two on different files.",
        footer = {"",
                "Only 3/4 of the device is fragmented: pieces of 4-64 KiB are allocated over it",
                "(in files of up to 256 MiB) and every other piece is punched out, leaving that",
                "many 4-64 KiB free runs (the free space deleting that many small files would",
                "leave, at a fraction of the cost); the last quarter stays whole so that 2 MiB-",
                "aligned runs exist. Each measurement runs in bursts: each thread allocates",
                "into its own file at consecutive offsets, up to half the unfragmented space (2",
                "MiB) or 64Ki allocations (4 KiB) per burst, for at most a quarter of",
                "--seconds; between bursts, untimed, the files are truncated and a checkpoint",
                "is forced so the blocks are reusable (the file system gets just enough inode",
                "numbers, and creating a file when none is free checkpoints). One-thread and",
                "two-thread bursts take turns, --seconds of bursts each. The rate is",
                "allocations over the time spent in bursts. Goals: >= 100k 2 MiB allocations/s,",
                "and two threads >= 1.6x one.",
                "",
                "A file system in process memory is zero-filled when it is formatted, which on",
                "a busy machine takes a while for the default 8G; --dir /dev/shm (a sparse",
                "image, also in memory) sets up in seconds."})
final class BenchAllocCommand implements Callable<Integer> {
    private static final String ROW = "%-10s %7s %12s %8s %14s %11s %10s %6s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "8G",
            description = "Size of the file system (a multiple of 2M, at least 64M; default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "Time of measured bursts per allocation size and thread count (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "0.5",
            description = "Time of unmeasured bursts per allocation size first (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Put the file system in a sparse image file in DIR (deleted afterwards) "
                    + "instead of in process memory.")
    Path dir;

    @Override
    public Integer call() throws IOException {
        AllocBench.Options options;
        try {
            options = new AllocBench.Options(Sizes.parse(size), seconds(warmup), seconds(seconds), dir);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (dir != null && !Files.isDirectory(dir)) {
            throw DaxException.of(Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, dir.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("daxfs bench alloc: %s file system %s; %s s of bursts per measurement after %s s warm-up%n",
                Sizes.format(options.deviceSize()), dir == null ? "in process memory" : "in a sparse image in " + dir,
                plain(seconds), plain(warmup));
        out.flush();
        AllocBench.run(options, layout -> {
            out.printf("fragmented %d%% of it: %d pieces of 4-64 KiB allocated in %d files, every other one punched out: "
                            + "about %d free runs of 4-64 KiB (%s);%nunfragmented: %s, about %d 2 MiB-aligned runs; "
                            + "setup took %.1f s%n%n",
                    Math.round(AllocBench.FRAGMENTED * 100), layout.pieces(), layout.files(), layout.holes(),
                    Sizes.format(layout.holeBytes()),
                    Sizes.format(layout.unfragmentedBytes()), layout.hugeRuns(), layout.setupNanos() / 1e9);
            out.printf(ROW, "allocation", "threads", "allocations", "bursts", "allocations/s", "vs 1 thread", "goal", "result");
            out.flush();
        }, r -> {
            Boolean passed = r.passed();
            out.printf(ROW, r.allocationBytes() == AllocBench.HUGE ? "2 MiB" : "4 KiB", r.threads(), r.allocations(),
                    r.bursts(), number(r.perSecond()), ratio(r.vsOneThread()), r.goal(),
                    passed == null ? "-" : passed ? "pass" : "FAIL");
            out.flush();
        });
        out.printf("%nOne run on a shared, noisy machine: differences under ~20%% may be noise.%n");
        return 0;
    }
}
