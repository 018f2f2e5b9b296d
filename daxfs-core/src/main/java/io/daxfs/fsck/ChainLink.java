package io.daxfs.fsck;

import io.daxfs.media.BlockHeader;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One link of a chain of metadata blocks an inode owns (its extent blocks, its xattr blocks),
 * checked the same way for every kind: the pointer inside the data area, not seen before in this
 * chain, and the block of the right kind, with a matching checksum, owned by the inode.
 */
final class ChainLink {
    private ChainLink() {
    }

    /**
     * The block {@code block}, link {@code what} of inode {@code ino}'s chain of {@code magic}
     * blocks; null after reporting why it cannot be followed (then it may well belong to someone
     * else, and is not the inode's to claim).
     */
    static MemorySegment follow(MetaView view, long ino, long block, int magic, Set<Long> seen, String what,
                                String chainName, Consumer<String> report) {
        if (!view.geometry().isDataBlock(block)) {
            report.accept(what + ": pointer outside the data area");
            return null;
        }
        if (!seen.add(block)) {
            report.accept(what + ": the " + chainName + " chain loops");
            return null;
        }
        MemorySegment blk = view.block(block);
        if (BlockHeader.magic(blk) != magic) {
            report.accept(what + ": wrong block type (magic 0x" + Integer.toHexString(BlockHeader.magic(blk)) + ")");
            return null;
        }
        if (!BlockHeader.valid(blk, magic)) {
            report.accept(what + ": checksum mismatch");
            return null;
        }
        if (BlockHeader.a(blk) != ino) {
            report.accept(what + ": belongs to inode " + BlockHeader.a(blk));
            return null;
        }
        return blk;
    }
}
