package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.MountOptions;
import io.daxfs.fuse.DaxFuse;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * `daxfs mount`: serves an image on a directory through FUSE until it is unmounted
 * ({@code fusermount3 -u}), or the process gets SIGINT/SIGTERM; either way the image is closed
 * cleanly. {@code --background} starts the server as a separate process and returns once the
 * mount is ready.
 */
@Command(name = "mount", sortOptions = false,
        description = "Mount an image on a directory through FUSE, so that any program can use it.",
        footer = {"", "Stop with Ctrl-C, SIGTERM, or `fusermount3 -u MOUNTPOINT`; the image is closed cleanly.",
                "", "Examples:", "  daxfs mount demo.img /mnt/demo",
                "  daxfs mount new.img /mnt/new --create --size 1G --background",
                "  daxfs mount demo.img /mnt/demo -o allow_other --read-only"})
final class MountCommand implements Callable<Integer> {
    private static final long READY_TIMEOUT_MS = 60_000;

    private final CliEnv env;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image file (or /dev/daxX.Y device).")
    Path image;

    @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "An existing directory.")
    Path mountpoint;

    @Option(names = "--create", description = "Make the image first if it does not exist (needs --size).")
    boolean create;

    @Option(names = {"-s", "--size"}, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of an image made by --create, e.g. 64M, 1G.")
    Long size;

    @Option(names = "-o", paramLabel = "OPT[,OPT...]", split = ",",
            description = "FUSE mount options, e.g. allow_other, ro.")
    List<String> fuseOptions = new ArrayList<>();

    @Option(names = {"-r", "--read-only"}, description = "Mount read-only (the image is not written).")
    boolean readOnly;

    @Option(names = "--commit-interval", paramLabel = "MS", defaultValue = "5000",
            description = "Commit metadata every MS milliseconds even without an fsync (0: only on fsync, sync "
                    + "and unmount). A crash of the server loses at most this much of what was not synced. "
                    + "Default: ${DEFAULT-VALUE}.")
    long commitIntervalMs;

    @Option(names = "--atime", paramLabel = "MODE", defaultValue = "relatime",
            converter = AtimeConverter.class,
            description = "When reads update access times: relatime (default: when older than the last change, "
                    + "or a day old), strictatime (every read that reaches the server) or noatime.")
    MountOptions.Atime atime;

    @Option(names = "--cache-budget", paramLabel = "SIZE", defaultValue = "0", converter = SizeConverter.class,
            description = "Heap the server may use for cached inodes and directory contents before it evicts "
                    + "clean, unused ones (e.g. 64M; 0, the default: a quarter of the heap, at most 256M).")
    long cacheBudget;

    @Option(names = "--background", description = "Serve from a background process; return once mounted.")
    boolean background;

    @Option(names = "--log", paramLabel = "FILE",
            description = "With --background: where the server writes its messages (default: IMAGE.mount.log).")
    Path log;

    @Option(names = "--threads", paramLabel = "N", description = "Most FUSE worker threads (default: 2 per CPU, at least 4).")
    int threads;

    @Option(names = "--cache-timeout", paramLabel = "SECONDS",
            description = "How long the kernel may cache names and attributes (default: 1).")
    double cacheTimeout = 1.0;

    @Option(names = "--readahead", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Kernel read-ahead for the mount (default: 1M, the largest FUSE request; 0: kernel default). Root only.")
    long readahead = 1 << 20;

    MountCommand(CliEnv env) {
        this.env = env;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (fuseOptions.remove("ro")) {
            readOnly = true;
        }
        if (threads < 0 || cacheTimeout < 0) {
            throw new ParameterException(spec.commandLine(), "--threads and --cache-timeout must not be negative");
        }
        if (create && size == null && !Files.exists(image)) {
            throw new ParameterException(spec.commandLine(), "--create needs --size for a new image");
        }
        if (!create && !Files.exists(image)) {
            throw new DaxException(Errno.ENOENT, image + ": no such image (use --create --size SIZE to make one)");
        }
        if (!Files.isDirectory(mountpoint)) {
            throw new DaxException(Files.exists(mountpoint) ? Errno.ENOTDIR : Errno.ENOENT,
                    mountpoint + (Files.exists(mountpoint) ? ": not a directory" : ": mount point does not exist"));
        }
        if (DaxFuse.isFuseMounted(mountpoint)) {
            throw new DaxException(Errno.EBUSY, mountpoint + ": already a FUSE mount (unmount it first: fusermount3 -u "
                    + mountpoint + ")");
        }
        if (create && !Files.exists(image)) {
            try (DaxFileSystem ignored = DaxFileSystem.format(image, size)) {
                spec.commandLine().getOut().println("daxfs: created " + image + " (" + Sizes.format(size) + ")");
            }
        }
        return background ? startBackground() : serve();
    }

    /** Serves in this process until unmounted or signalled; either way the image is closed cleanly. */
    private int serve() throws DaxException {
        PrintWriter out = spec.commandLine().getOut();
        DaxFuse.Options o = DaxFuse.Options.defaults().withFuseOptions(fuseOptions)
                .withTimeouts(cacheTimeout, cacheTimeout);
        if (threads > 0) {
            o = o.withThreads(threads);
        }
        o = o.withReadahead((int) Math.min(Integer.MAX_VALUE, readahead >> 10));
        if (commitIntervalMs < 0) {
            throw new ParameterException(spec.commandLine(), "--commit-interval must not be negative");
        }
        DaxFileSystem fs = DaxFileSystem.mount(image, MountOptions.DEFAULT.withReadOnly(readOnly)
                .withCommitIntervalMs(commitIntervalMs).withAtime(atime).withCacheBudget(cacheBudget)
                .withFreeInBackground(true)); // a worker must not spend seconds freeing a huge file on close
        DaxFuse m;
        try {
            m = DaxFuse.mount(fs, "daxfs:" + image.toAbsolutePath().normalize(), mountpoint, o,
                    line -> spec.commandLine().getErr().println(line));
        } catch (DaxException | RuntimeException | Error e) {
            fs.close();
            throw e;
        }
        m.serveUntilStopped(() -> {
            out.println("daxfs: serving " + image + " on " + mountpoint + " (pid " + ProcessHandle.current().pid()
                    + "; stop with Ctrl-C or fusermount3 -u " + mountpoint + ")");
            out.flush();
        }, () -> {
            if (m.failures() > 0) {
                out.println("daxfs: " + m.failures() + " requests failed unexpectedly (answered EIO; see the messages above)");
            }
            out.println("daxfs: unmounted " + mountpoint + "; " + image + " closed cleanly");
            out.flush();
        });
        return 0;
    }

    /** Starts `daxfs mount` without --background as its own session, and waits until it has mounted. */
    private int startBackground() throws IOException, InterruptedException {
        Path logFile = log != null ? log : Path.of(image + ".mount.log");
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid"); // away from the terminal's process group: Ctrl-C there is not for it
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        String lib = System.getProperty("daxfs.libfuse");
        if (lib != null) {
            cmd.add("-Ddaxfs.libfuse=" + lib);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("mount");
        cmd.add(image.toAbsolutePath().toString());
        cmd.add(mountpoint.toAbsolutePath().toString());
        if (readOnly) {
            cmd.add("--read-only");
        }
        cmd.add("--commit-interval=" + commitIntervalMs);
        cmd.add("--atime=" + atime.name().toLowerCase(java.util.Locale.ROOT));
        cmd.add("--cache-budget=" + cacheBudget);
        for (String opt : fuseOptions) {
            cmd.add("-o");
            cmd.add(opt);
        }
        if (threads > 0) {
            cmd.add("--threads=" + threads);
        }
        cmd.add("--cache-timeout=" + cacheTimeout);
        cmd.add("--readahead=" + readahead);
        Process p = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true)
                .start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        while (!DaxFuse.isFuseMounted(mountpoint)) {
            if (!p.isAlive()) {
                throw new DaxException(Errno.EIO, "the mount server exited (" + p.exitValue() + "): "
                        + lastLine(logFile) + " (log: " + logFile + ")");
            }
            if (System.nanoTime() > deadline) {
                p.destroy();
                throw new DaxException(Errno.EIO, "the mount server did not mount within "
                        + READY_TIMEOUT_MS / 1000 + " s (log: " + logFile + ")");
            }
            Thread.sleep(20);
        }
        spec.commandLine().getOut().println("daxfs: mounted " + image + " on " + mountpoint + " (server pid " + p.pid()
                + ", log " + logFile + "; unmount with fusermount3 -u " + mountpoint + ")");
        return 0;
    }

    private static String lastLine(Path f) {
        try {
            List<String> lines = Files.readAllLines(f);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return lines.get(i).trim();
                }
            }
        } catch (IOException e) {
            return "(no log)";
        }
        return "(no message)";
    }

    /** relatime, strictatime or noatime (the mount(8) spellings). */
    static final class AtimeConverter implements picocli.CommandLine.ITypeConverter<MountOptions.Atime> {
        @Override
        public MountOptions.Atime convert(String value) {
            for (MountOptions.Atime a : MountOptions.Atime.values()) {
                if (a.name().equalsIgnoreCase(value)) {
                    return a;
                }
            }
            throw new picocli.CommandLine.TypeConversionException(
                    "EINVAL: --atime must be relatime, strictatime or noatime, not '" + value + "'");
        }
    }
}
