package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.media.Bitmap;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirBlock;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Damages a cleanly unmounted image on purpose, one structure at a time, with valid checksums
 * unless the damage is the checksum: so that each test exercises the one check it means to.
 */
final class ImageEditor {
    private final MemorySegment dev;
    final Geometry g;

    ImageEditor(MemorySegment dev) throws DaxException {
        this.dev = dev;
        this.g = Superblock.read(dev).geometry();
    }

    MemorySegment block(long b) {
        return dev.asSlice(b << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
    }

    InodeRecord inode(long ino) throws DaxException {
        return InodeRecord.decode(block(g.inodeBlock(ino)), recordOffset(ino), ino);
    }

    /** Writes {@code r} as inode {@code ino} with a correct checksum. */
    void putInode(long ino, InodeRecord r) {
        r.encode(block(g.inodeBlock(ino)), recordOffset(ino));
    }

    static long recordOffset(long ino) {
        return (ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE;
    }

    /** The first data block of inode {@code ino} (its first inline extent). */
    long firstBlockOf(long ino) throws DaxException {
        List<Extent> ex = inode(ino).inlineExtents(ino);
        return ex.getFirst().physical();
    }

    boolean blockUsed(long b) {
        return Bitmap.get(block(g.blockBitmapStart() + b / Bitmap.BITS_PER_BLOCK), (int) (b % Bitmap.BITS_PER_BLOCK));
    }

    void setBlockUsed(long b, boolean used) {
        MemorySegment blk = block(g.blockBitmapStart() + b / Bitmap.BITS_PER_BLOCK);
        Bitmap.set(blk, (int) (b % Bitmap.BITS_PER_BLOCK), used);
        BlockHeader.seal(blk);
    }

    void setInodeUsed(long ino, boolean used) {
        MemorySegment blk = block(g.inodeBitmapStart() + ino / Bitmap.BITS_PER_BLOCK);
        Bitmap.set(blk, (int) (ino % Bitmap.BITS_PER_BLOCK), used);
        BlockHeader.seal(blk);
    }

    /** The last data block marked free in the block bitmap. */
    long freeDataBlock() {
        for (long b = g.totalBlocks() - 1; b >= g.dataStart(); b--) {
            if (!blockUsed(b)) {
                return b;
            }
        }
        throw new IllegalStateException("no free data block");
    }

    /** Removes the entry {@code name} from directory block 0 of {@code dirIno}. */
    void removeEntry(long dirIno, String name) throws DaxException {
        MemorySegment blk = block(firstBlockOf(dirIno));
        byte[] want = name.getBytes(StandardCharsets.UTF_8);
        for (int off = DirBlock.FIRST; off < Geometry.BLOCK_SIZE; off += DirBlock.recLen(blk, off)) {
            if (DirBlock.ino(blk, off) != 0 && Arrays.equals(DirBlock.name(blk, off), want)) {
                DirBlock.remove(blk, off);
                BlockHeader.seal(blk);
                return;
            }
        }
        throw new IllegalArgumentException("no entry " + name + " in directory " + dirIno);
    }

    void setOrphanHead(long ino) {
        MemorySegment blk = block(Geometry.FSINFO_BLOCK);
        BlockHeader.setA(blk, ino);
        BlockHeader.seal(blk);
    }

    /** A copy of the whole image. */
    byte[] bytes() {
        return dev.toArray(ValueLayout.JAVA_BYTE);
    }
}
