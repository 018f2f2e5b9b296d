package io.daxfs.types;


/**
 * One directory entry. {@code cookie} is a stable position: listing again from that cookie
 * continues after this entry even when entries before it were added or removed meanwhile
 * (what readdir offsets need). Names are bytes; {@code name} is their lossless String form
 * ({@link FileNames}).
 */
public record DirEntry(String name, long ino, FileType type, long cookie) {
    /** The name's bytes, exactly as stored ({@code name} is their String form: {@link FileNames}). */
    public byte[] nameBytes() {
        try {
            return FileNames.toBytes(name);
        } catch (DaxException e) {
            throw new IllegalStateException("a listed name with no byte form: " + e.getMessage(), e);
        }
    }
}
