package io.daxfs.media;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A directory block: a {@link BlockHeader} (a = directory inode, b = block index) followed by
 * variable-length records that tile bytes [32, 4096) exactly:
 * <pre>
 *   0 u64 ino (0 = unused space)   8 u16 record length (multiple of 8)   10 u8 name length
 *  11 u8 type (1 regular, 2 directory, 3 symlink, 4 FIFO, 5 char device, 6 block device, 7 socket)   12 name bytes (any but '/' and NUL)
 * </pre>
 * A record may be longer than its name needs; the slack is free space for a later insert.
 * Removing a record merges it into the previous record (or, for the first record, sets its ino
 * to 0), so the position of every other record stays the same: positions are stable readdir
 * cookies.
 */
public final class DirBlock {
    public static final int FIRST = BlockHeader.SIZE;
    public static final int MAX_NAME = 255;
    public static final int HEADER = 12;
    /** Space a record for the longest name needs: any block with this much free takes any name. */
    public static final int MAX_RECORD = recordSize(MAX_NAME);

    private DirBlock() {
    }

    public static int recordSize(int nameLen) {
        return (HEADER + nameLen + 7) & ~7;
    }

    public static int typeCode(FileType t) {
        return switch (t) {
            case REGULAR -> 1;
            case DIRECTORY -> 2;
            case SYMLINK -> 3;
            case FIFO -> 4;
            case CHARACTER_DEVICE -> 5;
            case BLOCK_DEVICE -> 6;
            case SOCKET -> 7;
        };
    }

    public static FileType typeOf(int code) {
        return switch (code) {
            case 1 -> FileType.REGULAR;
            case 2 -> FileType.DIRECTORY;
            case 3 -> FileType.SYMLINK;
            case 4 -> FileType.FIFO;
            case 5 -> FileType.CHARACTER_DEVICE;
            case 6 -> FileType.BLOCK_DEVICE;
            case 7 -> FileType.SOCKET;
            default -> null;
        };
    }

    /** Initialises an empty directory block (not sealed). */
    public static void init(MemorySegment blk, long dirIno, long index) {
        blk.fill((byte) 0);
        BlockHeader.init(blk, BlockHeader.DIRECTORY, dirIno, index, 0);
        Le.putLong(blk, FIRST, 0);
        Le.putU16(blk, FIRST + 8, Geometry.BLOCK_SIZE - FIRST);
    }

    public static long ino(MemorySegment blk, int off) {
        return Le.getLong(blk, off);
    }

    public static int recLen(MemorySegment blk, int off) {
        return Le.getU16(blk, off + 8);
    }

    public static int nameLen(MemorySegment blk, int off) {
        return Le.getU8(blk, off + 10);
    }

    public static int type(MemorySegment blk, int off) {
        return Le.getU8(blk, off + 11);
    }

    public static byte[] name(MemorySegment blk, int off) {
        byte[] n = new byte[nameLen(blk, off)];
        MemorySegment.copy(blk, ValueLayout.JAVA_BYTE, off + HEADER, n, 0, n.length);
        return n;
    }

    /**
     * Checks the record chain of a block whose header is already verified: lengths tile the block,
     * names fit, types and names are legal. EUCLEAN otherwise.
     */
    public static void verifyRecords(MemorySegment blk, String what) throws DaxException {
        int off = FIRST;
        while (off < Geometry.BLOCK_SIZE) {
            if (off + HEADER > Geometry.BLOCK_SIZE) {
                // The previous record stopped short of the end, leaving no room for a header to read.
                throw new DaxException(Errno.EUCLEAN, what + ": record at " + off + " runs past the end of the block");
            }
            int len = recLen(blk, off);
            if (len < HEADER || (len & 7) != 0 || off + len > Geometry.BLOCK_SIZE) {
                throw new DaxException(Errno.EUCLEAN, what + ": bad record length " + len + " at " + off);
            }
            if (ino(blk, off) != 0) {
                int nl = nameLen(blk, off);
                if (nl == 0 || recordSize(nl) > len || typeOf(type(blk, off)) == null) {
                    throw new DaxException(Errno.EUCLEAN, what + ": bad record at " + off);
                }
                for (int i = 0; i < nl; i++) {
                    byte c = blk.get(ValueLayout.JAVA_BYTE, off + HEADER + i);
                    if (c == 0 || c == '/') {
                        throw new DaxException(Errno.EUCLEAN, what + ": name with '/' or NUL at " + off);
                    }
                }
            }
            off += len;
        }
    }

