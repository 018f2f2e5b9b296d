package io.daxfs.bench;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.api.DaxMapping;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The two sides of every benchmark. daxfs: a file system on an image file in {@link #DIR}
 * (tmpfs, /dev/shm by default), prefaulted whole. Kernel: a file in the same directory mapped with
 * {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}, the "raw segment".
 *
 * <p>Why an image in tmpfs rather than a {@code MemoryDevice}: both sides then sit on the same
 * kind of memory (4 KiB shmem pages, the same transparent-huge-page policy, the same NUMA
 * placement), so a ratio measures software, not page size or TLB reach; process memory is
 * anonymous memory, which THP may back with 2 MiB pages that the tmpfs baseline cannot have.
 * The image is prefaulted because device memory (persistent memory) is always present: without
 * it each daxfs fault on a fresh block would also pay the host kernel's fault on the image.
 * The revocation benchmarks, which time truncate and msync rather than loads, use a device in
 * process memory instead ({@link #memory}).
 */
final class Fixture {
    static final long PAGE = 4096;
    static final long HUGE = 2L << 20;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    /** Where images and kernel files go: {@code -Ddaxfs.bench.dir=...}, default /dev/shm. */
    static final Path DIR = Path.of(System.getProperty("daxfs.bench.dir", "/dev/shm"));
    private static final AtomicInteger SERIAL = new AtomicInteger();

    private Fixture() {
    }

    /** A file system whose image has room for files of {@code fileBytes} in all, prefaulted; {@link Dax#close} deletes it. */
    static Dax dax(long fileBytes) throws IOException {
        Path image = Files.createTempFile(DIR, "daxfs-jmh-", ".img");
        DaxFileSystem fs = DaxFileSystem.format(image, deviceSize(fileBytes));
        fs.prefault(); // page every block in (reads only: the image is not changed)
        return new Dax(fs, image);
    }

    /**
     * A file system in process memory with room for files of {@code fileBytes}: for the
     * revocation benchmarks, which time truncate and msync rather than compare loads with
     * tmpfs, and whose 8 GiB files would otherwise need an image as large in tmpfs as well.
     * Formatting zero-fills the memory, so it is already faulted in.
     */
    static Dax memory(long fileBytes) throws IOException {
        return new Dax(DaxFileSystem.formatMemory(deviceSize(fileBytes)), null);
    }

    private static long deviceSize(long fileBytes) {
        long size = fileBytes + fileBytes / 8 + (64L << 20);
        return (size + HUGE - 1) / HUGE * HUGE;
    }

    /**
     * The mask that turns a random number into an {@code align}-aligned offset in a file of
     * {@code size} bytes. Random readers use a mask, not a modulo, which would cost a division
     * per read and dwarf the access being measured; so sizes are powers of two (of at least
     * 2 MiB, a huge page).
     */
    static long offsetMask(long size, long align) {
        if (Long.bitCount(size) != 1 || size < HUGE) {
            throw new IllegalArgumentException("size must be a power of two of at least 2 MiB: " + size);
        }
        return (size - 1) & -align;
    }

    /** The page size the daxfs mapping is asked for, by the {@code mapping} parameter: "2m" or "4k". */
    static long pageSize(String mapping) {
        return switch (mapping) {
            case "2m" -> HUGE;
            case "4k" -> PAGE;
            default -> throw new IllegalArgumentException("mapping must be 2m or 4k: " + mapping);
        };
    }

    /** An image file system (image set) or one in process memory (image null). */
    record Dax(DaxFileSystem fs, Path image) implements AutoCloseable {
        /** A new file: sparse of {@code size} bytes, or preallocated in 2 MiB-aligned runs. */
        DaxFile create(String path, long size, boolean preallocate) throws DaxException {
            DaxFile f = fs.open(path, CREATE, READ, WRITE);
            if (preallocate) {
                f.allocate(0, size, false);
            } else {
                f.truncate(size);
            }
            return f;
        }

        static DaxMapping map(DaxFile f, long size, DaxMapMode mode, boolean huge) throws DaxException {
            return huge ? f.map(0, size, mode) : f.map(0, size, mode, DaxMapOption.NO_HUGE_PAGES);
        }

        @Override
        public void close() throws IOException {
            try {
                fs.close();
            } finally {
                if (image != null) {
                    Files.deleteIfExists(image);
                }
            }
        }
    }

    /** A new, empty file in {@link #DIR}; the caller deletes it. */
    static Path kernelFile() {
        return DIR.resolve("daxfs-jmh-" + ProcessHandle.current().pid() + "-" + SERIAL.incrementAndGet() + ".dat");
    }

    static FileChannel openNew(Path p) throws IOException {
        return FileChannel.open(p, CREATE_NEW, READ, WRITE);
    }

    /** Writes the file whole, so tmpfs allocates its pages (as fallocate would). */
    static void writeZeros(FileChannel ch, long size) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        for (long pos = 0; pos < size; ) {
            zeros.clear();
            zeros.limit((int) Math.min(zeros.capacity(), size - pos));
            pos += ch.write(zeros, pos);
        }
    }

    /** One store per page: the first touch. */
    static void touch(DaxMapping m, long size) {
        for (long off = 0; off < size; off += PAGE) {
            m.setLong(off, off);
        }
    }

    static void touch(MemorySegment seg, long size) {
        for (long off = 0; off < size; off += PAGE) {
            seg.set(LONG, off, off);
        }
    }

    /** xorshift64: the random offsets of every random reader. */
    static long next(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        return x ^ (x << 17);
    }
}
