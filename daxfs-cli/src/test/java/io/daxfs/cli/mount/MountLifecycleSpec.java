package io.daxfs.cli.mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `daxfs mount --background`: ready when it returns, stopped by fusermount3 -u or SIGTERM, image clean after. */
class MountLifecycleSpec {
    @TempDir
    Path tmp;

    @Test
    void aMountServesFilesAndFusermountUnmountLeavesACleanImage() throws Exception {
        try (FuseMount m = FuseMount.create(tmp, "64M")) {
            Files.writeString(m.path("hello.txt"), "hello, daxfs");
            assertEquals("hello, daxfs", Files.readString(m.path("hello.txt")));
            m.unmount();
            var report = m.fsck();
            assertTrue(report.clean(), report::toString);
            m.remount();
            assertEquals("hello, daxfs", Files.readString(m.path("hello.txt")));
        }
    }

    /**
     * FUSE requests name inodes by number alone: while the kernel holds a number (an open fd of
     * a deleted directory), no new file may get it, or the stale fd would reach that file. A
     * fresh image, so that the numbers freed here are the lowest reusable ones.
     */
    @Test
    void aNumberTheKernelStillHoldsIsNotGivenToANewFile() throws Exception {
        try (FuseMount m = FuseMount.create(tmp, "64M")) {
            Proc p = Proc.run(180, "python3", MountToolsSpec.toolsDir().resolve("lifetimes.py").toString(),
                    m.mnt.toString());
            assertTrue(p.exit() == 0 && p.output().contains("DONE"), p.output() + m.serverLog());
            m.unmount();
            var report = m.fsck();
            assertTrue(report.clean(), report::toString);
        }
    }

    /** name_to_handle_at / open_by_handle_at, as NFS export and handle-keeping daemons use them, across a remount. */
    @Test
    void fileHandlesOpenTheSameFileAfterARemountAndAreESTALEForADeletedOne() throws Exception {
        try (FuseMount m = FuseMount.create(tmp, "64M")) {
            String script = MountToolsSpec.toolsDir().resolve("handles.py").toString();
            String store = tmp.resolve("handles.txt").toString();
            Proc save = Proc.run(60, "python3", script, m.mnt.toString(), "save", store);
            assertTrue(save.exit() == 0 && save.output().contains("DONE"), save.output() + m.serverLog());
            m.unmount();
            m.remount();
            Proc open = Proc.run(60, "python3", script, m.mnt.toString(), "open", store);
            assertTrue(open.exit() == 0 && open.output().contains("DONE"), open.output() + m.serverLog());
        }
    }

    @Test
    void mountFailuresAreOneLineWithAnErrnoAndNoStackTrace() throws Exception {
        FuseMount.setUpFuse();
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Path image = tmp.resolve("fs.img");
        Files.write(tmp.resolve("junk.img"), new byte[1 << 20]);
        assertFails("ENOENT: " + image + ": no such image", "mount", image.toString(), mnt.toString());
        assertFails("ENOENT: " + tmp.resolve("nowhere") + ": mount point does not exist",
                "mount", image.toString(), tmp.resolve("nowhere").toString(), "--create", "--size", "16M");
        assertFails("EINVAL: --create needs --size", "mount", image.toString(), mnt.toString(), "--create");
        assertFails("EMEDIUMTYPE: not a daxfs image", "mount", tmp.resolve("junk.img").toString(), mnt.toString());
        assertFails("EINVAL: libfuse refused the mount options", "mount", image.toString(), mnt.toString(),
                "--create", "--size", "16M", "-o", "no_such_option");
        assertFalse(io.daxfs.fuse.DaxFuse.isFuseMounted(mnt));
    }

    private static void assertFails(String expected, String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = io.daxfs.cli.Cli.run(new io.daxfs.cli.CliEnv(out, err, false, false), args);
        String e = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(code != 0, "exit code for " + String.join(" ", args));
        String last = e.strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("daxfs: " + expected), "stderr: " + e);
        assertFalse(e.contains("\tat "), "no stack trace: " + e);
    }

    @Test
    void sigtermUnmountsAndClosesTheImageCleanly() throws Exception {
        try (FuseMount m = FuseMount.create(tmp, "64M")) {
            Files.writeString(m.path("a"), "x".repeat(10_000));
            long pid = m.serverPid();
            ProcessHandle.of(pid).orElseThrow().destroy(); // SIGTERM
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
            assertFalse(io.daxfs.fuse.DaxFuse.isFuseMounted(m.mnt));
            assertTrue(Files.readString(m.log).contains("closed cleanly"), m.serverLog());
            assertTrue(m.fsck().clean());
        }
    }
}
