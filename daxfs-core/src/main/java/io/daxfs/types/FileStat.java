package io.daxfs.types;


/**
 * What {@code stat} reports. {@code mode} is the full POSIX mode (type bits and permission bits);
 * {@code blocks} counts 512-byte units actually allocated, as {@code st_blocks} does; times are
 * nanoseconds since the epoch. {@code rdev} is a device node's device number (Linux's encoding,
 * as {@code makedev} makes it), 0 for every other type.
 */
public record FileStat(long ino, FileType type, int mode, int nlink, int uid, int gid, long size,
                       long blocks, long atimeNs, long mtimeNs, long ctimeNs, long btimeNs, long rdev) {
    public static final int BLOCK_SIZE = 4096;

    /** Permission bits only (the low 12 bits of the mode). */
    public int permissions() {
        return mode & 07777;
    }
}
