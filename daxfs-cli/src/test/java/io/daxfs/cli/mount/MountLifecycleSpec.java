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

    @Test
    void sigtermUnmountsAndClosesTheImageCleanly() throws Exception {
        try (FuseMount m = FuseMount.create(tmp, "64M")) {
            Files.writeString(m.path("a"), "x".repeat(10_000));
            long pid = m.serverPid();
            ProcessHandle.of(pid).orElseThrow().destroy(); // SIGTERM
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
            assertFalse(io.daxfs.fuse.lowlevel.FuseSession.isFuseMounted(m.mnt));
            assertTrue(Files.readString(m.log).contains("closed cleanly"), m.serverLog());
            assertTrue(m.fsck().clean());
        }
    }
}
