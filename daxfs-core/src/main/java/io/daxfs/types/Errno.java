package io.daxfs.types;


/**
 * POSIX-style error codes carried by {@link DaxException}. The numeric values are the Linux
 * x86-64 errno values, so the FUSE layer can return them unchanged.
 */
public enum Errno {
    EPERM(1, "operation not permitted"),
    ENOENT(2, "no such file or directory"),
    EINTR(4, "interrupted"),
    EIO(5, "input/output error"),
    ENXIO(6, "no such device or address"),
    E2BIG(7, "argument list too long"),
    EBADF(9, "bad file descriptor"),
    EAGAIN(11, "resource temporarily unavailable"),
    ENOMEM(12, "out of memory"),
    EACCES(13, "permission denied"),
    EFAULT(14, "bad address"),
    EBUSY(16, "device or resource busy"),
    EEXIST(17, "file exists"),
    EXDEV(18, "cross-device link"),
    ENODEV(19, "no such device"),
    ENOTDIR(20, "not a directory"),
    EISDIR(21, "is a directory"),
    EINVAL(22, "invalid argument"),
    EMFILE(24, "too many open files"),
    EFBIG(27, "file too large"),
    ENOSPC(28, "no space left on device"),
    ESPIPE(29, "illegal seek"),
    EROFS(30, "read-only file system"),
    EMLINK(31, "too many links"),
    EPIPE(32, "broken pipe"),
    ERANGE(34, "result out of range"),
    ENAMETOOLONG(36, "file name too long"),
    ENOSYS(38, "function not implemented"),
    ENOTEMPTY(39, "directory not empty"),
    ELOOP(40, "too many levels of symbolic links"),
    ENODATA(61, "no data available"),
    EOVERFLOW(75, "value too large for defined data type"),
    /** A name or symlink target given as a String that is not the String form of any bytes ({@link FileNames}). */
    EILSEQ(84, "invalid or incomplete multibyte or wide character"),
    EOPNOTSUPP(95, "operation not supported"),
    /** Structure needs cleaning: the on-device format is corrupt (Linux reports EFSCORRUPTED as this). */
    EUCLEAN(117, "structure needs cleaning"),
    /** Wrong medium type: not a daxfs image, or a format version this build does not read. */
    EMEDIUMTYPE(124, "wrong medium type"),
    /** An access through a mapping beyond end of file (the SIGBUS analog). */
    SIGBUS(7 + 128, "bus error: access beyond end of file");

    private final int code;
    private final String description;

    Errno(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /** The Linux errno value (positive). */
    public int code() {
        return code;
    }

    public String description() {
        return description;
    }

    /** The errno with Linux value {@code code}, or null when daxfs has no name for it (SIGBUS is not an errno). */
    public static Errno ofCode(int code) {
        for (Errno e : values()) {
            if (e.code == code && e != SIGBUS) {
                return e;
            }
        }
        return null;
    }
}
