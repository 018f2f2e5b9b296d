package io.daxfs.cli.bench;

import io.daxfs.cli.Sizes;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.MountOptions;

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

import static io.daxfs.cli.bench.BenchFormat.millis;
import static io.daxfs.cli.bench.BenchFormat.number;
import static io.daxfs.cli.bench.BenchFormat.ratio;

/**
 * `daxfs bench meta`: runs {@link MetaBench}'s namespace run and prints a row per phase and thread
 * count as both sides are measured, or with --memory its memory run, a row per step and the heap.
 */
@Command(name = "meta", sortOptions = false,
        description = "Measure metadata operations on many empty files: create, stat, readdir and unlink "
                + "through the daxfs API on an image in DIR against java.nio.file on files in DIR, for each "
                + "thread count. With --memory: create the files on an image, unmount, mount again, list "
                + "every directory and stat every file through the cold inode cache, and report the heap; "
                + "then time the first lookup in a directory of --big-dir entries.",
        footer = {"",
                "File i is in directory i mod --dirs; thread t of T works on directories t,",
                "t+T, ..., with the same loop on both sides. create: open(CREATE_NEW, WRITE) and",
                "close / Files.createFile; stat: stat / readAttributes(BasicFileAttributes);",
                "readdir: each directory listed whole (an op is an entry listed); unlink:",
                "unlink / Files.delete. A rate is ops over the phase's wall time. The daxfs",
                "image is sparse, with an inode number for every file of every cycle (a freed",
                "number is reusable only after a checkpoint); everything is deleted",
                "afterwards. An untimed cycle of up to 20000 files on each side comes first",
                "(JIT warm-up). Progress goes to stderr every 5 s of a long phase.",
                "",
                "--memory mounts with the default inode cache budget (a quarter of the heap, at",
                "most 256 MiB): run the JVM with -Xmx to see the walk under a small heap."})
final class BenchMetaCommand implements Callable<Integer> {
    private static final String ROW = "%-8s %7s %12s %12s %10s%n";
    private static final String STEP = "%-20s %10s %9s %12s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--memory",
            description = "Measure the walk of a remounted image and the heap it takes instead of the namespace ops.")
    boolean memory;

    @Option(names = "--files", paramLabel = "N",
            description = "Empty files (default: 1000000; with --memory 10000000).")
    Long files;

    @Option(names = "--dirs", paramLabel = "D",
            description = "Directories the files are spread over (at most 65000; default: 1000; with --memory 10000).")
    Integer dirs;

    @Option(names = "--threads", paramLabel = "N", split = ",",
            description = "Thread counts to measure, each in turn (not with --memory; default: 1,2).")
    int[] threads;

    @Option(names = "--big-dir", paramLabel = "N",
            description = "With --memory: entries of the directory whose first lookup after the remount is timed "
                    + "(default: 1000000).")
    Long bigDir;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the daxfs image and the nio files go; they are deleted afterwards "
                    + "(default: ${DEFAULT-VALUE}).")
    Path dir;

    @Override
    public Integer call() throws IOException {
        if (memory && threads != null) {
            throw new ParameterException(spec.commandLine(), "--threads does not apply to --memory");
        }
        if (!memory && bigDir != null) {
            throw new ParameterException(spec.commandLine(), "--big-dir needs --memory");
        }
        MetaBench.Options options = null;
        MetaBench.MemoryOptions memoryOptions = null;
        try {
            if (memory) {
                memoryOptions = new MetaBench.MemoryOptions(files == null ? 10_000_000 : files,
                        dirs == null ? 10_000 : dirs, bigDir == null ? 1_000_000 : bigDir, dir);
            } else {
                options = new MetaBench.Options(files == null ? 1_000_000 : files, dirs == null ? 1000 : dirs,
                        Arrays.stream(threads == null ? new int[] {1, 2} : threads).boxed().toList(), dir);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isDirectory(dir)) {
            // Checked before the header is printed, so the failure is all the output.
            throw DaxException.of(Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, dir.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (memory) {
            memory(memoryOptions, out, err);
        } else {
            namespace(options, out, err);
        }
        out.printf("One run on a shared, noisy machine: differences under ~20%% may be noise.%n");
        return 0;
    }

    private static void namespace(MetaBench.Options o, PrintWriter out, PrintWriter err) throws IOException {
        long inodes = MetaBench.namespaceInodes(o);
        out.printf("daxfs bench meta: %d empty files in %d directories, threads %s; a sparse %s daxfs image "
                        + "(%d inodes) and the nio files in %s%n%n",
                o.files(), o.dirs(), o.threads().stream().map(String::valueOf).collect(Collectors.joining(",")),
                Sizes.format(MetaBench.imageSizeFor(inodes, o.files() + o.dirs())), inodes, o.dir());
        out.printf(ROW, "phase", "threads", "nio ops/s", "daxfs ops/s", "daxfs/nio");
        out.flush();
        MetaBench.runNamespace(o, r -> {
            out.printf(ROW, r.phase().label(), r.threads(), number(r.nioPerSecond()), number(r.daxPerSecond()),
                    ratio(r.ratio()));
            out.flush();
        }, err::println);
        out.printf("%nreaddir ops are entries listed; daxfs/nio above 1: daxfs is faster.%n");
    }

    private static void memory(MetaBench.MemoryOptions o, PrintWriter out, PrintWriter err) throws IOException {
        out.printf("daxfs bench meta --memory: %d empty files in %d directories, and %d in /big; image in %s; "
                        + "max heap %s, inode cache budget %s (the default)%n%n",
                o.files(), o.dirs(), o.bigDir(), o.dir(), Sizes.format(Runtime.getRuntime().maxMemory()),
                Sizes.format(MountOptions.DEFAULT.effectiveCacheBudget()));
        out.printf(STEP, "step", "ops", "seconds", "ops/s");
        out.flush();
        MetaBench.MemoryReport report = MetaBench.runMemory(o, s -> {
            out.printf(STEP, s.label(), s.ops(), String.format(java.util.Locale.ROOT, "%.2f", s.nanos() / 1e9),
                    s.ops() > 1 ? number(s.perSecond()) : "-");
            out.flush();
        }, err::println);
        MetaBench.Heap h = report.heap();
        out.printf("%nfirst lookup in /big after the remount: %s ms (stat /big/%s); the next one: %s ms (stat /big/%s)%n",
                millis(report.firstLookupNanos()), o.lookupName(), millis(report.secondLookupNanos()), o.secondName());
        out.printf("heap used (after a GC): after mount %s, after the walk %s, after the /big lookups %s; max %s%n",
                Sizes.format(h.afterMount()), Sizes.format(h.afterWalk()), Sizes.format(h.afterLookup()),
                Sizes.format(h.max()));
        out.printf("heap peak during the walk: %s (the sum of the heap pools' peaks: an upper bound)%n",
                Sizes.format(h.walkPeak()));
        out.printf("inode cache size and evictions: n/a, the daxfs API does not expose them%n");
        out.printf("image: sparse, %s, %d inodes; walk = readdir of every directory and stat of every entry by path%n",
                Sizes.format(report.imageSize()), report.inodes());
    }
}
