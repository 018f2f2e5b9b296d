package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.ProgressListener;
import io.daxfs.device.MemoryDevice;

/**
 * Which parts of daxfs-core are implemented yet. While a part is a skeleton that answers ENOSYS,
 * tests that need it are skipped rather than failed; they run as soon as it lands.
 */
public final class CoreStatus {
    private static Boolean fileSystem;
    private static Boolean fsck;

    private CoreStatus() {
    }

    /** True when format, mount and file operations work. */
    public static synchronized boolean fileSystemReady() {
        if (fileSystem == null) {
            fileSystem = implemented(() -> {
                try (DaxFileSystem fs = DaxFileSystem.format(MemoryDevice.allocate(64 << 20), FormatOptions.DEFAULT)) {
                    fs.mkdir("/probe");
                }
            });
        }
        return fileSystem;
    }

    /** True when fsck works. */
    public static synchronized boolean fsckReady() {
        if (fsck == null) {
            // An unformatted device: a real fsck reports or refuses it; only the skeleton says ENOSYS.
            fsck = implemented(() -> {
                try (MemoryDevice device = MemoryDevice.allocate(1 << 20)) {
                    DaxFileSystem.fsck(device, false, ProgressListener.NONE);
                }
            });
        }
        return fsck;
    }

    private interface Probe {
        void run() throws DaxException;
    }

    private static boolean implemented(Probe probe) {
        try {
            probe.run();
            return true;
        } catch (DaxException e) {
            return e.errno() != Errno.ENOSYS;
        }
    }
}
