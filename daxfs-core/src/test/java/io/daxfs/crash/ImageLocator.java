package io.daxfs.crash;

import io.daxfs.types.DaxException;
import io.daxfs.types.FileType;
import io.daxfs.journal.JournalScan;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the metadata of a daxfs image, by kind, for targeted corruption: superblock slots, fs
 * info, the journal (the live log when it holds committed transactions, else the whole ring),
 * the allocation bitmaps, the used inode records, and the directory, extent-chain and symlink
 * blocks reached from them. It reads the image as its geometry says, trusting it to be intact.
 */
final class ImageLocator {
    /** A byte range of the image. */
    record Range(long offset, long length) {
    }

    /** How a corrupted range is made to pass its checksum again (to reach the checks behind it). */
    enum Seal { NONE, SUPERBLOCK, HEADER, INODE_RECORD, JOURNAL }

    /** One kind of metadata: its ranges and how they are checksummed. */
    record Region(String name, List<Range> ranges, Seal seal) {
        long bytes() {
            return ranges.stream().mapToLong(Range::length).sum();
        }
    }

    private final Geometry geometry;
    private final Map<String, Region> regions = new LinkedHashMap<>();
    private final List<JournalScan.Tx> txs;

    /**
     * Locates the metadata of {@code image}. The journal's committed transactions are taken from
     * {@code image}; the rest from {@code replayed}, the same image after mount replayed its journal
     * (the block numbers are the same; only their contents were still in the journal).
     */
    ImageLocator(MemorySegment image, MemorySegment replayed) throws DaxException {
        Superblock sb = Superblock.read(image);
        geometry = sb.geometry();
        Geometry g = geometry;
        add("superblock A", Seal.SUPERBLOCK, blocks(Geometry.SUPERBLOCK_A, 1));
        add("superblock B", Seal.SUPERBLOCK, blocks(Geometry.SUPERBLOCK_B, 1));
        add("both superblocks", Seal.SUPERBLOCK, blocks(Geometry.SUPERBLOCK_A, 2));
        add("fs info", Seal.HEADER, blocks(Geometry.FSINFO_BLOCK, 1));
        JournalScan.Result scan = JournalScan.scan(image, sb);
        txs = scan.txs();
        if (txs.isEmpty()) {
            add("journal ring", Seal.HEADER, blocks(g.journalStart(), g.journalBlocks()));
        } else {
            List<Range> log = new ArrayList<>();
            for (JournalScan.Tx tx : txs) {
                for (int i = 0; i < tx.length(); i++) {
                    log.add(block(g.journalStart() + (tx.startPos() + i) % g.journalBlocks()));
                }
            }
            add("journal log", Seal.JOURNAL, log);
        }
        add("inode bitmap", Seal.HEADER, blocks(g.inodeBitmapStart(), g.inodeBitmapBlocks()));
        add("block bitmap", Seal.HEADER, blocks(g.blockBitmapStart(), g.blockBitmapBlocks()));

        List<Range> records = new ArrayList<>();
        List<Range> dirBlocks = new ArrayList<>();
        List<Range> extentBlocks = new ArrayList<>();
        List<Range> symlinkBlocks = new ArrayList<>();
        for (long ino = 1; ino < g.inodeCount(); ino++) {
            long off = g.inodeOffset(ino);
            InodeRecord r = InodeRecord.decode(replayed, off, ino);
            if (r.isFree()) {
                continue;
            }
            records.add(new Range(off, InodeRecord.SIZE));
            List<Extent> extents = new ArrayList<>(r.inlineExtents(ino));
            long next = r.extentHead;
            for (int i = 0; i < r.extentBlockCount; i++) {
                extentBlocks.add(block(next));
                MemorySegment blk = replayed.asSlice(next << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
                extents.addAll(InodeRecord.blockExtents(blk, ino));
                next = BlockHeader.b(blk);
            }
            if (r.type() == FileType.DIRECTORY) {
                for (Extent e : extents) {
                    dirBlocks.addAll(blocks(e.physical(), e.length()));
                }
            } else if (r.type() == FileType.SYMLINK && (r.flags & InodeRecord.FLAG_INLINE_TARGET) == 0) {
                symlinkBlocks.add(block(extents.getFirst().physical()));
            }
        }
        add("inode records", Seal.INODE_RECORD, records);
        add("directory blocks", Seal.HEADER, dirBlocks);
        add("extent blocks", Seal.HEADER, extentBlocks);
        add("symlink blocks", Seal.HEADER, symlinkBlocks);
    }

    Geometry geometry() {
        return geometry;
    }

    /** The regions found, in a fixed order; kinds with nothing in this image are left out. */
    List<Region> regions() {
        return List.copyOf(regions.values());
    }

    /** The committed transactions of the journal (empty for a checkpointed image). */
    List<JournalScan.Tx> transactions() {
        return txs;
    }

    private void add(String name, Seal seal, List<Range> ranges) {
        if (!ranges.isEmpty()) {
            regions.put(name, new Region(name, List.copyOf(ranges), seal));
        }
    }

    private static Range block(long b) {
        return new Range(b << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
    }

    private static List<Range> blocks(long first, long count) {
        List<Range> out = new ArrayList<>();
        for (long b = first; b < first + count; b++) {
            out.add(block(b));
        }
        return out;
    }
}
