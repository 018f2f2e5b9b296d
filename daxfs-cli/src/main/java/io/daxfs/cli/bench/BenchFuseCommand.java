package io.daxfs.cli.bench;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.cli.Cli;
import io.daxfs.cli.CliEnv;
import io.daxfs.cli.Sizes;
import io.daxfs.fuse.DaxFuse;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * `daxfs bench fuse`: the same file I/O through a `daxfs mount` of an image and through a bindfs
 * mount of a plain directory, both kept in DIR (tmpfs by default), in one run. Every workload is
 * measured on daxfs and then on bindfs, each after its own warm-up. Reads are kept honest: the
 * kernel page cache in front of both mounts is emptied for the file before each read phase, and
 * each block read is evicted again right after, so every read is a request to the FUSE server.
 */
@Command(name = "fuse", sortOptions = false,
        description = "Compare file I/O through a daxfs FUSE mount with a bindfs mount of a directory "
                + "in DIR: 1 MiB sequential and 4 KiB random writes and reads, in one run.",
        footer = {"", "Needs fuse3 and bindfs (scripts/setup-fuse installs them). The image, the bindfs",
                "directory and both mount points are made in a fresh directory in DIR and removed",
                "afterwards; both mounts are unmounted even when the run fails."})
final class BenchFuseCommand implements Callable<Integer> {
    private static final String ROW = "%-24s %12s %12s %8s  %s%n";
    private static final int CHUNK = 1 << 20;
    private static final double GOAL = 1.0;
    private static final long UNMOUNT_WAIT_MS = 10_000;
    private static final Pattern SERVER_PID = Pattern.compile("server pid (\\d+)");
    /** The order of the issue: a file is written, read back whole, then read and written at random. */
    private static final List<Workload> ORDER = List.of(Workload.SEQUENTIAL_WRITE_1M, Workload.SEQUENTIAL_READ_1M,
            Workload.RANDOM_READ_4K, Workload.RANDOM_WRITE_4K);

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1G",
            description = "Size of the test file on each mount (a multiple of 1M; default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "Measured time per workload and mount (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "0.5",
            description = "Unmeasured time before each measurement (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Threads issuing I/O (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where the image, the bindfs directory and the mount points go (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--bindfs", paramLabel = "PROGRAM", defaultValue = "bindfs", hidden = true,
            description = "The bindfs program (default: found on PATH).")
    String bindfs;

