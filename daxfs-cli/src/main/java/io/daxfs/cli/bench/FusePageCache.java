package io.daxfs.cli.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Evicts a file's pages from the kernel page cache with {@code posix_fadvise(POSIX_FADV_DONTNEED)}
 * on a descriptor of its own (the page cache belongs to the inode, so any descriptor will do).
 * Through a FUSE mount this makes the next read of those pages a request to the server again.
 * Clean, unmapped pages only: dirty pages are written back first, which a write-through FUSE
 * mount never has.
 */
final class FusePageCache implements AutoCloseable {
    private static final int O_RDONLY = 0;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final MethodHandle OPEN;
    private static final MethodHandle FADVISE;
    private static final MethodHandle CLOSE;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        OPEN = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
        FADVISE = linker.downcallHandle(libc.find("posix_fadvise").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
        CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private final Path path;
    private final int fd;

    private FusePageCache(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    static FusePageCache open(Path file) throws IOException {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toString()), O_RDONLY, 0);
        } catch (Throwable t) {
            throw new IOException(file + ": open for posix_fadvise failed: " + t, t);
        }
        if (fd < 0) {
            throw new IOException(file + ": open for posix_fadvise failed");
        }
        return new FusePageCache(file, fd);
    }

    /** Drops {@code [pos, pos + len)} from the page cache; {@code len} 0 means to the end of the file. */
    void evict(long pos, long len) throws IOException {
        int rc;
        try {
            rc = (int) FADVISE.invokeExact(fd, pos, len, POSIX_FADV_DONTNEED);
        } catch (Throwable t) {
            throw new IOException(path + ": posix_fadvise failed: " + t, t);
        }
        if (rc != 0) {
            throw new IOException(path + ": posix_fadvise(DONTNEED) failed with error " + rc);
        }
    }

    @Override
    public void close() {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // nothing left to do about a failed close of a read-only descriptor
        }
    }
}
