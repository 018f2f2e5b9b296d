package io.daxfs.api;

import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.fs.VolumeFormatter;
import io.daxfs.dax.DaxHooks;
import io.daxfs.dax.DaxLayer;
import io.daxfs.device.Device;
import io.daxfs.fs.OpenFile;
import io.daxfs.fs.Volume;
import io.daxfs.types.DaxException;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;

/**
 * The tests' door to what the public API keeps to itself: file systems on a given {@link Device}
 * (a recording device for crash tests, a device kept across unmounts), DAX hooks that force
 * interleavings, and the layers behind the facade. It lives in test sources, so no user of the
 * library can call it; main code has these as package-private members of the API classes.
 */
public final class Internals {
    private Internals() {
    }

    /** Formats {@code device} and mounts it; the file system closes the device on close. */
    public static DaxFileSystem format(Device device, FormatOptions options) throws DaxException {
        return DaxFileSystem.format(device, options);
    }

    /** Mounts an already formatted device, taking ownership of it. */
    public static DaxFileSystem mount(Device device, MountOptions options) throws DaxException {
        return DaxFileSystem.mount(device, options, DaxHooks.NONE);
    }

    /** As {@link #mount(Device, MountOptions)}, calling {@code hooks} at the DAX layer's entry-lock points. */
    public static DaxFileSystem mount(Device device, MountOptions options, DaxHooks hooks) throws DaxException {
        return DaxFileSystem.mount(device, options, hooks);
    }

    /**
     * Formats {@code device} and mounts it with no commit timer, so that the only commits are
     * the ones the test makes (or forces through a hook).
     */
    public static DaxFileSystem mountWithoutCommitTimer(Device device) throws DaxException {
        VolumeFormatter.format(device, FormatOptions.DEFAULT);
        return mount(device, MountOptions.DEFAULT.withCommitIntervalMs(0));
    }

    /** Mounts a copy of what {@code device} holds durably: what a power failure now would leave. */
    public static DaxFileSystem mountAfterPowerFailure(RecordingDevice device) throws DaxException {
        return mount(MemoryDevice.copyOf(device.durableImage()), MountOptions.DEFAULT);
    }

    /** Checks an unmounted device (repairing it when asked). */
    public static FsckReport fsck(Device device, boolean repair, ProgressListener progress) throws DaxException {
        return DaxFileSystem.fsck(device, repair, progress);
    }

    public static Device device(DaxFileSystem fs) {
        return fs.device();
    }

    public static Volume volume(DaxFileSystem fs) {
        return fs.volume();
    }

    public static DaxLayer dax(DaxFileSystem fs) {
        return fs.dax();
    }

    public static OpenFile openFile(DaxFile file) {
        return file.openFile();
    }
}
