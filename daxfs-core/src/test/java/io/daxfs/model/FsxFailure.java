package io.daxfs.model;

/**
 * An fsx run found the file system disagreeing with the model. The message says how to replay:
 * the seed, the operation index, and the operations that led there.
 */
public final class FsxFailure extends AssertionError {
    private final long seed;
    private final long opIndex;

    public FsxFailure(String message, long seed, long opIndex, Throwable cause) {
        super(message, cause);
        this.seed = seed;
        this.opIndex = opIndex;
    }

    public long seed() {
        return seed;
    }

    /** The failing operation's index, or -1 when the failure came outside an operation. */
    public long opIndex() {
        return opIndex;
    }
}
