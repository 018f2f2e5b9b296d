package io.daxfs.fsck;

import io.daxfs.types.FileType;

/**
 * What the passes learn about one in-use inode: the fields of its record that later passes
 * compare against, and what the directory walk and the orphan list found. Kept small (no
 * extents, no inline area) because there is one per in-use inode; passes that need the block
 * map read it again.
 */
final class InodeInfo {
    final long ino;
    /** Null when the record could not be decoded (checksum, type or impossible fields). */
    final FileType type;
    final int nlink;
    final int flags;
    final long parent;
    final long orphanNext;
    final long orphanPrev;

    /** The block map (extents and extent chain) was read without a problem. */
    boolean mapIntact;
    /** With an intact map: blocks it owns (mapped plus extent chain), what {@code blocks} must say. */
    long ownedBlocks;
    /** Directories with an intact map and size: the device block of each directory block. */
    long[] dirBlocks;
    /** Directories with an intact map: the device block of each index node (empty when unindexed). */
    long[] indexBlocks;

    /** Directory entries naming this inode. */
    int names;
    /** Directories: the first directory found naming it. */
    long namedBy;
    /** Directories: more than one entry names it (hard link or cycle). */
    boolean multiplyNamed;
    /** Directories: entries in it that name directories. */
    int subdirs;
    /** Directories: every block was read and every entry judged, so {@link #subdirs} is exact. */
    boolean contentsChecked;
    boolean onOrphanList;

    InodeInfo(long ino, FileType type, int nlink, int flags, long parent, long orphanNext, long orphanPrev) {
        this.ino = ino;
        this.type = type;
        this.nlink = nlink;
        this.flags = flags;
        this.parent = parent;
        this.orphanNext = orphanNext;
        this.orphanPrev = orphanPrev;
    }

    /** A record that failed to decode: nothing of it is known but that it is in use. */
    static InodeInfo damaged(long ino) {
        return new InodeInfo(ino, null, 0, 0, 0, 0, 0);
    }

    boolean isDamaged() {
        return type == null;
    }

    boolean isDir() {
        return type == FileType.DIRECTORY;
    }

    /** "inode 12 (regular file)" or "inode 12 (damaged)". */
    String describe() {
        return "inode " + ino + " (" + typeName(type) + ")";
    }

    static String typeName(FileType t) {
        if (t == null) {
            return "damaged";
        }
        return switch (t) {
            case REGULAR -> "regular file";
            case DIRECTORY -> "directory";
            case SYMLINK -> "symlink";
            case FIFO -> "FIFO";
            case CHARACTER_DEVICE -> "character device";
            case BLOCK_DEVICE -> "block device";
            case SOCKET -> "socket";
        };
    }
}
