package io.daxfs.crash;

import io.daxfs.crash.ImageLocator.Range;
import io.daxfs.crash.ImageLocator.Region;
import io.daxfs.journal.JournalScan;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Crc;
import io.daxfs.media.Geometry;
import io.daxfs.media.Le;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * Flips 1 to 8 random bytes in one metadata region of an image. Half the flips land in the
 * first bytes of a block or record (headers and fields), the rest anywhere. With {@code reseal},
 * the damaged structures get valid checksums again (block headers, superblock, inode records,
 * and for the journal the commit checksums of its transactions), so the corruption gets past
 * checksum verification and reaches the semantic checks behind it.
 */
final class Corruptor {
    private static final int[] HEADERED = {BlockHeader.BLOCK_BITMAP, BlockHeader.INODE_BITMAP, BlockHeader.FSINFO,
            BlockHeader.DIRECTORY, BlockHeader.EXTENTS, BlockHeader.SYMLINK, BlockHeader.JOURNAL_DESCRIPTOR,
            BlockHeader.JOURNAL_COMMIT};

    private Corruptor() {
    }

    /** Corrupts {@code image} in place; returns what was done, for failure messages. */
    static String corrupt(MemorySegment image, ImageLocator loc, Region region, SplittableRandom rnd, boolean reseal) {
        int flips = 1 + rnd.nextInt(8);
        StringBuilder what = new StringBuilder(region.name()).append(reseal ? " (resealed):" : ":");
        Set<Range> touched = new LinkedHashSet<>();
        for (int i = 0; i < flips; i++) {
            Range r = region.ranges().get(rnd.nextInt(region.ranges().size()));
            long within = rnd.nextBoolean() ? rnd.nextLong(Math.min(r.length(), 112)) : rnd.nextLong(r.length());
            long at = r.offset() + within;
            int x = 1 + rnd.nextInt(255);
            image.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at, (byte) (image.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at) ^ x));
            what.append(' ').append(at).append("^=").append(x);
            touched.add(r);
        }
        if (reseal) {
            for (Range r : touched) {
                reseal(image, r, region.seal());
            }
            if (region.seal() == ImageLocator.Seal.JOURNAL) {
                resealCommits(image, loc);
            }
        }
        return what.toString();
    }

    private static void reseal(MemorySegment image, Range r, ImageLocator.Seal seal) {
        MemorySegment s = image.asSlice(r.offset(), r.length());
        switch (seal) {
            case NONE -> {
            }
            case SUPERBLOCK -> Le.putInt(s, 4092, Crc.of(s, 0, 4092));
            case INODE_RECORD -> {
                if (Le.getInt(s, 0) != 0) {
                    Le.putInt(s, 252, Crc.of(s, 0, 252));
                }
            }
            case HEADER, JOURNAL -> {
                int magic = BlockHeader.magic(s);
                for (int m : HEADERED) {
                    if (m == magic) {
                        BlockHeader.seal(s);
                    }
                }
            }
        }
    }

    /** Recomputes every committed transaction's checksum, as if the damage had been written and committed. */
    private static void resealCommits(MemorySegment image, ImageLocator loc) {
        Geometry g = loc.geometry();
        for (JournalScan.Tx tx : loc.transactions()) {
            CRC32C crc = new CRC32C();
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < tx.length(); i++) {
                blocks.add(JournalScan.ringBlock(image, g, (tx.startPos() + i) % g.journalBlocks()));
            }
            for (int i = 0; i < blocks.size() - 1; i++) {
                crc.update(blocks.get(i).asByteBuffer());
            }
            MemorySegment commit = blocks.getLast();
            if (BlockHeader.magic(commit) == BlockHeader.JOURNAL_COMMIT) {
                BlockHeader.setC(commit, crc.getValue() & 0xFFFF_FFFFL);
                BlockHeader.seal(commit);
            }
        }
    }
}
