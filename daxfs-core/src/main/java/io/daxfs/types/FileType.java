package io.daxfs.types;


/**
 * The kinds of file daxfs stores, with their POSIX {@code S_IFMT} bits. FIFOs, sockets and
 * device nodes are "special": they hold no data, only their type and (devices) a device number,
 * and what opening one does is the kernel's business (a pipe, a socket, a driver).
 */
public enum FileType {
    REGULAR(0100000),
    DIRECTORY(0040000),
    SYMLINK(0120000),
    FIFO(0010000),
    CHARACTER_DEVICE(0020000),
    BLOCK_DEVICE(0060000),
    SOCKET(0140000);

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
            case 0010000 -> FIFO;
            case 0020000 -> CHARACTER_DEVICE;
            case 0060000 -> BLOCK_DEVICE;
            case 0140000 -> SOCKET;
            default -> null;
        };
    }

    /** A FIFO, socket or device node: no data, no blocks. */
    public boolean isSpecial() {
        return this == FIFO || this == CHARACTER_DEVICE || this == BLOCK_DEVICE || this == SOCKET;
    }

    /** A device node, whose device number matters. */
    public boolean isDevice() {
        return this == CHARACTER_DEVICE || this == BLOCK_DEVICE;
    }
}
