package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

/**
 * One run of the process's address space into which the host kernel maps ranges of a device,
 * wherever they lie on it: how a file made of scattered extents becomes one contiguous
 * {@link java.lang.foreign.MemorySegment} whose loads and stores are plain memory accesses.
 *
 * <h2>Algorithm</h2>
 * {@link #reserve} maps {@code length + 2 MiB} bytes of anonymous memory (private, with no swap
 * reserved) and trims it to a 2 MiB-aligned start, so that device ranges which are 2 MiB-aligned
 * too can be mapped with large pages where the host offers them. {@link #mapDevice} then replaces
 * a part of the reservation with a range of the device's backing file (mmap with MAP_FIXED:
 * MAP_SHARED, or MAP_PRIVATE for copy-on-write). A part no device range replaces stays anonymous
 * memory: it reads as zeros, and in a copy-on-write range takes stores privately.
 *
 * <p>Replacing a mapping with MAP_FIXED is one step for other threads: an access during it
 * waits in the kernel and then sees the new mapping, never an unmapped page. So
 * {@link #detach} (everything back to anonymous memory) is safe while other threads access the
 * range, and it is how a range stops reaching a device that goes away.
 *
 * <p>Which ranges are mapped, and that no access is still running when {@link #release} unmaps
 * the whole, are the caller's business. Needs a device with a backing file
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

    private static final long ALIGN = 2L << 20;
    private static final long PAGE = 4096;

    private final Device device;
    private final int fd;
    private final long address;
    private final long length;
    private final Access access;

    private StitchedRange(Device device, int fd, long address, long length, Access access) {
        this.device = device;
        this.fd = fd;
        this.address = address;
        this.length = length;
        this.access = access;
    }

    /** True when {@code device} can be mapped piecewise (it has a backing file). */
    public static boolean supported(Device device) {
        return device.remapFd() >= 0;
    }

    /**
     * Reserves {@code length} bytes (a positive multiple of 4096) of address space, 2 MiB-aligned,
     * reading as zeros until device ranges are mapped into it. EOPNOTSUPP for a device without a
     * backing file; ENOMEM when the address space is exhausted.
     */
    public static StitchedRange reserve(Device device, long length, Access access) throws DaxException {
        int fd = device.remapFd();
        if (fd < 0) {
            throw new DaxException(Errno.EOPNOTSUPP, device.describe() + ": has no backing file to map ranges of");
        }
        if (length <= 0 || (length & (PAGE - 1)) != 0) {
            throw new IllegalArgumentException("reservation length " + length);
        }
        long span = length + ALIGN;
        long raw = Libc.mmap(0L, span, anonymousProt(access), ANONYMOUS, -1, 0L, "reserving address space");
        long start = (raw + ALIGN - 1) & -ALIGN;
        if (start > raw) {
            Libc.munmap(raw, start - raw);
        }
        long tail = raw + span - (start + length);
        if (tail > 0) {
            Libc.munmap(start + length, tail);
        }
        return new StitchedRange(device, fd, start, length, access);
    }

    private static final int ANONYMOUS = Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE;

    private static int anonymousProt(Access access) {
        return access == Access.READ ? Libc.PROT_READ : Libc.PROT_READ | Libc.PROT_WRITE;
    }

    /** The first byte of the range (2 MiB-aligned). */
    public long address() {
        return address;
    }

    public long length() {
        return length;
    }

    /**
     * Maps device bytes {@code [deviceOffset, deviceOffset + n)} at {@code offset} of the range,
     * replacing what was there. All three are multiples of 4096.
     */
    public void mapDevice(long offset, long deviceOffset, long n) throws DaxException {
        if (offset < 0 || n <= 0 || offset + n > length || ((offset | deviceOffset | n) & (PAGE - 1)) != 0) {
            throw new IllegalArgumentException("device range " + deviceOffset + "+" + n + " at " + offset
                    + " of a range of " + length);
        }
        Devices.checkRange(device, deviceOffset, n);
        int prot = access == Access.READ ? Libc.PROT_READ : Libc.PROT_READ | Libc.PROT_WRITE;
        int flags = (access == Access.COPY_ON_WRITE ? Libc.MAP_PRIVATE : Libc.MAP_SHARED) | Libc.MAP_FIXED;
        Libc.mmap(address + offset, n, prot, flags, fd, deviceOffset, device.describe());
    }

    /**
     * Puts anonymous memory back over the whole range: from here on it reads as zeros (or as
     * what is stored to it afterwards) and reaches the device nowhere.
     */
    public void detach() throws DaxException {
        Libc.mmap(address, length, anonymousProt(access), ANONYMOUS | Libc.MAP_FIXED, -1, 0L, "detaching a mapping");
    }

    /** Unmaps the range. No thread may access it any more. */
    public void release() {
        Libc.munmap(address, length);
    }
}
