package io.daxfs.cli.bench;

import io.daxfs.cli.Sizes;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host space a sparse daxfs image really takes, checked before a benchmark makes one. Format
 * writes both allocation bitmaps whole, the journal ring fills as the run commits, and the
 * benchmark adds the file data it writes; the rest of the image stays a hole. The estimate uses
 * only what {@link io.daxfs.types.FormatOptions} documents (one inode per 16 KiB, a journal of
 * 1/64 of the device between 1 MiB and 256 MiB), rounded up, so that a host file system that
 * fills up mid-run (a fault on the mapped image, not a clean error) is caught before the image
 * exists.
 */
final class ImageSpace {
    private static final long BLOCK = 4096;
    /** Bits of one bitmap block, a little below 8 per byte to leave room for its header. */
    private static final long BITS_PER_BITMAP_BLOCK = (BLOCK - 64) * 8;
    private static final long MARGIN = 16L << 20;

    private ImageSpace() {
    }

    /** Bytes of both allocation bitmaps of an image of {@code size} bytes with the default inode count. */
    static long bitmapBytes(long size) {
        long blocks = size / BLOCK;
        long inodes = Math.max(1024, size / (16 << 10));
        return (ceilDiv(blocks, BITS_PER_BITMAP_BLOCK) + ceilDiv(inodes, BITS_PER_BITMAP_BLOCK)) * BLOCK;
    }

    /** Bytes of the default journal of an image of {@code size} bytes. */
    static long journalBytes(long size) {
        return Math.clamp(size / 64, 1L << 20, 256L << 20);
    }

    /** What an image of {@code size} bytes takes on the host when {@code dataBytes} of file data are written into it. */
    static long needed(long size, long dataBytes) {
        return bitmapBytes(size) + journalBytes(size) + dataBytes + MARGIN;
    }

    /**
     * ENOSPC, with one line saying what is short, unless {@code dir} has room for an image of
     * {@code size} bytes into which {@code dataBytes} of file data will be written.
     */
    static void require(Path dir, long size, long dataBytes) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        long need = needed(size, dataBytes);
        if (free < need) {
            String what = dataBytes > 0 ? "its bitmaps, journal and " + Sizes.format(dataBytes) + " of file data"
                    : "its bitmaps and journal";
            throw new DaxException(Errno.ENOSPC, dir + " has " + Sizes.format(free) + " free, but a sparse "
                    + Sizes.format(size) + " image needs about " + Sizes.format(need) + " there for " + what
                    + ": use a smaller --size or another --dir");
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
