package io.daxfs.types;


/** The kinds of file daxfs stores, with their POSIX {@code S_IFMT} bits. */
public enum FileType {
    REGULAR(0100000),
    DIRECTORY(0040000),
    SYMLINK(0120000);

    /** Mask of the type bits in a full POSIX mode. */
    public static final int S_IFMT = 0170000;

    private final int bits;

    FileType(int bits) {
        this.bits = bits;
    }

    public int modeBits() {
        return bits;
    }

    /** The type of a full POSIX mode, or null when the type bits name nothing daxfs stores. */
    public static FileType ofMode(int mode) {
        return switch (mode & S_IFMT) {
            case 0100000 -> REGULAR;
            case 0040000 -> DIRECTORY;
            case 0120000 -> SYMLINK;
            default -> null;
        };
    }
}
