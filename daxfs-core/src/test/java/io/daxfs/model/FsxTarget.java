package io.daxfs.model;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;
import io.daxfs.device.Device;
import io.daxfs.testutil.RetainedDevice;

import java.nio.file.Path;

/**
 * Where an fsx run's file system lives, and how it is unmounted and mounted again: in memory
 * (a device that outlives the file system's close) or in an image file. Between unmount and
 * mount, fsck checks the image when it is implemented (ENOSYS is remembered and skipped).
 */
public abstract class FsxTarget implements AutoCloseable {
    protected final long size;
    protected final MountOptions mountOptions;
    private boolean fsckAvailable = true;
    private long fsckRuns;

    protected FsxTarget(long size, MountOptions mountOptions) {
        this.size = size;
        this.mountOptions = mountOptions;
    }

    /** A device in memory; {@code commitIntervalMs} 0 keeps a run free of timing (replayable). */
    public static FsxTarget memory(long size, MountOptions options) {
        return new Memory(size, options);
    }

    /** An image file at {@code image}, created (or replaced) by {@link #format()}. */
    public static FsxTarget image(Path image, long size, MountOptions options) {
        return new Image(image, size, options);
    }

    /** Formats and mounts a fresh file system. */
    public abstract DaxFileSystem format() throws DaxException;

    /** Unmounts {@code fs} (closing its files), checks the image, and mounts it again. */
    public final DaxFileSystem remount(DaxFileSystem fs) throws DaxException {
        fs.close();
        if (fsckAvailable) {
            try {
                FsckReport report = fsck();
                fsckRuns++;
                if (!report.clean()) {
                    throw new AssertionError("fsck after a clean unmount found problems: " + report.problems());
                }
            } catch (DaxException e) {
                if (e.errno() != Errno.ENOSYS) {
                    throw e;
                }
                fsckAvailable = false;
            }
        }
        return mount();
    }

    /** How many times fsck ran (0 while it is not implemented). */
    public long fsckRuns() {
        return fsckRuns;
    }

    protected abstract FsckReport fsck() throws DaxException;

    protected abstract DaxFileSystem mount() throws DaxException;

    public abstract String describe();

    @Override
    public abstract void close();

    private static final class Memory extends FsxTarget {
        private final RetainedDevice retained;

        Memory(long size, MountOptions options) {
            super(size, options);
            this.retained = RetainedDevice.allocateFreeable(size);
        }

        @Override
        public DaxFileSystem format() throws DaxException {
            return Internals.mount(formatted(), mountOptions);
        }

        private Device formatted() throws DaxException {
            Internals.format(retained, FormatOptions.DEFAULT).close();
            return retained;
        }

        @Override
        protected FsckReport fsck() throws DaxException {
            return Internals.fsck(retained, false, ProgressListener.NONE);
        }

        @Override
        protected DaxFileSystem mount() throws DaxException {
            return Internals.mount(retained, mountOptions);
        }

        @Override
        public String describe() {
            return "memory device of " + (size >> 20) + " MiB";
        }

        @Override
        public void close() {
            retained.free();
        }
    }

    private static final class Image extends FsxTarget {
        private final Path path;

        Image(Path path, long size, MountOptions options) {
            super(size, options);
            this.path = path;
        }

        @Override
        public DaxFileSystem format() throws DaxException {
            // Sparse, as images were before mkfs preallocated: the run then also covers the
            // punching of freed blocks out of the image and their reuse.
            DaxFileSystem.format(path, size, FormatOptions.DEFAULT.withSparse(true)).close();
            return mount();
        }

        @Override
        protected FsckReport fsck() throws DaxException {
            return DaxFileSystem.fsck(path, false, ProgressListener.NONE);
        }

        @Override
        protected DaxFileSystem mount() throws DaxException {
            return DaxFileSystem.mount(path, mountOptions);
        }

        @Override
        public String describe() {
            return "image " + path + " of " + (size >> 20) + " MiB";
        }

        @Override
        public void close() {
        }
    }
}
