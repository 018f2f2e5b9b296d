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
    public record Options(List<String> fuseOptions, int threads, double attrTimeout, double entryTimeout) {
        public static Options defaults() {
            return new Options(List.of(), Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), 1.0, 1.0);
        }

        public Options withFuseOptions(List<String> o) {
            return new Options(o, threads, attrTimeout, entryTimeout);
        }

        public Options withThreads(int n) {
            return new Options(fuseOptions, n, attrTimeout, entryTimeout);
        }

        public Options withTimeouts(double attr, double entry) {
            return new Options(fuseOptions, threads, attr, entry);
        }
    }

    private final DaxFuseOperations ops;
    private final FuseSession session;
    private final Options options;
    private final CountDownLatch served = new CountDownLatch(1);

    private DaxFuseMount(DaxFuseOperations ops, FuseSession session, Options options) {
        this.ops = ops;
        this.session = session;
        this.options = options;
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
        return new DaxFuseMount(ops, FuseSession.mount(ops, mountpoint, opts, log), o);
    }

    public Path mountpoint() {
        return session.mountpoint();
    }

    /** Serves requests until the mount ends; returns libfuse's loop result (0: a normal end). */
    public int serve() {
        try {
            return session.loop(options.threads());
        } finally {
            served.countDown();
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
