package io.daxfs.cli.bench;

/** The access patterns {@link IoBench} measures: block size, random or sequential, read or write. */
public enum Workload {
    RANDOM_READ_4K("4 KiB random read", 4096, true, false),
    RANDOM_WRITE_4K("4 KiB random write", 4096, true, true),
    SEQUENTIAL_READ_1M("1 MiB sequential read", 1 << 20, false, false),
    SEQUENTIAL_WRITE_1M("1 MiB sequential write", 1 << 20, false, true);

    private final String label;
    private final int blockSize;
    private final boolean random;
    private final boolean write;

    Workload(String label, int blockSize, boolean random, boolean write) {
        this.label = label;
        this.blockSize = blockSize;
        this.random = random;
        this.write = write;
    }

    public String label() {
        return label;
    }

    public int blockSize() {
        return blockSize;
    }

    public boolean random() {
        return random;
    }

    public boolean write() {
        return write;
    }
}
