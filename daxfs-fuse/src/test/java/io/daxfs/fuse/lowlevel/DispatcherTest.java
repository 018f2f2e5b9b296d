package io.daxfs.fuse.lowlevel;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
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
 * The dispatcher turns what an operation throws into its reply, and nothing thrown may reach
 * native code (the JVM would end). A DaxException is answered with its errno, like an explicit
 * error reply, and is not a failure; anything else is answered with EIO and logged, and the
 * mount keeps serving; a DaxException after the reply went out is logged, and the reply stands.
 * Operations a file system does not implement answer ENOSYS. Mounted in-process; the checks run
 * through the kernel (java.nio on the mount point).
 */
class DispatcherTest {
    @TempDir
    Path tmp;

    /**
     * A root directory holding "ok" (a file); looking up "boom", "error", "gone", "denied" and
     * "late" throws, and any other name is answered ENOENT by an explicit reply.
     */
    private static final class Throwing implements FuseOperations {
        private static final Structs.Attr OK = new Structs.Attr(2, 0100644, 1, 0, 0, 5, 8, 0, 0, 0);

        @Override
        public void lookup(FuseRequest r, long parent, String name) throws DaxException {
            switch (name) {
                case "ok" -> r.replyEntry(2, OK, 0, 0);
                case "boom" -> throw new IllegalStateException("a bug in the file system");
                case "error" -> throw new OutOfMemoryError("simulated");
                case "gone" -> throw new DaxException(Errno.ENOENT, "gone: thrown, not replied");
                case "denied" -> throw new DaxException(Errno.EACCES, "denied: thrown, not replied");
                case "late" -> {
                    r.replyEntry(2, OK, 0, 0);
                    throw new DaxException(Errno.EIO, "late: thrown after the reply");
                }
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
            // Thrown DaxExceptions: the dispatcher replies with their errno; not failures, not logged.
            assertThrows(NoSuchFileException.class, () -> Files.size(mnt.resolve("gone")));
            assertThrows(AccessDeniedException.class, () -> Files.size(mnt.resolve("denied")));
            // Not implemented here: mkdir answers ENOSYS ("Function not implemented").
            IOException nosys = assertThrows(IOException.class, () -> Files.createDirectory(mnt.resolve("d")));
            assertTrue(String.valueOf(nosys.getMessage()).contains("not implemented"), nosys.toString());
            assertEquals(2, s.failures());
            assertTrue(log.stream().anyMatch(l -> l.contains("lookup failed") && l.contains("a bug in the file system")),
                    log.toString());
            assertFalse(log.stream().anyMatch(l -> l.contains("thrown, not replied")), log.toString());
            // After its reply an exception cannot be the answer: the reply stands, the exception is a failure.
            assertEquals(5, Files.size(mnt.resolve("late")));
            // The worker counts the failure after its reply has woken this thread: wait for it.
            for (long deadline = System.nanoTime() + 10_000_000_000L; s.failures() < 3 && System.nanoTime() < deadline; ) {
                Thread.sleep(10);
            }
            assertEquals(3, s.failures());
            assertTrue(log.stream().anyMatch(l -> l.contains("lookup failed") && l.contains("late: thrown after the reply")),
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
