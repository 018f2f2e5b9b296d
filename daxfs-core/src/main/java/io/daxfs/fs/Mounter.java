package io.daxfs.fs;

import io.daxfs.alloc.BlockAllocator;
import io.daxfs.alloc.InodeAllocator;
import io.daxfs.device.Device;
import io.daxfs.journal.Journal;
import io.daxfs.journal.JournalScan;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Superblock;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.MountOptions;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Turns a formatted device into a mounted {@link Volume}: validation, journal replay, loading the
 * allocators, the inode cache and the orphan list head, and freeing the orphans a crash left.
 *
 * <p>Invariants: a read-write mount validates everything replay and orphan cleanup rely on
 * before its first write, so a damaged image is refused unchanged; a read-only mount (or a
 * read-only device) reads through an in-memory overlay of the replayed blocks and never writes.
 * Nothing here takes a lock except orphan cleanup, which frees each orphan as its last close
 * would (see {@link Unlinker#evictNow}).
 */
public final class Mounter {
    private Mounter() {
    }

    /**
     * Checks, without writing, that {@code device} holds a daxfs this build can mount: both
     * superblock slots, the journal, the allocation bitmaps, the fs info block and the root
     * inode (as they will be after replay). EMEDIUMTYPE or EUCLEAN otherwise.
     */
    public static void validate(Device device) throws DaxException {
        Superblock sb = Superblock.read(device.segment());
        JournalScan.Result scan = JournalScan.scan(device.segment(), sb);
        LongFunction<MemorySegment> reader = overlayReader(device.segment(), sb.geometry(), scan);
        BlockAllocator blocks = BlockAllocator.load(device, sb.geometry(), reader);
        InodeAllocator.load(device, sb.geometry(), reader);
        long orphanHead = Orphans.readHead(reader.apply(Geometry.FSINFO_BLOCK));
        InodeCache cache = new InodeCache(sb.geometry(), reader);
        checkRoot(cache);
        // Mount frees the orphans after its first write: whatever that would trip on must be found here.
        // Runs, not blocks: an orphan may be a huge file. Every run must be in use in the bitmap
        // and no two runs (of any orphans) may overlap, or freeing them would double-free.
        List<long[]> runs = new ArrayList<>();
        for (long ino : new Orphans(cache, orphanHead).list(sb.geometry().inodeCount())) {
            Inode in = cache.get(ino);
            checkOrphan(in);
            in.extents.toList().forEach(e -> runs.add(new long[]{e.physical(), e.length(), ino}));
            for (long c : in.chain) {
                runs.add(new long[]{c, 1, ino});
            }
            for (long c : in.xattrChain) {
                runs.add(new long[]{c, 1, ino});
            }
        }
        runs.sort(Comparator.comparingLong(r -> r[0]));
        long end = 0;
        for (long[] r : runs) {
            if (r[0] < end || !blocks.allInUse(r[0], r[1])) {
                throw new DaxException(Errno.EUCLEAN, "orphan inode " + r[2] + ": blocks " + r[0] + "+" + r[1]
                        + " are free in the bitmap or owned twice");
            }
            end = r[0] + r[1];
        }
    }

    /**
     * Mounts {@code device}. A read-write mount replays the journal into place; a read-only one
     * (or a read-only device) reads through an in-memory overlay of the replayed blocks and
     * never writes.
     */
    public static Volume mount(Device device, MountOptions options) throws DaxException {
        boolean ro = options.readOnly() || device.isReadOnly();
        Superblock sb = Superblock.read(device.segment());
        JournalScan.Result scan = JournalScan.scan(device.segment(), sb);
        Geometry g = sb.geometry();
        LongFunction<MemorySegment> reader;
        Journal journal = null;
        if (ro) {
            reader = overlayReader(device.segment(), g, scan);
        } else {
            // Validate everything replay will rely on before the first write.
            validate(device);
            sb = Journal.replay(device, sb, scan);
            MemorySegment seg = device.segment();
            reader = b -> block(seg, b);
            journal = new Journal(device, sb);
        }
        BlockAllocator blocks = BlockAllocator.load(device, g, reader);
        InodeAllocator inodes = InodeAllocator.load(device, g, reader);
        long orphanHead = Orphans.readHead(reader.apply(Geometry.FSINFO_BLOCK));
        InodeCache cache = new InodeCache(g, reader);
        checkRoot(cache);
        Volume v = new Volume(device, ro, sb, journal, blocks, inodes, cache, orphanHead, options.commitIntervalMs(),
                options.atime(), options.freeInBackground());
        if (!ro) {
            journal.markMounted(System.currentTimeMillis() * 1_000_000L);
            freeOrphans(v);
        }
        v.startBackground(options.effectiveCacheBudget());
        return v;
    }

    private static void checkRoot(InodeCache cache) throws DaxException {
        Inode root = cache.get(1);
        if (!root.isDir()) {
            throw new DaxException(Errno.EUCLEAN, "root inode is not a directory");
        }
    }

    private static void checkOrphan(Inode in) throws DaxException {
        if (in.nlink != 0 && (in.flags & InodeRecord.FLAG_TRUNCATING) == 0) {
            throw new DaxException(Errno.EUCLEAN, "orphan inode " + in.ino + " still has " + in.nlink + " links");
        }
    }

    /**
     * Finishes what a crash left on the orphan list: a truncate in steps frees its blocks past
     * the size and leaves the list; an inode without a name is freed, in bounded steps (a huge
     * one by the background thread, when the mount frees in the background).
     */
    private static void freeOrphans(Volume v) throws DaxException {
        for (long ino : v.orphans.list(v.geometry.inodeCount())) {
            Inode in = v.cache.get(ino);
            checkOrphan(in);
            if ((in.flags & InodeRecord.FLAG_TRUNCATING) != 0) {
                v.reaper.freeFrom(in, (in.size + Geometry.BLOCK_SIZE - 1) >>> Geometry.BLOCK_SHIFT);
                try (Journal.Handle h = v.journal.begin()) {
                    v.orphans.endTruncate(h, in);
                }
            }
            if (in.nlink == 0) {
                if (v.reaper.inBackground() && Reaper.needsSteps(in, 0)) {
                    // A server's mount must not wait for a huge free a crash or an unmount left:
                    // the background thread does it once the mount is up (it stays on the list).
                    v.reaper.freeLater(in);
                } else {
                    v.reaper.freeFrom(in, 0);
                    v.unlinker.evictNow(in);
                }
            }
        }
    }

    private static LongFunction<MemorySegment> overlayReader(MemorySegment seg, Geometry g, JournalScan.Result scan) {
        Map<Long, Long> latest = scan.latestImages();
        if (latest.isEmpty()) {
            return b -> block(seg, b);
        }
        Map<Long, MemorySegment> overlay = new HashMap<>();
        latest.forEach((home, pos) -> overlay.put(home, JournalScan.ringBlock(seg, g, pos)));
        return b -> {
            MemorySegment o = overlay.get(b);
            return o != null ? o : block(seg, b);
        };
    }

    /** Block {@code b} of the device segment {@code seg}. */
    static MemorySegment block(MemorySegment seg, long b) {
        return seg.asSlice(b << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
    }
}
