package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxStats;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsStat;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;
import io.daxfs.types.RenameOption;

import io.daxfs.device.Device;
import io.daxfs.device.Devices;
import io.daxfs.device.ImageFileDevice;
import io.daxfs.device.MemoryDevice;
import io.daxfs.dax.DaxCounters;
import io.daxfs.dax.DaxHooks;
import io.daxfs.dax.DaxLayer;
import io.daxfs.fs.Mounter;
import io.daxfs.fs.Volume;
import io.daxfs.fs.VolumeFormatter;
import io.daxfs.fsck.Fsck;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A mounted daxfs file system: the entry point of the API.
 *
 * <pre>{@code
 * try (DaxFileSystem fs = DaxFileSystem.format(Path.of("demo.img"), 64 << 20)) {
 *     fs.mkdir("/logs");
 *     try (DaxFile f = fs.open("/logs/a", StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
 *         f.write(0, MemorySegment.ofArray("hello".getBytes()));
 *         f.fsync();
 *     }
 * }
 * }</pre>
 *
 * Paths are absolute, '/'-separated strings; symbolic links are followed except in the last
 * component of {@code lstat}, {@code unlink}, {@code rename}, {@code readlink} and (with
 * {@link java.nio.file.LinkOption#NOFOLLOW_LINKS}) {@code open}. Every method is thread-safe.
 * Errors are {@link DaxException}s carrying an {@link Errno}.
 */
public final class DaxFileSystem implements AutoCloseable {
    private final Volume volume;
    private final DaxLayer dax;
    private final DaxInodes inodes;

    private DaxFileSystem(Volume volume) {
        this(volume, DaxHooks.NONE);
    }

    private DaxFileSystem(Volume volume, DaxHooks hooks) {
        this.volume = volume;
        this.dax = DaxLayer.attach(volume, hooks);
        this.inodes = new DaxInodes(volume, dax);
    }

    /** The same file system by inode number (for FUSE's low-level API); see {@link DaxInodes}. */
    public DaxInodes inodes() {
        return inodes;
    }

    /**
     * Creates (or overwrites) an image file of {@code size} bytes, its space reserved on the host,
     * formats it and mounts it.
     */
    public static DaxFileSystem format(Path image, long size) throws DaxException {
        return format(image, size, FormatOptions.DEFAULT);
    }

    /**
     * As {@link #format(Path, long)}; the image is sparse when {@link FormatOptions#sparse()}.
     * Preallocation that finds too little space on the host fails with ENOSPC and leaves no
     * image behind.
     */
    public static DaxFileSystem format(Path image, long size, FormatOptions options) throws DaxException {
        Device device = ImageFileDevice.create(image, size, options.sparse());
        return formatOwned(device, options);
    }

    /**
     * Formats the whole of an existing device-DAX device ({@code /dev/daxX.Y}) or image file, at
     * its current size, and mounts it. Whatever was on it is lost.
     */
    public static DaxFileSystem formatDevice(Path device, FormatOptions options) throws DaxException {
        return formatOwned(Devices.open(device, false), options);
    }

    /**
     * Formats a file system in anonymous process memory and mounts it: as fast as daxfs gets,
     * and gone when it is closed (for tests, benchmarks and scratch space).
     */
    public static DaxFileSystem formatMemory(long size, FormatOptions options) throws DaxException {
        return formatOwned(MemoryDevice.allocate(size), options);
    }

    /** {@link #formatMemory(long, FormatOptions)} with the default options. */
    public static DaxFileSystem formatMemory(long size) throws DaxException {
        return formatMemory(size, FormatOptions.DEFAULT);
    }

    /**
     * Formats {@code device} and mounts it, taking ownership of the device (it is closed on
     * {@link #close()}). Internal: the public entry points name a path or memory.
     */
    static DaxFileSystem format(Device device, FormatOptions options) throws DaxException {
        return formatOwned(device, options);
    }

    private static DaxFileSystem formatOwned(Device device, FormatOptions options) throws DaxException {
        try {
            VolumeFormatter.format(device, options);
            return new DaxFileSystem(Mounter.mount(device, MountOptions.DEFAULT));
        } catch (DaxException | RuntimeException | Error e) {
            device.close();
            throw e;
        }
    }

    /** Mounts the image file or device-DAX device at {@code image}. */
    public static DaxFileSystem mount(Path image) throws DaxException {
        return mount(image, MountOptions.DEFAULT);
    }

    /**
     * Mounts {@code image}. The image is first opened read-only and validated (superblock,
     * journal, allocation maps); only a valid image is then reopened read-write, so a corrupt
     * image is refused without a single write to it.
     */
    public static DaxFileSystem mount(Path image, MountOptions options) throws DaxException {
        try (Device ro = Devices.open(image, true)) {
            Mounter.validate(ro);
        }
        Device device = Devices.open(image, options.readOnly());
        try {
            return new DaxFileSystem(Mounter.mount(device, options));
        } catch (DaxException | RuntimeException | Error e) {
            device.close();
            throw e;
        }
    }

    /**
     * Mounts an already opened device, taking ownership of it, with {@code hooks} called at the
     * entry-lock points of the DAX layer. Internal: tests force interleavings with the hooks.
     */
    static DaxFileSystem mount(Device device, MountOptions options, DaxHooks hooks) throws DaxException {
        try {
            return new DaxFileSystem(Mounter.mount(device, options), hooks);
        } catch (DaxException | RuntimeException | Error e) {
            device.close();
            throw e;
        }
    }

    /**
     * Checks the image at {@code image} without mounting it. Without {@code repair} nothing is
     * written (a pending journal is replayed in memory only).
     */
    public static FsckReport fsck(Path image, boolean repair, ProgressListener progress) throws DaxException {
        try (Device device = Devices.open(image, !repair)) {
            return Fsck.check(device, repair, progress);
        }
    }

    /** Checks an open, unmounted device. Internal: the public entry point names a path. */
    static FsckReport fsck(Device device, boolean repair, ProgressListener progress) throws DaxException {
        return Fsck.check(device, repair, progress);
    }

    /** Opens (and with CREATE/CREATE_NEW, creates with mode 0644) the regular file at {@code path}. */
    public DaxFile open(String path, OpenOption... options) throws DaxException {
        Objects.requireNonNull(path, "path");
        Args.options(options);
        return new DaxFile(volume.opener().open(path, 0644, options), dax);
    }

    /** Opens or creates {@code path}, giving a newly created file the permission bits {@code mode}. */
    public DaxFile open(String path, int mode, OpenOption... options) throws DaxException {
        Objects.requireNonNull(path, "path");
        Args.options(options);
        return new DaxFile(volume.opener().open(path, mode, options), dax);
    }

    public void mkdir(String path) throws DaxException {
        Objects.requireNonNull(path, "path");
        volume.creator().mkdir(path, 0755);
    }

    public void mkdir(String path, int mode) throws DaxException {
        Objects.requireNonNull(path, "path");
        volume.creator().mkdir(path, mode);
    }

    /**
     * Creates a FIFO, socket or device node at {@code path} ({@code mode}: its type bits and
     * permissions, as mknod(2) takes them; {@code rdev}: a device's number as makedev gives it,
     * ignored for FIFOs and sockets). daxfs stores the type and number; opening one is the
     * kernel's business (through a FUSE mount), and {@link #open} refuses it with ENXIO.
     */
    public void mknod(String path, int mode, long rdev) throws DaxException {
        Objects.requireNonNull(path, "path");
        volume.creator().mknod(path, mode, rdev);
    }

    /** Removes an empty directory (ENOTEMPTY otherwise). */
    public void rmdir(String path) throws DaxException {
        Objects.requireNonNull(path, "path");
        volume.unlinker().rmdir(path);
    }

    /** All entries of a directory except "." and "..", in cookie order. */
    public List<DirEntry> readdir(String path) throws DaxException {
        Objects.requireNonNull(path, "path");
        return volume.lookup().readdir(path, 0, Integer.MAX_VALUE);
    }

    /** Up to {@code max} entries after position {@code cookie} (0: from the start). */
    public List<DirEntry> readdir(String path, long cookie, int max) throws DaxException {
        Objects.requireNonNull(path, "path");
        return volume.lookup().readdir(path, cookie, max);
    }

    /** Removes a name. An open file stays usable until its last handle closes. */
    public void unlink(String path) throws DaxException {
        Objects.requireNonNull(path, "path");
        volume.unlinker().unlink(path);
    }

    public void rename(String from, String to, RenameOption... options) throws DaxException {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Args.options(options);
        volume.renamer().rename(from, to, options);
    }

    /** Creates {@code newPath} as another name of the regular file or symlink at {@code existing}. */
    public void link(String existing, String newPath) throws DaxException {
        Objects.requireNonNull(existing, "existing");
        Objects.requireNonNull(newPath, "newPath");
        volume.creator().link(existing, newPath);
    }

    public void symlink(String target, String linkPath) throws DaxException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(linkPath, "linkPath");
        volume.creator().symlink(target, linkPath);
    }

    public String readlink(String path) throws DaxException {
        Objects.requireNonNull(path, "path");
        return volume.lookup().readlink(path);
    }

    /** Status of the file at {@code path}, following a final symbolic link. */
    public FileStat stat(String path) throws DaxException {
        Objects.requireNonNull(path, "path");
        return volume.attributes().stat(path, true);
    }

    /** Status of {@code path} itself, not following a final symbolic link. */
    public FileStat lstat(String path) throws DaxException {
        Objects.requireNonNull(path, "path");
        return volume.attributes().stat(path, false);
    }

    /**
     * True when {@code path} names something (a final symlink itself counts). False when a
     * component is missing, is not a directory, or loops; other errors (EIO, EUCLEAN) throw.
     */
    public boolean exists(String path) throws DaxException {
        Objects.requireNonNull(path, "path");
        try {
            volume.attributes().stat(path, false);
            return true;
        } catch (DaxException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR || e.errno() == Errno.ELOOP) {
                return false;
            }
            throw e;
        }
    }

    /** Sets the permission bits (the low 12 bits of {@code mode}). */
    public void chmod(String path, int mode) throws DaxException {
        Objects.requireNonNull(path, "path");
        volume.attributes().chmod(path, mode);
    }

    /** Sets owner and group; -1 leaves one unchanged. */
    public void chown(String path, int uid, int gid) throws DaxException {
        Objects.requireNonNull(path, "path");
        volume.attributes().chown(path, uid, gid);
    }

    /**
     * Sets access and modification times in ns since the epoch; {@link SetAttr#UTIME_OMIT} leaves one
     * unchanged, {@link SetAttr#UTIME_NOW} sets it to the current time.
     */
    public void utimes(String path, long atimeNs, long mtimeNs) throws DaxException {
        Objects.requireNonNull(path, "path");
        volume.attributes().utimes(path, atimeNs, mtimeNs);
    }

    /**
     * The value of extended attribute {@code name} of the file at {@code path} (a final symlink
     * is followed unless {@link LinkOption#NOFOLLOW_LINKS} is given). See {@link DaxInodes#getxattr}.
     */
    public byte[] getxattr(String path, String name, LinkOption... options) throws DaxException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(name, "name");
        Args.options(options);
        return volume.xattrs().get(path, follow(options), name);
    }

    /** The names of the extended attributes of the file at {@code path}. */
    public List<String> listxattr(String path, LinkOption... options) throws DaxException {
        Objects.requireNonNull(path, "path");
        Args.options(options);
        return volume.xattrs().list(path, follow(options));
    }

    /** Sets an extended attribute of the file at {@code path}; see {@link DaxInodes#setxattr} for names, flags and errors. */
    public void setxattr(String path, String name, byte[] value, int flags, LinkOption... options) throws DaxException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Args.options(options);
        volume.xattrs().set(path, follow(options), name, value, flags);
    }

    /** Removes an extended attribute of the file at {@code path}; ENODATA when there is none. */
    public void removexattr(String path, String name, LinkOption... options) throws DaxException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(name, "name");
        Args.options(options);
        volume.xattrs().remove(path, follow(options), name);
    }

    /** As {@link DaxInodes#access}, for the file at {@code path} (symlinks followed). */
    public void checkAccess(String path, int uid, int[] gids, int want) throws DaxException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(gids, "gids");
        volume.xattrs().checkAccess(path, uid, gids, want);
    }

    private static boolean follow(LinkOption... options) {
        for (LinkOption o : options) {
            if (o == LinkOption.NOFOLLOW_LINKS) {
                return false;
            }
        }
        return true;
    }

    public FsStat statfs() {
        return volume.statfs();
    }

    /** Makes everything done so far durable (metadata and file data). */
    public void sync() throws DaxException {
        volume.sync();
    }

    public boolean isReadOnly() {
        return volume.isReadOnly();
    }

    /**
     * Touches every page of the device, so that later accesses take no page fault of the host
     * (as MAP_POPULATE would): for benchmarks and for latency-sensitive start-up. Nothing on the
     * device changes.
     */
    public void prefault() {
        MemorySegment device = volume.device().segment();
        if (device.isMapped()) {
            device.load();
        } else {
            long sum = 0;
            for (long off = 0; off < device.byteSize(); off += 4096) {
                sum += device.get(ValueLayout.JAVA_BYTE, off);
            }
            prefaultSink = sum;
        }
    }

    /** Keeps the JIT from dropping {@link #prefault}'s loads of unmapped memory. */
    @SuppressWarnings("unused")
    private static volatile long prefaultSink;

    /**
     * Journal commits since mount. A commit makes every change made before it durable; fsyncs
     * that run at once share one, so commits per second below fsyncs per second is what group
     * commit looks like.
     */
    public long commitCount() {
        return volume.commitCount();
    }

    /** DAX event counters since mount: faults by size, fallbacks by reason, revocations, writeback. */
    public DaxStats stats() {
        DaxCounters c = dax.counters();
        java.util.Map<String, Long> fallbacks = new java.util.LinkedHashMap<>();
        c.fallbacks().forEach((k, v) -> fallbacks.put(k.name(), v));
        return new DaxStats(c.faults4k(), c.faults2m(), java.util.Collections.unmodifiableMap(fallbacks),
                c.zeroPageMappings(), dax.entryLocks().downgrades(), c.revocations(), c.layoutBreakWaits(),
                c.writebackFlushes(), c.copyOnWrite(), c.syncCommits(), dax.entryLocks().waits(), c.sigbus(),
                c.segments(), c.segmentRuns());
    }

    /** The device this file system lives on. Internal (tests reach it through their bridge). */
    Device device() {
        return volume.device();
    }

    /** The DAX layer. Internal (tests reach it through their bridge). */
    DaxLayer dax() {
        return dax;
    }

    /** The volume behind this facade. Internal (tests reach it through their bridge). */
    Volume volume() {
        return volume;
    }

    /** Makes everything durable, checkpoints the journal, marks the image clean and unmaps it. */
    @Override
    public void close() throws DaxException {
        volume.close();
    }
}
