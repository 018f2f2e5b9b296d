package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One run of the process's address space in which the host kernel maps ranges of a device,
 * wherever they lie on it: how a file made of scattered extents becomes one contiguous
 * {@link java.lang.foreign.MemorySegment} whose loads and stores are plain memory accesses.
 *
 * <h2>Algorithm</h2>
 * The run is one the caller mapped already (see {@link SegmentCarrier}, which has the JDK map
 * it, so that the segment is a genuine mapped segment the JDK unmaps when its arena closes).
 * {@link #over} first covers all of it with anonymous memory (private, no swap reserved), which
 * reads as zeros and takes no memory until stored to; {@link #mapDevice} then replaces a part
 * with a range of the device's backing file (mmap with MAP_FIXED: MAP_SHARED, or MAP_PRIVATE for
 * copy-on-write). A part no device range replaces stays anonymous memory: it reads as zeros,
 * and in a copy-on-write run takes stores privately.
 *
 * <p>Replacing a mapping with MAP_FIXED is one step for other threads: an access during it
 * waits in the kernel and then sees the new mapping, never an unmapped page. So
 * {@link #detach} (everything back to anonymous memory) is safe while other threads access the
 * run, and it is how a run stops reaching a device that goes away.
 *
 * <p>The run is held as a segment of its owner's arena, and every mmap over it passes that
 * segment to the call: the JDK keeps the arena open while the call runs, and refuses the call
 * once the arena is closed. So no mmap here can land on address space the JDK unmapped when the
 * arena closed (which may be before or after the arena's other cleanups, depending on the kind
 * of arena: a confined arena runs its first cleanup first, the others last added first).
 *
 * <p>Which ranges are mapped is the caller's business. Needs a device with a backing file
 * ({@link Device#remapFd}); on device-DAX the kernel accepts only ranges aligned to the device's
 * alignment, and refuses others with EINVAL.
 */
public final class StitchedRange {
    /** How the mapped device ranges may be accessed. */
    public enum Access {
        /** Loads only. */
        READ,
        /** Loads and stores; stores reach the device. */
        READ_WRITE,
        /** Loads and stores; stores go to private copies of the pages, never to the device. */
        COPY_ON_WRITE
    }

    private static final long PAGE = 4096;
    /** The kernel mappings all ranges of this process may use together: see {@link #reserveMappings}. */
    private static final long MAPPING_BUDGET = readMappingBudget();
    private static final AtomicLong MAPPINGS_IN_USE = new AtomicLong();
    private static final int ANONYMOUS = Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE;

    private final Device device;
    private final int fd;
    /** The run, as a segment of the owner's arena: every mmap over it passes it (see Libc.mmapOver). */
    private final MemorySegment run;
    private final Access access;

    private StitchedRange(Device device, int fd, MemorySegment run, Access access) {
        this.device = device;
        this.fd = fd;
        this.run = run;
        this.access = access;
    }

    /**
     * Half of the kernel's limit on mappings per process ({@code vm.max_map_count}), the other
     * half left to the JVM and everything else: at the limit every mmap of the process fails,
     * the JVM's own (thread stacks, heap growth) included, and the JVM dies.
     */
    private static long readMappingBudget() {
        try {
            // readAllLines: Files.readString returned only the first byte of this procfs file (JDK 25)
            return Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/max_map_count")).get(0).trim()) / 2;
        } catch (IOException | NumberFormatException | SecurityException | IndexOutOfBoundsException e) {
            return 65530 / 2; // Linux's default
        }
    }

    /**
     * Reserves {@code n} kernel mappings for a range about to be stitched from {@code n / 2}
     * runs: each run is one mapping, and so may be each gap between runs. ENOMEM, with what to
     * do about it, when the process's budget (half of {@code vm.max_map_count}) would be
     * exceeded; {@link #releaseMappings} gives them back.
     */
    public static void reserveMappings(long n, String what) throws DaxException {
        long now = MAPPINGS_IN_USE.addAndGet(n);
        if (now > MAPPING_BUDGET) {
            MAPPINGS_IN_USE.addAndGet(-n);
            throw new DaxException(Errno.ENOMEM, what + " lies in " + (n / 2) + " pieces on the device, each one kernel "
                    + "mapping; this process has " + Math.max(0, MAPPING_BUDGET - now + n) + " of its " + MAPPING_BUDGET
                    + " left for segments (half of vm.max_map_count): map a smaller range, close other segments, or copy "
                    + "the file to defragment it");
        }
    }

    /** The process's budget of kernel mappings for segments. */
    public static long mappingBudget() {
        return MAPPING_BUDGET;
    }

    /** Gives back mappings taken by {@link #reserveMappings}. */
    public static void releaseMappings(long n) {
        MAPPINGS_IN_USE.addAndGet(-n);
    }

    /** True when {@code device} can be mapped piecewise (it has a backing file). */
    public static boolean supported(Device device) {
        return device.remapFd() >= 0;
    }

    /**
     * Takes over the mapped run {@code run} (a segment of the owner's arena, page-aligned, whole
     * pages), covering it with anonymous memory. EOPNOTSUPP for a device without a backing file;
     * IllegalStateException if the arena closed (nothing is mapped then), WrongThreadException
     * from another thread than a confined arena's owner.
     */
    public static StitchedRange over(Device device, MemorySegment run, Access access) throws DaxException {
        int fd = device.remapFd();
        if (fd < 0) {
            throw new DaxException(Errno.EOPNOTSUPP, device.describe() + ": has no backing file to map ranges of");
        }
        if (run.byteSize() <= 0 || ((run.address() | run.byteSize()) & (PAGE - 1)) != 0) {
            throw new IllegalArgumentException("run " + run);
        }
        StitchedRange r = new StitchedRange(device, fd, run, access);
        r.detach();
        return r;
    }

    private static int prot(Access access) {
        return access == Access.READ ? Libc.PROT_READ : Libc.PROT_READ | Libc.PROT_WRITE;
    }

    /**
     * Maps device bytes {@code [deviceOffset, deviceOffset + n)} at {@code offset} of the run,
     * replacing what was there. All three are multiples of 4096. Fails as {@link #over} does when
     * the arena closed or belongs to another thread.
     */
    public void mapDevice(long offset, long deviceOffset, long n) throws DaxException {
        if (offset < 0 || n <= 0 || offset + n > run.byteSize() || ((offset | deviceOffset | n) & (PAGE - 1)) != 0) {
            throw new IllegalArgumentException("device range " + deviceOffset + "+" + n + " at " + offset
                    + " of a run of " + run.byteSize());
        }
        Devices.checkRange(device, deviceOffset, n);
        int flags = access == Access.COPY_ON_WRITE ? Libc.MAP_PRIVATE : Libc.MAP_SHARED;
        Libc.mmapOver(run.asSlice(offset, n), prot(access), flags, fd, deviceOffset, device.describe());
    }

    /**
     * Puts anonymous memory back over the whole run: from here on it reads as zeros (or as what
     * is stored to it afterwards) and reaches the device nowhere. Fails as {@link #over} does
     * when the arena closed or belongs to another thread.
     */
    public void detach() throws DaxException {
        Libc.mmapOver(run, prot(access), ANONYMOUS, -1, 0L, "covering a mapped run");
    }
}
