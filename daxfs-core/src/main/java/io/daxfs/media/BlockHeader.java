package io.daxfs.media;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.lang.foreign.MemorySegment;

/**
 * The 32-byte header of every checksummed metadata block except the superblock and the inode
 * table (whose records carry their own checksums):
 * <pre>
 *   0 u32 magic   4 u32 crc32c of bytes [8, 4096)   8 u64 a   16 u64 b   24 u64 c
 * </pre>
 * The meaning of a, b, c depends on the kind (see each kind's constant).
 */
public final class BlockHeader {
    public static final int SIZE = 32;

    /** Block bitmap: a = index of this bitmap block. */
    public static final int BLOCK_BITMAP = 0x4D42_5844; // "DXBM"
    /** Inode bitmap: a = index of this bitmap block. */
    public static final int INODE_BITMAP = 0x4D49_5844; // "DXIM"
    /** Fs info: a = orphan list head (inode number, 0 = empty). */
    public static final int FSINFO = 0x4946_5844; // "DXFI"
    /** Directory block: a = owning directory inode, b = block index within the directory. */
    public static final int DIRECTORY = 0x5244_5844; // "DXDR"
    /** Directory index node: a = owning directory inode, b = its file block, c = level << 32 | count (see DirIndexNode). */
    public static final int DIR_INDEX = 0x5849_5844; // "DXIX"
    /** Extent overflow block: a = owning inode, b = next extent block (0 = last), c = extents in it. */
    public static final int EXTENTS = 0x5845_5844; // "DXEX"
    /** Symlink target block: a = owning inode, b = target length in bytes. */
    public static final int SYMLINK = 0x4C53_5844; // "DXSL"
    /** Extended attribute block: a = owning inode, b = next xattr block (0 = last), c = payload bytes. */
    public static final int XATTRS = 0x4158_5844; // "DXXA"
    /** Journal descriptor: a = transaction sequence, b = home block numbers listed, c = flags. */
    public static final int JOURNAL_DESCRIPTOR = 0x444A_5844; // "DXJD"
    /** Journal commit: a = transaction sequence, b = blocks in the transaction, c = crc32c of them. */
    public static final int JOURNAL_COMMIT = 0x434A_5844; // "DXJC"

    private BlockHeader() {
    }

    public static int magic(MemorySegment b) {
        return Le.getInt(b, 0);
    }

    public static long a(MemorySegment b) {
        return Le.getLong(b, 8);
    }

    public static long b(MemorySegment b) {
        return Le.getLong(b, 16);
    }

    public static long c(MemorySegment b) {
        return Le.getLong(b, 24);
    }

    public static void init(MemorySegment blk, int magic, long a, long b, long c) {
        Le.putInt(blk, 0, magic);
        Le.putLong(blk, 8, a);
        Le.putLong(blk, 16, b);
        Le.putLong(blk, 24, c);
    }

    public static void setA(MemorySegment blk, long v) {
        Le.putLong(blk, 8, v);
    }

    public static void setB(MemorySegment blk, long v) {
        Le.putLong(blk, 16, v);
    }

    public static void setC(MemorySegment blk, long v) {
        Le.putLong(blk, 24, v);
    }

    /** Computes and stores the checksum. Call after the last change to the block. */
    public static void seal(MemorySegment blk) {
        Le.putInt(blk, 4, Crc.of(blk, 8, Geometry.BLOCK_SIZE - 8));
    }

    /** True when the magic matches and the checksum is right. */
    public static boolean valid(MemorySegment blk, int magic) {
        return Le.getInt(blk, 0) == magic && Le.getInt(blk, 4) == Crc.of(blk, 8, Geometry.BLOCK_SIZE - 8);
    }

    /** Throws EUCLEAN naming {@code what} unless the block is a valid block of kind {@code magic}. */
    public static void verify(MemorySegment blk, int magic, String what) throws DaxException {
        if (Le.getInt(blk, 0) != magic) {
            throw new DaxException(Errno.EUCLEAN, what + ": wrong block type (magic " + Integer.toHexString(Le.getInt(blk, 0)) + ")");
        }
        if (Le.getInt(blk, 4) != Crc.of(blk, 8, Geometry.BLOCK_SIZE - 8)) {
            throw new DaxException(Errno.EUCLEAN, what + ": checksum mismatch");
        }
    }
}
