package io.daxfs.fsck;

import io.daxfs.journal.JournalScan;
import io.daxfs.media.Geometry;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * The device as fsck reads it: each block at its home location unless the journal holds a
 * committed image of it, in which case the newest such image. So an image that was not cleanly
 * unmounted is checked as it will be after mount replays its journal, without writing anything.
 */
final class MetaView {
    private final MemorySegment device;
    private final Geometry geometry;
    private final Map<Long, MemorySegment> overlay;
    private final long dirHashSeed;

    private MetaView(MemorySegment device, Superblock sb, Map<Long, MemorySegment> overlay) {
        this.device = device;
        this.geometry = sb.geometry();
        this.overlay = overlay;
        this.dirHashSeed = sb.uuid().getMostSignificantBits() ^ sb.uuid().getLeastSignificantBits();
    }

    /** Home locations only: for a device whose journal is replayed (or unusable). */
    static MetaView homes(MemorySegment device, Superblock sb) {
        return new MetaView(device, sb, Map.of());
    }

    /** Home locations overlaid with the newest journal image of each block in {@code scan}. */
    static MetaView replayed(MemorySegment device, Superblock sb, JournalScan.Result scan) {
        Map<Long, MemorySegment> images = new HashMap<>();
        scan.latestImages().forEach((home, pos) -> images.put(home, JournalScan.ringBlock(device, sb.geometry(), pos)));
        return new MetaView(device, sb, images);
    }

    Geometry geometry() {
        return geometry;
    }

    /** The seed of directory name hashes (from the file system's UUID). */
    long dirHashSeed() {
        return dirHashSeed;
    }

    /** Block {@code b} (read-only use: it may be the device itself). */
    MemorySegment block(long b) {
        if (b < 0 || b >= geometry.totalBlocks()) {
            throw new IndexOutOfBoundsException("block " + b + " is outside the device");
        }
        MemorySegment o = overlay.get(b);
        return o != null ? o : device.asSlice(b << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
    }
}
