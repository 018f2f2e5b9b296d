package io.daxfs.fuse;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.fuse.lowlevel.FuseTestSupport;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module's entry point, in-process: a file system mounted and served through {@link DaxFuse}
 * answers through the kernel, with daxfs's errno for what fails; failures to mount are
 * DaxExceptions with the errno that says why.
 */
class DaxFuseSpec {
    @TempDir
    Path tmp;

    @Test
    void aMountedFileSystemServesUntilExitAndAnswersFailuresWithTheirErrno() throws Exception {
        FuseTestSupport.setUpFuse();
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        List<String> log = new CopyOnWriteArrayList<>();
        DaxFileSystem fs = DaxFileSystem.formatMemory(64 << 20);
        try {
            DaxFuse m = DaxFuse.mount(fs, "daxfs:spec", mnt, DaxFuse.Options.defaults().withReadahead(0), log::add);
            AtomicInteger result = new AtomicInteger(-1);
            Thread loop = new Thread(() -> result.set(m.serve()), "test-fuse-serve");
            loop.start();
            try {
                assertTrue(DaxFuse.isFuseMounted(mnt));
                Files.writeString(mnt.resolve("a.txt"), "served by daxfs");
                assertEquals("served by daxfs", Files.readString(mnt.resolve("a.txt")));
                // Errors are daxfs's errno, answered by the dispatcher: ENOENT, ENOTEMPTY.
                assertThrows(NoSuchFileException.class, () -> Files.size(mnt.resolve("missing")));
                Files.createDirectories(mnt.resolve("d/e"));
                assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(mnt.resolve("d")));
                // An unlinked file stays readable through its open descriptor.
                try (FileChannel ch = FileChannel.open(mnt.resolve("a.txt"), StandardOpenOption.READ)) {
                    Files.delete(mnt.resolve("a.txt"));
                    ByteBuffer b = ByteBuffer.allocate(64);
                    ch.read(b, 0);
                    assertEquals("served by daxfs", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
                }
                assertEquals(0, m.failures(), log.toString());
            } finally {
                m.requestExit();
                loop.join(30_000);
                assertFalse(loop.isAlive(), "serve returned after requestExit");
                m.close();
            }
            assertEquals(0, result.get());
            assertFalse(DaxFuse.isFuseMounted(mnt));
        } finally {
            fs.close();
        }
    }

    @Test
    void mountFailuresAreDaxExceptionsWithTheErrnoThatSaysWhy() throws Exception {
        FuseTestSupport.setUpFuse();
        Path file = Files.writeString(tmp.resolve("file"), "x");
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        DaxFileSystem fs = DaxFileSystem.formatMemory(16 << 20);
        try {
            assertEquals(Errno.ENOENT, mountFails(fs, tmp.resolve("nowhere"), List.of()).errno());
            assertEquals(Errno.ENOTDIR, mountFails(fs, file, List.of()).errno());
            DaxException refused = mountFails(fs, mnt, List.of("no_such_option"));
            assertEquals(Errno.EINVAL, refused.errno());
            assertTrue(refused.getMessage().contains("libfuse refused the mount options"), refused.getMessage());
            assertFalse(DaxFuse.isFuseMounted(mnt));
        } finally {
            fs.close();
        }
    }

    private static DaxException mountFails(DaxFileSystem fs, Path mnt, List<String> fuseOptions) {
        return assertThrows(DaxException.class, () -> DaxFuse.mount(fs, "daxfs:spec", mnt,
                DaxFuse.Options.defaults().withFuseOptions(fuseOptions), line -> { }));
    }
}
