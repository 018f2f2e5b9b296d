package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opening devices by name, and checks shared by the backends. */
public final class Devices {
    private Devices() {
    }

    /**
     * Opens the device named by {@code path}: a device-DAX character device ({@code /dev/daxX.Y})
     * or an image file.
     */
    public static Device open(Path path, boolean readOnly) throws DaxException {
        if (DevDaxDevice.isDevDax(path)) {
            return DevDaxDevice.open(path, readOnly);
        }
        return ImageFileDevice.open(path, readOnly);
    }

    /**
     * The most bytes one native write-back or fill call covers (1 MiB). Such calls run to the end
     * without a safepoint: a longer one would hold up every garbage collection and every Arena
     * close in the JVM until it returns. Between pieces the JVM may stop the thread.
     */
    public static final long PIECE = 1L << 20;

    /** Zeroes {@code [offset, offset + length)} of {@code segment}, in pieces of at most {@link #PIECE}. */
    public static void zero(MemorySegment segment, long offset, long length) {
        for (long done = 0; done < length; done += PIECE) {
            segment.asSlice(offset + done, Math.min(PIECE, length - done)).fill((byte) 0);
        }
    }

    /** {@code n} bytes for a message: "64 MiB", "1.5 GiB", "4096 bytes". */
    static String bytes(long n) {
        if (n >= 1L << 30) {
            return n % (1L << 30) == 0 ? (n >> 30) + " GiB" : String.format(java.util.Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return n % (1L << 20) == 0 ? (n >> 20) + " MiB" : String.format(java.util.Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        }
        return n + " bytes";
    }

    /** A range of a device, in bytes. */
    @FunctionalInterface
    interface Range {
        void accept(long offset, long length);
    }

    /** Hands {@code [offset, offset + length)} to {@code action} in pieces of at most {@link #PIECE}. */
    static void inPieces(long offset, long length, Range action) {
        for (long done = 0; done < length; done += PIECE) {
            action.accept(offset + done, Math.min(PIECE, length - done));
        }
    }

    static void checkRange(Device d, long offset, long length) {
        if (offset < 0 || length < 0 || offset > d.size() - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") outside device of " + d.size());
        }
    }

    /**
     * Maps with MAP_SYNC where the host file system supports it; null where it does not. The
     * failure is the normal case (every file system not mounted with dax), so it is silent.
     */
    static MemorySegment tryMapSync(FileChannel ch, long size, Arena arena) {
        try {
            return ch.map(jdk.nio.mapmode.ExtendedMapMode.READ_WRITE_SYNC, 0, size, arena);
        } catch (IOException | UnsupportedOperationException e) {
            // IOException: mmap said EOPNOTSUPP (not a DAX file system). Unsupported: this JDK
            // has no write-back support on this platform, so it refuses MAP_SYNC up front.
            return null;
        }
    }

    /** Translates an I/O failure on {@code path} into the errno a POSIX call would have reported. */
    static DaxException ioError(Path path, Exception e) {
        if (e instanceof NoSuchFileException) {
            return new DaxException(Errno.ENOENT, path + ": no such file or directory", e);
        }
        if (e instanceof AccessDeniedException) {
            return new DaxException(Errno.EACCES, path + ": permission denied", e);
        }
        if (e.getCause() instanceof OutOfMemoryError) {
            // FileChannel.map reports mmap's ENOMEM (address space or overcommit limit) this way.
            return new DaxException(Errno.ENOMEM, path + ": cannot map: " + e.getCause().getMessage(), e);
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new DaxException(Errno.EIO, path + ": " + msg, e);
    }
}
