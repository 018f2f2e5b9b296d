package io.daxfs.fs;

import io.daxfs.alloc.BlockAllocator;
import io.daxfs.alloc.InodeAllocator;
import io.daxfs.device.Device;
import io.daxfs.journal.Journal;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Superblock;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.ProgressListener;

import java.lang.foreign.MemorySegment;
import java.util.UUID;

/**
 * Writes an empty file system onto a device: the journal ring and inode table zeroed, empty
 * allocation bitmaps and orphan list, the root directory, and the two superblocks.
 *
 * <p>Invariant: the superblocks are invalidated first and written last, so a format torn by a
 * crash is refused by mount instead of looking like the file system that was there before. Runs
 * on an unmounted device, so it takes no lock.
 */
public final class VolumeFormatter {
    private VolumeFormatter() {
    }

    /** Writes an empty file system onto {@code device}. EROFS for a read-only device. */
    public static void format(Device device, FormatOptions options) throws DaxException {
        if (device.isReadOnly()) {
            throw new DaxException(Errno.EROFS, "cannot format a read-only device");
        }
        Geometry g = Geometry.compute(device.size(), options.inodes(), options.journalSize());
        MemorySegment seg = device.segment();
        var progress = options.progress();
        long total = g.dataStart();
        // Invalidate any old superblock first: a crash mid-format must not look like the old file system.
        seg.asSlice(0, 2L * Geometry.BLOCK_SIZE).fill((byte) 0);
        device.persist(0, 2L * Geometry.BLOCK_SIZE);
        // The journal ring and the inode table must read as zeros (free records are all-zero).
        zeroUnlessZero(device, g.journalStart(), g.journalBlocks(), progress, "journal", total);
        zeroUnlessZero(device, g.inodeTableStart(), g.inodeTableBlocks(), progress, "inode table", total);
        Orphans.format(Mounter.block(seg, Geometry.FSINFO_BLOCK));
        InodeAllocator.format(seg, g);
        BlockAllocator.format(seg, g);
        long now = System.currentTimeMillis() * 1_000_000L;
        InodeRecord root = new InodeRecord();
        root.mode = FileType.DIRECTORY.modeBits() | 0755;
        root.nlink = 2;
        root.uid = Ids.uid();
        root.gid = Ids.gid();
        root.atime = root.mtime = root.ctime = root.btime = now;
        root.parent = 1;
        root.generation = 1;
        root.encode(seg, g.inodeOffset(1));
        device.persist(Geometry.FSINFO_BLOCK << Geometry.BLOCK_SHIFT, (g.dataStart() - Geometry.FSINFO_BLOCK) << Geometry.BLOCK_SHIFT);
        device.fence();
        Superblock sb = new Superblock(UUID.randomUUID(), g, 2, 1, 0, 1, Superblock.STATE_CLEAN, now, 0, 0);
        Journal.writeSuperblock(device, sb.withGeneration(1));
        Journal.writeSuperblock(device, sb);
        progress.progress("format", total, total);
    }

    private static void zeroUnlessZero(Device device, long start, long count, ProgressListener p,
                                       String phase, long total) {
        MemorySegment seg = device.segment();
        final long chunk = 256; // 1 MiB
        for (long b = start; b < start + count; b += chunk) {
            long n = Math.min(chunk, start + count - b);
            MemorySegment s = seg.asSlice(b << Geometry.BLOCK_SHIFT, n << Geometry.BLOCK_SHIFT);
            // Reading a sparse hole is cheap and writing it would allocate it: zero only what is not zero.
            if (s.mismatch(MemorySegment.ofArray(new byte[(int) s.byteSize()])) != -1) {
                s.fill((byte) 0);
                device.persist(b << Geometry.BLOCK_SHIFT, n << Geometry.BLOCK_SHIFT);
            }
            p.progress(phase, b + n, total);
        }
    }
}
