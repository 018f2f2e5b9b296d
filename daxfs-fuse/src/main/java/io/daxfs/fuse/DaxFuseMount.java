package io.daxfs.fuse;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.fuse.lowlevel.FuseSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A daxfs file system served on a mount point: {@link #start} mounts, {@link #serve} answers the
 * kernel until the mount ends, {@link #close} unmounts and releases what the kernel left open.
 * The caller owns the {@link DaxFileSystem} and closes it after this.
 *
 * <p>The mount ends when someone runs {@code fusermount3 -u} (or umount), or when
 * {@link #requestExit} is called, for instance from a shutdown hook on SIGINT/SIGTERM.
 */
public final class DaxFuseMount implements AutoCloseable {
    /** Mount settings. {@code fuseOptions} are -o options; threads is the most libfuse workers. */
    public record Options(List<String> fuseOptions, int threads, double attrTimeout, double entryTimeout,
                          int readaheadKib) {
        public static Options defaults() {
            return new Options(List.of(), Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), 1.0, 1.0,
                    1024);
        }

        public Options withFuseOptions(List<String> o) {
            return new Options(o, threads, attrTimeout, entryTimeout, readaheadKib);
        }

        public Options withThreads(int n) {
            return new Options(fuseOptions, n, attrTimeout, entryTimeout, readaheadKib);
        }

        public Options withTimeouts(double attr, double entry) {
            return new Options(fuseOptions, threads, attr, entry, readaheadKib);
        }

        /** Kernel read-ahead for the mount, KiB (0: leave the kernel's default, 128). */
        public Options withReadahead(int kib) {
            return new Options(fuseOptions, threads, attrTimeout, entryTimeout, kib);
        }
    }

    private final DaxFuseOperations ops;
    private final FuseSession session;
    private final Options options;
    private final CountDownLatch served = new CountDownLatch(1);

    private final Consumer<String> log;

    private DaxFuseMount(DaxFuseOperations ops, FuseSession session, Options options, Consumer<String> log) {
        this.ops = ops;
        this.session = session;
        this.options = options;
        this.log = log;
    }

    /**
     * Mounts {@code fs} on {@code mountpoint}; {@code source} names it in /proc/mounts. Requests
     * queue in the kernel until {@link #serve} runs.
     */
    public static DaxFuseMount start(DaxFileSystem fs, String source, Path mountpoint, Options o, Consumer<String> log) {
        DaxFuseOperations ops = new DaxFuseOperations(fs, o.attrTimeout(), o.entryTimeout());
        List<String> opts = new ArrayList<>();
        opts.add("fsname=" + source.replace(",", "_"));
        opts.add("subtype=daxfs");
        // The kernel checks permissions against the mode bits, as for a local file system.
        opts.add("default_permissions");
        if (fs.isReadOnly()) {
            opts.add("ro");
        }
        opts.addAll(o.fuseOptions());
        return new DaxFuseMount(ops, FuseSession.mount(ops, mountpoint, opts, log), o, log);
    }

    public Path mountpoint() {
        return session.mountpoint();
    }

    /** Serves requests until the mount ends; returns libfuse's loop result (0: a normal end). */
    public int serve() {
        if (options.readaheadKib() > 0) {
            Thread t = new Thread(this::tuneReadahead, "daxfs-fuse-readahead");
            t.setDaemon(true);
            t.start();
        }
        try {
            return session.loop(options.threads());
        } finally {
            served.countDown();
        }
    }

    /**
     * Per-request cost dominates sequential reads at the kernel's default read-ahead (a request
     * per 128 KiB); 1 MiB requests, libfuse's largest, cut it fourfold. The kernel resets the
     * read-ahead when it processes the INIT reply, so this waits for a first answered request
     * (a stat of the mount point) before setting it. Best effort: root only.
     */
    private void tuneReadahead() {
        try {
            java.nio.file.Files.getLastModifiedTime(session.mountpoint());
        } catch (java.io.IOException e) {
            return; // the mount went away already
        }
        if (!session.readahead(options.readaheadKib())) {
            log.accept("daxfs-fuse: could not set read-ahead to " + options.readaheadKib() + " KiB (needs root); "
                    + "the kernel default stays");
        }
    }

    /** Ends {@link #serve} soon; safe from any thread, a shutdown hook included. */
    public void requestExit() {
        session.exit();
    }

    /** Waits for {@link #serve} to return; false on timeout. */
    public boolean awaitServed(long timeout, TimeUnit unit) throws InterruptedException {
        return served.await(timeout, unit);
    }

    /** Callbacks that failed unexpectedly (each answered EIO and logged). */
    public long failures() {
        return session.failures();
    }

    /** Unmounts if still mounted, frees the session, and closes files the kernel left open. */
    @Override
    public void close() {
        try {
            session.close();
        } finally {
            ops.releaseAll();
        }
    }
}