    /** Bytes an insert can use in the record at {@code off}: all of it if unused, else its slack. */
    private static int room(MemorySegment blk, int off) {
        int len = recLen(blk, off);
        return ino(blk, off) == 0 ? len : len - recordSize(nameLen(blk, off));
    }

    /** The largest record that {@link #insert} can place in this block. */
    public static int maxFree(MemorySegment blk) {
        int best = 0;
        for (int off = FIRST; off < Geometry.BLOCK_SIZE; off += recLen(blk, off)) {
            best = Math.max(best, room(blk, off));
        }
        return best;
    }

    /**
     * Where {@link #insert} would place a record of {@code need} bytes (the first record with
     * that much room), or -1 when the block has no room.
     */
    public static int findSlot(MemorySegment blk, int need) {
        for (int off = FIRST; off < Geometry.BLOCK_SIZE; off += recLen(blk, off)) {
            int len = recLen(blk, off);
            if (ino(blk, off) == 0) {
                if (len >= need) {
                    return off;
                }
            } else {
                int used = recordSize(nameLen(blk, off));
                if (len - used >= need) {
                    return off + used;
                }
            }
        }
        return -1;
    }

    /**
     * Places a record for {@code name} at {@link #findSlot}; returns its offset, or -1 when the
     * block has no room. Does not seal the block.
     */
    public static int insert(MemorySegment blk, byte[] name, long ino, int typeCode) {
        int need = recordSize(name.length);
        for (int off = FIRST; off < Geometry.BLOCK_SIZE; off += recLen(blk, off)) {
            int len = recLen(blk, off);
            if (ino(blk, off) == 0) {
                if (len >= need) {
                    write(blk, off, len, name, ino, typeCode);
                    return off;
                }
            } else {
                int used = recordSize(nameLen(blk, off));
                if (len - used >= need) {
                    Le.putU16(blk, off + 8, used);
                    int at = off + used;
                    write(blk, at, len - used, name, ino, typeCode);
                    return at;
                }
            }
        }
        return -1;
    }

    private static void write(MemorySegment blk, int off, int recLen, byte[] name, long ino, int typeCode) {
        Le.putLong(blk, off, ino);
        Le.putU16(blk, off + 8, recLen);
        Le.putU8(blk, off + 10, name.length);
        Le.putU8(blk, off + 11, typeCode);
        blk.asSlice(off + HEADER, recLen - HEADER).fill((byte) 0);
        MemorySegment.copy(name, 0, blk, ValueLayout.JAVA_BYTE, off + HEADER, name.length);
    }

    /** Changes the inode (and type) a record points to, keeping its position. */
    public static void retarget(MemorySegment blk, int off, long ino, int typeCode) {
        Le.putLong(blk, off, ino);
        Le.putU8(blk, off + 11, typeCode);
    }

    /** Removes the record at {@code off}, keeping every other record's position. */
    public static void remove(MemorySegment blk, int off) {
        if (off == FIRST) {
            Le.putLong(blk, off, 0);
            Le.putU8(blk, off + 10, 0);
            Le.putU8(blk, off + 11, 0);
            blk.asSlice(off + HEADER, recLen(blk, off) - HEADER).fill((byte) 0);
            return;
        }
        int prev = FIRST;
        while (prev + recLen(blk, prev) != off) {
            prev += recLen(blk, prev);
            if (prev >= off) {
                throw new IllegalStateException("record " + off + " is not on the chain");
            }
        }
        int len = recLen(blk, off);
        blk.asSlice(off, len).fill((byte) 0);
        Le.putU16(blk, prev + 8, recLen(blk, prev) + len);
    }
}
