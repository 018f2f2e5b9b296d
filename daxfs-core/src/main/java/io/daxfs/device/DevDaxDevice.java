package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Linux device-DAX character device ({@code /dev/daxX.Y}): persistent memory mapped straight
 * into the process, with no file system and no page cache in between.
 *
 * <h2>Opening</h2>
 * {@code FileChannel.map} cannot map a character device (it sizes the mapping from
 * {@code st_size}, which is 0, and tries to grow the "file"), so the device is opened with
 * open(2) and mapped whole with mmap(2) through FFM downcalls ({@link Libc}): MAP_SHARED (the
 * driver refuses private mappings), PROT_READ or PROT_READ|PROT_WRITE. MAP_SYNC is not passed:
 * a device-DAX mapping has no page cache and no file-system metadata, so it is synchronous
 * anyway. The size comes from sysfs ({@code /sys/bus/dax/devices/daxX.Y/size}, or
 * {@code /sys/class/dax/daxX.Y/size} on kernels with the old dax class); the mapping length is
 * rounded down to the device's {@code align} (mmap of device-DAX fails unless length and address
 * are multiples of it; the driver picks an aligned address itself). The descriptor is closed once
 * the mapping exists; the mapping is removed by {@link #close()} (the arena's cleanup munmaps).
 *
 * <h2>Persistence</h2>
 * A store is durable once its cache line has left the CPU caches and reached the platform's
 * persistence domain. Neither the JDK nor the kernel can write back a raw device-DAX mapping (see
 * {@link CacheWriteback} for why msync is no help), so {@link #persist} runs a generated
 * CLWB/CLFLUSHOPT/CLFLUSH loop over the range followed by SFENCE. What that guarantees depends on
 * the platform's persistence domain, read from the enclosing NVDIMM region's
 * {@code persistence_domain} in sysfs and shown by {@link #describe()}:
 * <ul>
 * <li>{@code memory_controller} (ADR): lines written back to the memory controller are flushed to
 * the medium on power failure, so a returned {@code persist} means durable.</li>
 * <li>{@code cpu_cache} (eADR): the caches themselves are flushed on power failure; the write-back
 * is redundant but harmless. On such a platform a read-write open succeeds even without the
 * generated code (non-x86, or a W^X policy), and {@code persist} is then a full fence, which
 * drains the store buffer into the cache.</li>
 * <li>empty or not found (e.g. device-DAX over volatile or soft-reserved memory): the write-back
 * still happens, but whether anything survives power loss is up to the hardware; daxfs cannot
 * promise more than the platform does.</li>
 * </ul>
 * Without the generated code and without eADR a read-write open fails with EOPNOTSUPP: daxfs will
 * not run a journal on a medium it cannot persist.
 *
 * <p>A read-only device maps with PROT_READ and hands out a read-only segment, so a stray store
 * is an exception instead of a SIGSEGV.
 */
public final class DevDaxDevice implements Device {
    private static final Path DEV = Path.of("/dev");
    private static final Path SYSFS = Path.of("/sys");
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    /** What sysfs says about a device-DAX device. */
    record SysfsInfo(String name, long size, long align, String persistenceDomain) {
        /** The number of bytes mapped: the size rounded down to the alignment. */
        long mapLength() {
            return size & -align;
        }
    }

    private final Path path;
    private final SysfsInfo info;
    private final Arena arena;
    private final MemorySegment segment;
    private final boolean readOnly;
    /** Null when read-only, or read-write on an eADR platform without generated write-back code. */
    private final CacheWriteback writeback;
    /** The descriptor the device was mapped through, kept for {@link #remapFd}. */
    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DevDaxDevice(Path path, SysfsInfo info, Arena arena, MemorySegment segment, boolean readOnly,
                         CacheWriteback writeback, int fd) {
        this.fd = fd;
        this.path = path;
        this.info = info;
        this.arena = arena;
        this.segment = segment;
        this.readOnly = readOnly;
        this.writeback = writeback;
    }

    /** True when {@code p} is a character device under {@code /dev} whose name starts with "dax". */
    public static boolean isDevDax(Path p) {
        return isDevDax(p, DEV);
    }

    static boolean isDevDax(Path p, Path devRoot) {
        try {
            Path real = p.toRealPath();
            if (!real.startsWith(devRoot.toRealPath()) || !real.getFileName().toString().startsWith("dax")) {
                return false;
            }
            int mode = (Integer) Files.getAttribute(real, "unix:mode");
            return (mode & S_IFMT) == S_IFCHR;
        } catch (IOException | UnsupportedOperationException e) {
            return false; // absent, unreadable, or no unix attribute view: not something we can map
        }
    }

    /** Opens and maps the device-DAX device {@code path}. */
    public static Device open(Path path, boolean readOnly) throws DaxException {
        return open(path, readOnly, DEV, SYSFS);
    }

    /** {@link #open(Path, boolean)} with the /dev and /sys roots replaceable, for tests. */
    static DevDaxDevice open(Path path, boolean readOnly, Path devRoot, Path sysfsRoot) throws DaxException {
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            throw new DaxException(Errno.ENOENT, path + ": no such device");
        } catch (IOException e) {
            throw Devices.ioError(path, e);
        }
        if (!isDevDax(real, devRoot)) {
            throw new DaxException(Errno.ENODEV, path + ": not a device-DAX character device (" + devRoot + "/daxX.Y)");
        }
        return map(real, readSysfs(sysfsRoot, real.getFileName().toString()), readOnly);
    }

    /**
     * Reads size, alignment and persistence domain of device {@code name} under {@code sysfsRoot}
     * (normally {@code /sys}).
     */
    static SysfsInfo readSysfs(Path sysfsRoot, String name) throws DaxException {
        List<Path> candidates = List.of(
                sysfsRoot.resolve("bus/dax/devices").resolve(name),
                sysfsRoot.resolve("class/dax").resolve(name));
        Path dir = candidates.stream().filter(d -> Files.isRegularFile(d.resolve("size"))).findFirst()
                .orElseThrow(() -> new DaxException(Errno.ENODEV, name + ": no size in " + candidates
                        + "; is the device-DAX driver bound (daxctl list)?"));
        long size = readNumber(dir.resolve("size"));
        Path alignFile = dir.resolve("align");
        // Kernels before 5.10 have no per-device align; the device size is a multiple of the
        // region's alignment anyway, and mapping the whole device needs nothing more.
        long align = Files.exists(alignFile) ? readNumber(alignFile) : 4096;
        if (align < 4096 || Long.bitCount(align) != 1) {
            throw new DaxException(Errno.EINVAL, alignFile + ": alignment " + align + " is not a power of two >= 4096");
        }
        if ((size & -align) == 0) {
            throw new DaxException(Errno.EINVAL, name + ": device has no capacity (size " + size + ", align " + align
                    + "); assign some with daxctl");
        }
        return new SysfsInfo(name, size, align, persistenceDomain(sysfsRoot, dir));
    }

    private static long readNumber(Path file) throws DaxException {
        String text;
        try {
            text = Files.readString(file).trim();
        } catch (IOException e) {
            throw Devices.ioError(file, e);
        }
        try {
            long v = Long.parseLong(text);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new DaxException(Errno.EINVAL, file + ": expected a decimal byte count, found \"" + text + "\"");
        }
    }

    /**
     * The {@code persistence_domain} of the NVDIMM region above the device's sysfs directory
     * ({@code .../regionN/daxN.M/daxN.K}): "cpu_cache", "memory_controller", "none" when the
     * region declares none, or null when the device sits under no region (not NVDIMM-backed).
     */
    private static String persistenceDomain(Path sysfsRoot, Path deviceDir) {
        try {
            Path root = sysfsRoot.toRealPath();
            for (Path d = deviceDir.toRealPath(); d != null && d.startsWith(root); d = d.getParent()) {
                Path f = d.resolve("persistence_domain");
                if (Files.isRegularFile(f)) {
                    String v = Files.readString(f).trim();
                    return v.isEmpty() ? "none" : v;
                }
            }
        } catch (IOException e) {
            // An unreadable attribute leaves the domain unknown, which is what null reports.
        }
        return null;
    }

    /**
     * Opens {@code path} and maps {@code info.mapLength()} bytes of it. Device checks are the
     * caller's; tests use this directly on ordinary files and on a node equivalent to /dev/zero to
     * exercise open/mmap/munmap without device-DAX hardware.
     */
    @SuppressWarnings("restricted") // giving the mapped address its size and lifetime
    static DevDaxDevice map(Path path, SysfsInfo info, boolean readOnly) throws DaxException {
        CacheWriteback writeback = null;
        if (!readOnly) {
            try {
                writeback = CacheWriteback.forThisCpu();
            } catch (DaxException e) {
                if (!"cpu_cache".equals(info.persistenceDomain())) {
                    throw new DaxException(Errno.EOPNOTSUPP, path + ": cannot persist stores: " + e.detail()
                            + "; only a read-only open is possible", e);
                }
            }
        }
        long length = info.mapLength();
        int fd = Libc.open(path, (readOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_CLOEXEC);
        long address;
        try {
            int prot = readOnly ? Libc.PROT_READ : Libc.PROT_READ | Libc.PROT_WRITE;
            address = Libc.mmap(length, prot, Libc.MAP_SHARED, fd, path.toString());
        } catch (DaxException | RuntimeException | Error e) {
            Libc.close(fd);
            throw e;
        }
        Arena arena = Arena.ofShared();
        MemorySegment segment = MemorySegment.ofAddress(address)
                .reinterpret(length, arena, s -> Libc.munmap(s.address(), length));
        return new DevDaxDevice(path, info, arena, readOnly ? segment.asReadOnly() : segment, readOnly, writeback,
                fd);
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
        if (writeback != null) {
            // Keeps the JIT from sinking earlier stores below the write-back (free on x86).
            VarHandle.releaseFence();
            Devices.inPieces(offset, length, (o, l) -> writeback.writeBack(segment.asSlice(o, l)));
        } else {
            // eADR without generated code: the caches are persistent, so draining the store
            // buffer into them is all that is left to do.
            VarHandle.fullFence();
        }
    }

    @Override
    public void fence() {
        // persist() ends with SFENCE (or a full fence), so its write-backs are complete and
        // ordered before it returns; there is nothing outstanding to order here.
    }

    @Override
    public boolean isSynchronous() {
        return true;
    }

    @Override
    public String describe() {
        String domain = info.persistenceDomain() == null ? "unknown" : info.persistenceDomain();
        return "device-DAX " + path + " (" + size() + " bytes, align " + info.align() + ", persistence domain "
                + domain + (writeback != null ? ", write-back " + writeback.instruction().cpuFlag : "") + ")"
                + (readOnly ? " (read-only)" : "");
    }

    @Override
    public int remapFd() {
        return fd;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                arena.close();
            } finally {
                Libc.close(fd);
            }
        }
    }
}
