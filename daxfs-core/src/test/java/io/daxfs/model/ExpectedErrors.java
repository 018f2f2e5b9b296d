package io.daxfs.model;

import io.daxfs.types.Errno;

/**
 * Which calls daxfs must refuse, and with which errno: the argument rules of the API (Linux's
 * for pread/pwrite, ftruncate, fallocate and lseek), applied to the model's state.
 */
final class ExpectedErrors {
    private static final int B = FileModel.BLOCK;

    private ExpectedErrors() {
    }

    /** The errno {@code op} must fail with given the file's state; null when it must succeed. */
    static Errno of(Op op, FileModel m) {
        long pos = op.pos();
        long len = op.len();
        long size = m.size();
        return switch (op.kind()) {
            case READ -> pos < 0 ? Errno.EINVAL : null;
            case WRITE -> pos < 0 ? Errno.EINVAL : len == 0 ? null : pos >= OpGenerator.MAX_FILE ? Errno.EFBIG : null;
            case TRUNCATE -> pos < 0 ? Errno.EINVAL : pos > OpGenerator.MAX_FILE ? Errno.EFBIG : null;
            case ALLOCATE, PUNCH, ZERO -> rangeError(pos, len);
            case COLLAPSE -> {
                // Aligned, and the range must end before EOF.
                Errno e = alignedError(pos, len);
                yield e != null ? e : pos + len >= size ? Errno.EINVAL : null;
            }
            case INSERT -> {
                // Aligned, inserted before EOF, and the file must stay below the maximum size.
                Errno e = alignedError(pos, len);
                yield e != null ? e : pos >= size ? Errno.EINVAL : size + len > OpGenerator.MAX_FILE ? Errno.EFBIG : null;
            }
            // As Linux (iomap_seek_data/hole): a negative offset is ENXIO too, like one at or past EOF.
            case SEEK_DATA -> pos < 0 || pos >= size || m.seekData(pos) < 0 ? Errno.ENXIO : null;
            case SEEK_HOLE -> pos < 0 || pos >= size ? Errno.ENXIO : null;
            default -> null;
        };
    }

    private static Errno rangeError(long pos, long len) {
        if (pos < 0 || len <= 0) {
            return Errno.EINVAL;
        }
        return pos + len > OpGenerator.MAX_FILE || pos + len < 0 ? Errno.EFBIG : null;
    }

    private static Errno alignedError(long pos, long len) {
        Errno e = rangeError(pos, len);
        if (e != null) {
            return e;
        }
        return (pos % B != 0 || len % B != 0) ? Errno.EINVAL : null;
    }
}