    @Override
    public Integer call() throws IOException, InterruptedException {
        long fileSize;
        try {
            fileSize = Sizes.parse(size);
            if (fileSize <= 0 || fileSize % CHUNK != 0) {
                throw new IllegalArgumentException("--size must be a positive multiple of 1M: " + size);
            }
            if (!(seconds > 0) || !(warmup >= 0)) {
                throw new IllegalArgumentException("--seconds must be positive and --warmup not negative");
            }
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be at least 1: " + threads);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isDirectory(dir)) {
            throw DaxException.of(Files.exists(dir) ? Errno.ENOTDIR : Errno.ENOENT, dir.toString());
        }
        Path bindfsProgram = program(bindfs).orElseThrow(() -> new DaxException(Errno.ENOENT,
                bindfs + ": not found; bench fuse compares with a bindfs mount (install it with scripts/setup-fuse)"));
        Path fusermount = program("fusermount3").orElseThrow(() -> new DaxException(Errno.ENOENT,
                "fusermount3: not found; FUSE is not set up (install it with scripts/setup-fuse)"));

        PrintWriter out = spec.commandLine().getOut();
        Run run = new Run(Files.createTempDirectory(dir.toAbsolutePath(), "daxfs-bench-fuse-"), fusermount);
        Throwable failure = null;
        try {
            long imageSize = IoBench.imageSizeFor(fileSize);
            run.mountDaxfs(imageSize);
            run.mountBindfs(bindfsProgram);
            out.printf("daxfs bench fuse: %s file on each mount, %d thread%s, %s s per measurement after %s s warm-up%n",
                    Sizes.format(fileSize), threads, threads == 1 ? "" : "s", plain(seconds), plain(warmup));
            out.printf("  daxfs:  daxfs mount of a %s image file in %s (server pid %d)%n",
                    Sizes.format(imageSize), dir, run.serverPid);
            out.printf("  bindfs: bindfs --multithreaded of a directory in %s%n", dir);
            out.printf("  page cache dropped before reads: yes, posix_fadvise(DONTNEED) on the file before each read%n"
                    + "          phase and on each block right after it is read, so every read is a FUSE request%n");
            out.printf("  writes: write-through on both mounts (no FUSE writeback cache); fsync after each write%n"
                    + "          phase, not timed%n%n");
            out.printf(ROW, "workload", "daxfs MB/s", "bindfs MB/s", "ratio", "goal >= " + fixed(GOAL, 1) + "x");
            out.flush();
            int met = 0;
            try (Target dax = Target.open(run.daxMnt.resolve("bench.dat"));
                 Target bind = Target.open(run.bindMnt.resolve("bench.dat"))) {
                dax.fill(fileSize);
                bind.fill(fileSize);
                for (Workload w : ORDER) {
                    double daxRate = dax.measure(w, fileSize, threads, duration(warmup), duration(seconds)) / 1e6;
                    double bindRate = bind.measure(w, fileSize, threads, duration(warmup), duration(seconds)) / 1e6;
                    double ratio = daxRate / bindRate;
                    boolean pass = ratio >= GOAL;
                    met += pass ? 1 : 0;
                    out.printf(ROW, w.label(), fixed(daxRate, 1), fixed(bindRate, 1), fixed(ratio, 2),
                            pass ? "pass" : "FAIL");
                    out.flush();
                }
            }
            out.printf("%nratio = daxfs / bindfs; goal daxfs >= %sx bindfs: %d of %d workloads %s.%n"
                            + "One run on a shared, noisy machine: differences under ~20%% may be noise.%n",
                    fixed(GOAL, 1), met, ORDER.size(), met == ORDER.size() ? "met" : "met, goal NOT met overall");
            return 0;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            try {
                run.cleanUp();
            } catch (IOException | RuntimeException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            }
        }
    }

    /** The mounts and files of one run, and how to take them down again. */
    private static final class Run {
        final Path work;
        final Path image;
        final Path log;
        final Path daxMnt;
        final Path bindSrc;
        final Path bindMnt;
        final Path fusermount;
        long serverPid = -1;

        Run(Path work, Path fusermount) throws IOException {
            this.work = work;
            this.fusermount = fusermount;
            image = work.resolve("daxfs.img");
            log = work.resolve("daxfs-mount.log");
            daxMnt = Files.createDirectory(work.resolve("daxfs-mnt"));
            bindSrc = Files.createDirectory(work.resolve("bindfs-src"));
            bindMnt = Files.createDirectory(work.resolve("bindfs-mnt"));
        }

        /** `daxfs mount IMAGE MNT --create --size N --background`, run through the CLI itself. */
        void mountDaxfs(long imageSize) throws IOException {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            int code = Cli.run(new CliEnv(o, e, false, false), "mount", image.toString(), daxMnt.toString(),
                    "--create", "--size", Long.toString(imageSize), "--background", "--log", log.toString());
            if (code != 0) {
                throw new DaxException(Errno.EIO, "daxfs mount failed: "
                        + firstLine(e.toString(StandardCharsets.UTF_8)).replaceFirst("^daxfs: ", ""));
            }
            Matcher m = SERVER_PID.matcher(o.toString(StandardCharsets.UTF_8));
            if (m.find()) {
                serverPid = Long.parseLong(m.group(1));
            }
        }

        /** `bindfs --multithreaded SRC MNT`; bindfs returns once mounted and serves in the background. */
        void mountBindfs(Path program) throws IOException, InterruptedException {
            String output = runProgram(List.of(program.toString(), "--multithreaded", bindSrc.toString(), bindMnt.toString()));
            if (output != null) {
                throw new DaxException(Errno.EIO, "bindfs failed: " + output);
            }
            if (!DaxFuse.isFuseMounted(bindMnt)) {
                throw new DaxException(Errno.EIO, "bindfs returned but " + bindMnt + " is not a FUSE mount");
            }
        }

