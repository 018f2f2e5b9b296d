package io.daxfs.fuse;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.fuse.lowlevel.FuseMountException;
import io.daxfs.fuse.lowlevel.FuseSession;
import io.daxfs.fuse.lowlevel.FuseUnavailableException;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The FUSE front end's one public entry point: a daxfs file system served on a directory of the
 * host. {@link #mount} mounts it (requests queue in the kernel until it is served),
 * {@link #serve} answers the kernel until the mount ends, {@link #close} unmounts and closes the
 * files the kernel left open; {@link #serveUntilStopped} is all of that for a server in the
 * foreground, where SIGINT and SIGTERM end the mount as cleanly as an unmount does. Everything
 * behind it, the binding to libfuse included, is internal to this module.
 *
 * <p>The mount ends when someone runs {@code fusermount3 -u} (or umount), or when
 * {@link #requestExit} is called. The caller owns the {@link DaxFileSystem} and closes it after
 * {@link #close} (except after {@link #serveUntilStopped}, which closes it).
 *
 * <p>Failures to mount are DaxExceptions, as everywhere in the daxfs API: ENODEV when FUSE
 * cannot be used on this machine (the message says what to install), otherwise the errno of
 * what went wrong (the mount point missing or not a directory, options libfuse refused, a
 * failed mount).
 */
public final class DaxFuse implements AutoCloseable {
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

    /** How long a signalled JVM waits for the file system to close before it halts anyway. */
    private static final long CLOSE_ON_SIGNAL_SECONDS = 60;

    private final DaxFileSystem fs;
    private final DaxFuseOperations ops;
    private final FuseSession session;
    private final Options options;
    private final Consumer<String> log;

    private DaxFuse(DaxFileSystem fs, DaxFuseOperations ops, FuseSession session, Options options,
                    Consumer<String> log) {
        this.fs = fs;
        this.ops = ops;
        this.session = session;
        this.options = options;
        this.log = log;
    }

    /**
     * Mounts {@code fs} on {@code mountpoint}; {@code source} names it in /proc/mounts, and
     * {@code log} gets the server's messages (one line each). Requests queue in the kernel until
     * {@link #serve} runs.
     */
    public static DaxFuse mount(DaxFileSystem fs, String source, Path mountpoint, Options o, Consumer<String> log)
            throws DaxException {
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
        FuseSession session;
        try {
            session = FuseSession.mount(ops, mountpoint, opts, log);
        } catch (FuseUnavailableException e) {
            throw new DaxException(Errno.ENODEV, e.getMessage());
        } catch (FuseMountException e) {
            Errno errno = Errno.ofCode(e.errno());
            throw new DaxException(errno == null ? Errno.EIO : errno, e.getMessage());
        }
        return new DaxFuse(fs, ops, session, o, log);
    }

    /**
     * True when a FUSE file system (daxfs or any other) is mounted on {@code mountpoint}, per
     * /proc/self/mountinfo: no request goes to the mount, so a dead one does not hang this.
     */
    public static boolean isFuseMounted(Path mountpoint) {
        return FuseSession.isFuseMounted(mountpoint);
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
        return session.loop(options.threads());
    }

    /**
     * Serves in the calling thread until the mount ends, then closes this mount and the file
     * system. SIGINT and SIGTERM end it the same way: a shutdown hook ends the loop and holds
     * the JVM until the file system is closed, so the image is left clean. {@code serving} runs
     * once a signal would be handled so, before the first request is served; {@code closed} runs
     * after the file system closed without error, while the hook still holds the JVM (what it
     * prints is not cut off by the exit).
     */
    public void serveUntilStopped(Runnable serving, Runnable closed) throws DaxException {
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            requestExit();
            try {
                done.await(CLOSE_ON_SIGNAL_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "daxfs-unmount");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            serving.run();
            try {
                serve();
            } finally {
                try {
                    close();
                } finally {
                    fs.close();
                }
            }
            closed.run();
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what ended the loop
            }
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
            Files.getLastModifiedTime(session.mountpoint());
        } catch (IOException e) {
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

    /** Requests that failed unexpectedly (each answered EIO and logged). */
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
