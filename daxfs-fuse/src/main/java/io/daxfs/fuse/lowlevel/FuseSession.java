package io.daxfs.fuse.lowlevel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * One libfuse low-level session: mounted by {@link #mount}, served by {@link #loop} (libfuse's
 * multi-threaded loop, on its own worker threads), ended by {@link #exit} or by an unmount from
 * outside ({@code fusermount3 -u}), and released by {@link #close}.
 *
 * <p>Signals are the JVM's, not libfuse's: libfuse's handlers would replace the JVM's and let a
 * signal land on any Java thread. A shutdown hook calls {@link #exit} instead. Since libfuse's
 * workers sleep in read(2) on /dev/fuse, exit also sends the mount one request (a lookup of a
 * name that cannot exist): the worker that serves it sees the exit flag and ends the loop, which
 * cancels the rest. An unmount from outside ends the loop by itself (the reads fail with ENODEV).
 *
 * <p>The session's {@link CacheNotifier} thread sends the kernel cache notifications; it is
 * started with the session and stopped by {@link #close} before the session is unmounted and
 * freed, so that no notification is written to a closed (or reused) descriptor or a freed
 * session. A notification stuck in the kernel (waiting for a page whose read no worker will
 * answer, the loop having ended) is released by the unmount, which aborts the connection; the
 * session is freed only after it returned.
 */
public final class FuseSession implements AutoCloseable {
    /** How long close waits for a notification in progress before it unmounts under it. */
    private static final long NOTIFIER_STOP_MILLIS = 5000;

    private final LibFuse fuse;
    private final Arena arena;
    private final OpsTable table;
    private final MemorySegment se;
    private final Path mountpoint;
    private final AtomicBoolean exiting = new AtomicBoolean();
    private final CacheNotifier notifier;
    private boolean mounted;
    private boolean closed;

    private FuseSession(LibFuse fuse, Arena arena, OpsTable table, MemorySegment se, Path mountpoint,
                        Consumer<String> log) {
        this.fuse = fuse;
        this.arena = arena;
        this.table = table;
        this.se = se;
        this.mountpoint = mountpoint;
        this.notifier = new CacheNotifier(this::notifyInvalInode, log);
        table.notifier(notifier);
    }

    /** fuse_lowlevel_notify_inval_inode: 0 or -errno. Only from the notifier thread. */
    private int notifyInvalInode(long ino, long off, long len) {
        try {
            return (int) fuse.notifyInvalInode.invokeExact(se, ino, off, len);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /**
     * Creates a session for {@code ops} and mounts it on {@code mountpoint} with the given
     * {@code -o} options (fsname=..., allow_other, default_permissions, ...).
     */
    public static FuseSession mount(FuseOperations ops, Path mountpoint, List<String> options, Consumer<String> log) {
        Path mp = mountpoint.toAbsolutePath().normalize();
        if (!Files.isDirectory(mp)) {
            throw Files.exists(mp) ? new FuseMountException(20, mp + ": mount point is not a directory")
                    : new FuseMountException(2, mp + ": mount point does not exist");
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            throw new FuseUnavailableException("/dev/fuse does not exist: load the fuse module (`modprobe fuse`) or run in a "
                    + "container started with --device /dev/fuse");
        }
        LibFuse fuse = LibFuse.load();
        Arena arena = Arena.ofShared();
        try {
            OpsTable table = new OpsTable(fuse, ops, log, arena);
            List<String> argv = new ArrayList<>(List.of("daxfs"));
            if (!options.isEmpty()) {
                argv.add("-o");
                argv.add(String.join(",", options));
            }
            MemorySegment args = arena.allocate(Structs.ARGS_SIZE, 8);
            MemorySegment vec = arena.allocate(ADDRESS, argv.size() + 1L);
            for (int i = 0; i < argv.size(); i++) {
                vec.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i)));
            }
            vec.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);
            args.set(JAVA_INT, 0, argv.size());
            args.set(ADDRESS, 8, vec);
            args.set(JAVA_INT, 16, 0);
            MemorySegment se = (MemorySegment) fuse.sessionNew.invokeExact(args, table.segment(), OpsTable.SIZE,
                    MemorySegment.NULL);
            if (se.equals(MemorySegment.NULL)) {
                throw new FuseMountException(22, "libfuse refused the mount options " + options
                        + " (its message is above)");
            }
            FuseSession s = new FuseSession(fuse, arena, table, se, mp, log);
            int rc = (int) fuse.sessionMount.invokeExact(se, arena.allocateFrom(mp.toString()));
            if (rc != 0) {
                s.notifier.stop(1);
                s.notifier.awaitStopped(); // it sent nothing: no request was served
                fuse.sessionDestroy.invokeExact(se);
                throw new FuseMountException(5, "mounting " + mp + " failed (libfuse's message is above; is "
                        + "something already mounted there, or fusermount3 missing? " + LibFuse.installHint() + ")");
            }
            s.mounted = true;
            return s;
        } catch (Throwable t) {
            arena.close();
            throw LibFuse.rethrow(t);
        }
    }

    public Path mountpoint() {
        return mountpoint;
    }

    /** The session's cache notifier (counters for tests and logs). */
    public CacheNotifier notifier() {
        return notifier;
    }

    /** Callbacks that threw (each was answered with EIO). */
    public long failures() {
        return table.failures();
    }

    /**
     * Serves requests until the session exits or is unmounted from outside; returns libfuse's
     * result (0 for a normal end).
     */
    public int loop(int maxThreads) {
        try {
            MemorySegment cfg = (MemorySegment) fuse.loopCfgCreate.invokeExact();
            try {
                fuse.loopCfgSetMaxThreads.invokeExact(cfg, Math.max(1, maxThreads));
                // Idle workers are kept (libfuse's default since 3.12): a worker that exits and a
                // new one in its place cost a JVM thread detach and attach each, hundreds of
                // microseconds, which under a one-request-at-a-time load happened per request.
                return (int) fuse.sessionLoopMt.invokeExact(se, cfg);
            } finally {
                fuse.loopCfgDestroy.invokeExact(cfg);
            }
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
    }

    /** Asks the loop to end (from any thread, a shutdown hook included); returns at once. */
    public void exit() {
        if (!exiting.compareAndSet(false, true)) {
            return;
        }
        try {
            fuse.sessionExit.invokeExact(se);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        }
        // Wake one worker with a request; it may block if the mount is gone wrong, so not here.
        Thread poke = new Thread(() -> {
            try {
                Files.exists(mountpoint.resolve(".daxfs-exit-" + System.nanoTime()));
            } catch (RuntimeException e) {
                // the mount is already gone: the loop has ended or will on its own
            }
        }, "daxfs-fuse-exit");
        poke.setDaemon(true);
        poke.start();
    }

    /** Unmounts (lazily, if still mounted) and frees the session. Call after {@link #loop} returned. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // No notification may start once the descriptor is closed and the session freed.
            boolean notifierEnded = notifier.stop(NOTIFIER_STOP_MILLIS);
            if (mounted) {
                fuse.sessionUnmount.invokeExact(se);
            }
            if (!notifierEnded) {
                notifier.awaitStopped(); // the unmount aborted the connection: its call has returned
            }
            fuse.sessionDestroy.invokeExact(se);
        } catch (Throwable t) {
            throw LibFuse.rethrow(t);
        } finally {
            arena.close();
        }
    }

    /** True when {@code mountpoint} is a mount point of a file system of type fuse.*, per /proc/self/mountinfo. */
    public static boolean isFuseMounted(Path mountpoint) {
        return fuseDevice(mountpoint) != null;
    }

    /**
     * The "major:minor" device of the FUSE mount on {@code mountpoint} (per /proc/self/mountinfo,
     * so without a request to the mount), or null when none is there.
     */
    public static String fuseDevice(Path mountpoint) {
        String mp = mountpoint.toAbsolutePath().normalize().toString();
        String found = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = line.indexOf(" - ");
                if (f.length > 4 && unescape(f[4]).equals(mp)) {
                    // The last mount on a path is the visible one.
                    found = dash > 0 && line.substring(dash + 3).startsWith("fuse") ? f[2] : null;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return found;
    }

    /**
     * Sets the kernel's read-ahead for this mount (its backing-device info in sysfs), so that
     * sequential reads arrive as requests of up to {@code kib} KiB instead of the default 128.
     * FUSE cannot ask for more at INIT; root can set it afterwards. Returns false where it could
     * not (not root, no sysfs).
     */
    public boolean readahead(int kib) {
        String dev = fuseDevice(mountpoint);
        if (dev == null) {
            return false;
        }
        try {
            Files.writeString(Path.of("/sys/class/bdi", dev, "read_ahead_kb"), Integer.toString(kib));
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
