package io.daxfs.types;


/**
 * One directory entry. {@code cookie} is a stable position: listing again from that cookie
 * continues after this entry even when entries before it were added or removed meanwhile
 * (what readdir offsets need).
 */
public record DirEntry(String name, long ino, FileType type, long cookie) {
}
