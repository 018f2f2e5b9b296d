package io.daxfs.device;

import io.daxfs.api.DaxException;
import io.daxfs.api.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
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

    static void checkRange(Device d, long offset, long length) {
        if (offset < 0 || length < 0 || offset > d.size() - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") outside device of " + d.size());
        }
    }

    /** Maps with MAP_SYNC where the host file system supports it; null where it does not. */
    static MemorySegment tryMapSync(FileChannel ch, long size, Arena arena) {
        try {
            return ch.map(jdk.nio.mapmode.ExtendedMapMode.READ_WRITE_SYNC, 0, size, arena);
        } catch (IOException | UnsupportedOperationException e) {
            return null; // not a DAX file system: EOPNOTSUPP from mmap
        }
    }

    static DaxException ioError(Path path, Exception e) {
        if (e instanceof AccessDeniedException) {
            return new DaxException(Errno.EACCES, path + ": permission denied", e);
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new DaxException(Errno.EIO, path + ": " + msg, e);
    }
}
