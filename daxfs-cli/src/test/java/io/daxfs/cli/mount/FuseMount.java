package io.daxfs.cli.mount;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FsckReport;
import io.daxfs.cli.Cli;
import io.daxfs.cli.CliEnv;
import io.daxfs.fuse.DaxFuse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A daxfs image served by a real `daxfs mount --background` server process, for tests that
 * drive the mount from outside (this JVM, coreutils, python). The server is a separate JVM, so
 * a test can kill -9 it. {@link #close} unmounts (forcibly if the server is dead) and waits for
 * the server to exit; {@link #fsck} checks the image after an unmount.
 *
 * <p>Needs FUSE: the first use runs scripts/setup-fuse, which installs fuse3 when it can (root
 * with apt-get) and otherwise fails the test with the command to run.
 */
public final class FuseMount implements AutoCloseable {
    private static final Pattern PID = Pattern.compile("server pid (\\d+)");
    private static volatile boolean setUp;

    public final Path dir;
    public final Path image;
    public final Path mnt;
    public final Path log;
    private long pid = -1;

    private FuseMount(Path dir) throws IOException {
        this.dir = dir;
        this.image = dir.resolve("fs.img");
        this.mnt = dir.resolve("mnt");
        this.log = dir.resolve("server.log");
        Files.createDirectories(mnt);
    }

    /** Makes an image of {@code size} (e.g. "256M") in {@code dir} and mounts it; extra args go to `daxfs mount`. */
    public static FuseMount create(Path dir, String size, String... extra) throws IOException {
        setUpFuse();
        FuseMount m = new FuseMount(dir);
        List<String> args = new ArrayList<>(List.of("--create", "--size", size));
        args.addAll(List.of(extra));
        m.start(args);
        return m;
    }

    /** Mounts the image again (after {@link #unmount} or {@link #kill9}). */
    public void remount(String... extra) {
        start(List.of(extra));
    }

    private void start(List<String> extra) {
        List<String> args = new ArrayList<>(List.of("mount", image.toString(), mnt.toString(), "--background",
                "--log", log.toString()));
        args.addAll(extra);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new CliEnv(out, err, false, false), args.toArray(String[]::new));
        String o = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, () -> "daxfs mount failed: " + o + err.toString(StandardCharsets.UTF_8) + serverLog());
        Matcher x = PID.matcher(o);
        assertTrue(x.find(), o);
        pid = Long.parseLong(x.group(1));
        assertTrue(DaxFuse.isFuseMounted(mnt));
    }

    public long serverPid() {
        return pid;
    }

    public Path path(String name) {
        return mnt.resolve(name);
    }

    /** `fusermount3 -u`, then waits for the server to close the image and exit. */
    public void unmount() throws IOException, InterruptedException {
        Proc.run(30, "fusermount3", "-u", mnt.toString()).assertOk();
        awaitServerExit(60);
        assertTrue(serverLog().contains("closed cleanly"), this::serverLog);
    }

    /** SIGKILL to the server, then clears the dead mount (what a user does after a crash). */
    public void kill9() throws InterruptedException {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        h.ifPresent(ProcessHandle::destroyForcibly);
        awaitServerExit(30);
        Proc.run(30, "fusermount3", "-u", "-z", mnt.toString());
    }

    private void awaitServerExit(int seconds) throws InterruptedException {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isPresent()) {
            try {
                h.get().onExit().get(seconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                fail("mount server " + pid + " did not exit within " + seconds + " s\n" + serverLog());
            }
        }
        pid = -1;
    }

    /** fsck of the image (the server must have exited). */
    public FsckReport fsck() throws Exception {
        return DaxFileSystem.fsck(image, false, io.daxfs.types.ProgressListener.NONE);
    }

    public String serverLog() {
        try {
            return Files.exists(log) ? "\n--- server log\n" + Files.readString(log) : "\n(no server log)";
        } catch (IOException e) {
            return "\n(server log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws Exception {
        if (pid > 0 && DaxFuse.isFuseMounted(mnt)) {
            Proc r = Proc.run(30, "fusermount3", "-u", mnt.toString());
            if (r.exit() != 0) {
                Proc.run(30, "fusermount3", "-u", "-z", mnt.toString());
            }
        }
        if (pid > 0) {
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isPresent() && !h.get().onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).isDone()) {
                h.get().destroyForcibly();
            }
            pid = -1;
        }
    }

    /** Runs scripts/setup-fuse once per JVM; fails with its message when FUSE cannot be had. */
    static synchronized void setUpFuse() {
        if (setUp) {
            return;
        }
        Path script = projectRoot().resolve("scripts/setup-fuse");
        Proc r = Proc.run(600, script.toString());
        if (r.exit() != 0) {
            fail("FUSE is not usable here: " + r.output().trim());
        }
        setUp = true;
    }

    static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/setup-fuse"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no scripts/setup-fuse above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
