package io.daxfs.fuse.lowlevel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binding's one hard rule: nothing a callback throws may reach native code (the JVM would
 * end). A callback that throws is answered with EIO and logged; the mount keeps serving.
 * Operations a file system does not implement answer ENOSYS. Mounted in-process; the checks
 * run through the kernel (java.nio on the mount point).
 */
class DispatcherSpec {
    @TempDir
    Path tmp;

    /** A root directory holding "ok" (a file) and "boom" (whose lookup throws). */
    private static final class Throwing implements FuseOperations {
        @Override
        public void lookup(FuseRequest r, long parent, String name) {
            switch (name) {
                case "ok" -> r.replyEntry(2, new Structs.Attr(2, 0100644, 1, 0, 0, 5, 8, 0, 0, 0), 0, 0);
                case "boom" -> throw new IllegalStateException("a bug in the file system");
                case "error" -> throw new OutOfMemoryError("simulated");
                default -> r.replyErr(2);
            }
        }

        @Override
        public void getattr(FuseRequest r, long ino, FileInfo fi) {
            r.replyAttr(ino == 1 ? new Structs.Attr(1, 040755, 2, 0, 0, 0, 0, 0, 0, 0)
                    : new Structs.Attr(2, 0100644, 1, 0, 0, 5, 8, 0, 0, 0), 0);
        }
    }

    @Test
    void aThrowingCallbackIsAnsweredWithEioAndTheMountKeepsServing() throws Exception {
        FuseTestSupport.setUpFuse();
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        List<String> log = new CopyOnWriteArrayList<>();
        FuseSession s = FuseSession.mount(new Throwing(), mnt, List.of("fsname=dispatcher-test"), log::add);
        Thread loop = new Thread(() -> s.loop(2), "test-fuse-loop");
        loop.start();
        try {
            FileSystemException boom = assertThrows(FileSystemException.class, () -> Files.readAttributes(mnt.resolve("boom"),
                    "unix:mode"));
            assertTrue(boom.getMessage().contains("Input/output error"), boom.getMessage());
            assertThrows(FileSystemException.class, () -> Files.size(mnt.resolve("error")));
            assertEquals(5, Files.size(mnt.resolve("ok")), "still serving after the failures");
            assertThrows(NoSuchFileException.class, () -> Files.size(mnt.resolve("missing")));
            // Not implemented here: mkdir answers ENOSYS ("Function not implemented").
            IOException nosys = assertThrows(IOException.class, () -> Files.createDirectory(mnt.resolve("d")));
            assertTrue(String.valueOf(nosys.getMessage()).contains("not implemented"), nosys.toString());
            assertEquals(2, s.failures());
            assertTrue(log.stream().anyMatch(l -> l.contains("lookup failed") && l.contains("a bug in the file system")),
                    log.toString());
        } finally {
            s.exit();
            loop.join(30_000);
            assertFalse(loop.isAlive(), "the loop ended after exit()");
            s.close();
        }
        assertFalse(FuseSession.isFuseMounted(mnt));
    }
}