        /** Unmounts both, waits for the daxfs server to close the image, then deletes everything made. */
        void cleanUp() throws IOException {
            List<String> problems = new ArrayList<>();
            unmount(daxMnt, problems);
            unmount(bindMnt, problems);
            if (serverPid > 0) {
                ProcessHandle.of(serverPid).ifPresent(h -> {
                    try {
                        h.onExit().get(60, TimeUnit.SECONDS);
                    } catch (Exception ex) {
                        problems.add("the daxfs server (pid " + serverPid + ") did not exit after the unmount");
                    }
                });
            }
            if (DaxFuse.isFuseMounted(daxMnt) || DaxFuse.isFuseMounted(bindMnt)) {
                // Never delete through a live mount.
                problems.add("left " + work + " in place because a mount in it is still there");
            } else {
                SyncBench.deleteTree(work);
            }
            if (!problems.isEmpty()) {
                throw new DaxException(Errno.EBUSY, String.join("; ", problems));
            }
        }

        private void unmount(Path mnt, List<String> problems) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNMOUNT_WAIT_MS);
            String last = null;
            try {
                while (DaxFuse.isFuseMounted(mnt)) {
                    last = runProgram(List.of(fusermount.toString(), "-u", mnt.toString()));
                    if (last == null || !DaxFuse.isFuseMounted(mnt)) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        // Busy for too long: detach it, so the server still ends once the last user goes.
                        runProgram(List.of(fusermount.toString(), "-u", "-z", mnt.toString()));
                        break;
                    }
                    Thread.sleep(50);
                }
            } catch (IOException e) {
                last = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                last = "interrupted";
            }
            if (DaxFuse.isFuseMounted(mnt)) {
                problems.add("could not unmount " + mnt + (last == null ? "" : ": " + last)
                        + " (try fusermount3 -u " + mnt + ")");
            }
        }
    }

    /** One mount's test file: a channel for the I/O and a descriptor for evicting its cached pages. */
    private record Target(FileChannel channel, FusePageCache cache) implements AutoCloseable {
        static Target open(Path file) throws IOException {
            FileChannel ch = FileChannel.open(file, CREATE, READ, WRITE);
            try {
                return new Target(ch, FusePageCache.open(file));
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        /** Writes the file whole, so reads hit data and writes overwrite allocated blocks. */
        void fill(long fileSize) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment chunk = arena.allocate(CHUNK, 4096);
                for (long i = 0; i < CHUNK; i++) {
                    chunk.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
                }
                BenchFile f = BenchFile.of(channel);
                BenchFile.Buffer buf = BenchFile.Buffer.of(chunk);
                for (long pos = 0; pos < fileSize; pos += CHUNK) {
                    f.write(pos, buf);
                }
            }
            channel.force(false);
        }

        /** Bytes per second of {@code w}; reads start from an empty page cache and leave none behind. */
        double measure(Workload w, long fileSize, int threads, Duration warmup, Duration duration) throws IOException {
            BenchFile plain = BenchFile.of(channel);
            BenchFile f = w.write() ? plain : new BenchFile() {
                @Override
                public void read(long pos, Buffer buf) throws IOException {
                    plain.read(pos, buf);
                    cache.evict(pos, buf.segment().byteSize());
                }

                @Override
                public void write(long pos, Buffer buf) throws IOException {
                    plain.write(pos, buf);
                }
            };
            if (!warmup.isZero()) {
                cache.evict(0, 0);
                ThroughputMeter.measure(f, w, fileSize, threads, warmup);
            }
            cache.evict(0, 0);
            double rate = ThroughputMeter.measure(f, w, fileSize, threads, duration);
            if (w.write()) {
                channel.force(false);
            }
            return rate;
        }

        @Override
        public void close() throws IOException {
            try {
                cache.close();
            } finally {
                channel.close();
            }
        }
    }

    /** Runs a program to its end; null when it succeeded, else its exit code and first line of output. */
    private static String runProgram(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        return code == 0 ? null : "exit " + code + (output.isBlank() ? "" : ": " + firstLine(output));
    }

    /** An executable named by path, or found on PATH. */
    private static Optional<Path> program(String name) {
        if (name.contains("/")) {
            Path p = Path.of(name);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty()) {
                Path p = Path.of(d, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        for (String d : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }


    private static String firstLine(String text) {
        return text.strip().lines().findFirst().orElse("(no message)").strip();
    }

    private static Duration duration(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }

    private static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String plain(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
