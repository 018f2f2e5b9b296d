package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An image file mapped whole with {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}.
 *
 * <p>On a host file system mounted with DAX the mapping is made with
 * {@code ExtendedMapMode.READ_WRITE_SYNC} (MAP_SYNC): the page tables then point at persistent
 * memory and {@link #persist} is a cache-line write-back ({@code MemorySegment.force} uses
 * CLWB/CLFLUSHOPT on such a mapping). Elsewhere the MAP_SYNC attempt fails with EOPNOTSUPP, which
 * is expected and silent, and the mapping is an ordinary shared file mapping whose
 * {@link #persist} is an {@code msync(MS_SYNC)} of the enclosing pages.
 *
 * <p>The image's length is the device size: a positive multiple of 4096, anything else is
 * EMEDIUMTYPE (most likely a truncated copy). The file is not resized by opening. A new image is
 * preallocated by default: its space is reserved on the host when it is created, so a host file
 * system too small for it fails then, with ENOSPC. Images may instead be sparse and far larger
 * than memory: only touched pages cost memory or disk, and a store to a hole when the host file
 * system is full raises SIGBUS in the kernel, which the JDK reports as an {@link InternalError}
 * from the access: a media error (see {@link MediaErrors}).
 *
 * <p>A read-only device maps with MapMode.READ_ONLY: stores throw, the file is never written, and
 * {@link #persist} does nothing. {@link #close()} unmaps (idempotent); the file descriptor is
 * closed as soon as the mapping exists.
 */
public final class ImageFileDevice implements Device {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final boolean readOnly;
    private final boolean sync;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A descriptor to punch holes with, for a writable sparse image; -1 otherwise. */
    private final int punchFd;

    /** A descriptor to map ranges of the image with ({@link #remapFd}); -1 if it could not be opened. */
    private final int remapFd;

    private ImageFileDevice(Path path, Arena arena, MemorySegment segment, boolean readOnly, boolean sync) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.readOnly = readOnly;
        this.sync = sync;
        this.punchFd = readOnly ? -1 : sparseFd(path, segment.byteSize());
        this.remapFd = openQuietly(path, readOnly ? Libc.O_RDONLY : Libc.O_RDWR);
    }

    private static int openQuietly(Path path, int mode) {
        try {
            return Libc.open(path, mode | Libc.O_CLOEXEC);
        } catch (DaxException e) {
            return -1; // only mapping a file into one segment needs it, and says so when asked
        }
    }

    @Override
    public int remapFd() {
        return remapFd;
    }

    /**
     * A descriptor of {@code path} when the image is sparse (the host holds less of it than its
     * size: it was made with --sparse), so that freed blocks go back to the host too; -1 for a
     * preallocated image, whose space stays reserved as its owner asked. (Not SEEK_HOLE: the host
     * may report preallocated but unwritten space as a hole.)
     */
    private static int sparseFd(Path path, long size) {
        try {
            int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC);
            if (Libc.allocatedBytes(fd, path.toString()) < size) {
                return fd;
            }
            Libc.close(fd);
        } catch (DaxException e) {
            // Discarding is a courtesy to the host: without it the image only stays as large.
        }
        return -1;
    }

    @Override
    public boolean discardsFreedSpace() {
        return punchFd >= 0;
    }

    @Override
    public void discard(long offset, long length) throws DaxException {
        Devices.checkRange(this, offset, length);
        if (punchFd >= 0 && length > 0) {
            Libc.punchHole(punchFd, offset, length, path.toString());
        }
    }

    /**
     * Creates (or replaces) an image of {@code size} bytes and maps it read-write. Existing
     * contents are discarded; the new image reads as zeros. Unless {@code sparse}, its space is
     * reserved on the host file system first (posix_fallocate), and too little space there is a
     * one-line ENOSPC that leaves no image behind; a sparse image occupies no blocks until
     * written.
     */
    public static ImageFileDevice create(Path path, long size, boolean sparse) throws DaxException {
        if (size <= 0 || (size & 4095) != 0) {
            throw new DaxException(Errno.EINVAL, "image size must be a positive multiple of 4096: " + size);
        }
        if (Files.isDirectory(path)) {
            throw new DaxException(Errno.EISDIR, path + ": is a directory, not an image file");
        }
        try {
            // Create or truncate through NIO first: it reports a missing parent directory or a
            // permission problem as typed exceptions, which RandomAccessFile does not.
            Files.write(path, new byte[0]);
            if (sparse) {
                // Growing with ftruncate (setLength) allocates nothing: the whole image is one hole.
                try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                    f.setLength(size);
                }
            }
        } catch (IOException e) {
            throw Devices.ioError(path, e);
        }
        if (!sparse) {
            preallocate(path, size);
        }
        return open(path, false);
    }

    /**
     * Reserves {@code size} bytes for the empty image at {@code path}, growing it to that size;
     * on failure deletes it.
     */
    private static void preallocate(Path path, long size) throws DaxException {
        try {
            reserve(path, size);
        } catch (DaxException | RuntimeException | Error e) {
            deleteHalfMade(path, e);
            throw e;
        } catch (IOException e) {
            deleteHalfMade(path, e);
            throw Devices.ioError(path, e);
        }
    }

    /**
     * A request beyond the host file system's usable space is refused before any block is
     * taken, rather than filling the host disk only to give it all back.
     */
    private static void reserve(Path path, long size) throws DaxException, IOException {
        long usable = Files.getFileStore(path).getUsableSpace();
        if (size > usable) {
            throw noSpace(path, size, Devices.bytes(usable) + " free there");
        }
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC);
        try {
            Libc.fallocate(fd, 0, size, path.toString());
        } catch (DaxException e) {
            throw e.errno() == Errno.ENOSPC ? noSpace(path, size, "no space left on device") : e;
        } finally {
            Libc.close(fd);
        }
    }

    private static DaxException noSpace(Path path, long size, String why) {
        return new DaxException(Errno.ENOSPC, path + ": cannot reserve " + Devices.bytes(size)
                + " for the image on the host file system: " + why);
    }

    private static void deleteHalfMade(Path path, Throwable failure) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Maps an existing image file. Its length must be a positive multiple of 4096. */
    public static ImageFileDevice open(Path path, boolean readOnly) throws DaxException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException e) {
            throw Devices.ioError(path, e);
        }
        if (attrs.isDirectory()) {
            throw new DaxException(Errno.EISDIR, path + ": is a directory, not an image file");
        }
        if (!attrs.isRegularFile()) {
            throw new DaxException(Errno.EINVAL, path + ": not a regular file (an image) or a device-DAX device (/dev/daxX.Y)");
        }
        Arena arena = Arena.ofShared();
        FileChannel ch = null;
        try {
            ch = readOnly
                    ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            ImageLock lock = ImageLock.acquire(path, readOnly);
            arena = closingWith(arena, lock);
            long size = ch.size();
            if (size < 4096 || (size & 4095) != 0) {
                throw new DaxException(Errno.EMEDIUMTYPE,
                        path + ": image size " + size + " is not a positive multiple of 4096 (truncated image?)");
            }
            if (readOnly) {
                return new ImageFileDevice(path, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), true, false);
            }
            MemorySegment seg = Devices.tryMapSync(ch, size, arena);
            if (seg != null) {
                return new ImageFileDevice(path, arena, seg, false, true);
            }
            return new ImageFileDevice(path, arena, ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena), false, false);
        } catch (DaxException e) {
            closeQuietly(arena, ch);
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(arena, ch);
            throw Devices.ioError(path, e);
        } finally {
            closeQuietly(null, ch); // the mapping outlives the channel; the lock has a channel of its own
        }
    }

    /** An arena whose close also releases the image lock: the lock lives exactly as long as the mapping. */
    private static Arena closingWith(Arena arena, ImageLock lock) {
        return new Arena() {
            @Override
            public MemorySegment allocate(long byteSize, long byteAlignment) {
                return arena.allocate(byteSize, byteAlignment);
            }

            @Override
            public MemorySegment.Scope scope() {
                return arena.scope();
            }

            @Override
            public void close() {
                try {
                    arena.close();
                } finally {
                    lock.close();
                }
            }
        };
    }

    private static void closeQuietly(Arena arena, FileChannel ch) {
        try {
            if (arena != null) {
                arena.close();
            }
        } catch (RuntimeException ignored) {
            // already closed
        }
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing was mapped or locked that outlives the channel
            }
        }
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public long size() {
        return segment.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void persist(long offset, long length) {
        Devices.checkRange(this, offset, length);
        if (readOnly || length == 0) {
            return;
        }
        // force() on a slice: msync of the enclosing pages, or cache-line write-back under MAP_SYNC.
        Devices.inPieces(offset, length, (o, l) -> segment.asSlice(o, l).force());
    }

    @Override
    public void fence() {
        // persist() is synchronous (msync returns after write-back; force() on a MAP_SYNC
        // mapping ends with a store fence), so there is nothing left to order.
    }

    @Override
    public boolean isSynchronous() {
        return sync;
    }

    @Override
    public String describe() {
        return "image file " + path + (sync ? " (MAP_SYNC)" : "") + (readOnly ? " (read-only)" : "");
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                arena.close();
            } finally {
                if (punchFd >= 0) {
                    Libc.close(punchFd);
                }
                if (remapFd >= 0) {
                    Libc.close(remapFd);
                }
            }
        }
    }
}
