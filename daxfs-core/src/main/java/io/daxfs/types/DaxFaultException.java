package io.daxfs.types;


import java.io.UncheckedIOException;

/**
 * A mapped access that could not be satisfied: {@link Errno#SIGBUS} beyond end of file,
 * {@link Errno#EACCES} for a write to a read-only mapping, {@link Errno#ENOSPC} or
 * {@link Errno#EROFS} for a write fault that needed a block, {@link Errno#EBADF} on a closed
 * mapping. Unchecked, because the accessors it comes from are plain loads and stores; the
 * cause is the {@link DaxException} with the errno and message.
 */
public final class DaxFaultException extends UncheckedIOException {
    public DaxFaultException(DaxException cause) {
        super(cause.getMessage(), cause);
    }

    @Override
    public synchronized DaxException getCause() {
        return (DaxException) super.getCause();
    }

    public Errno errno() {
        return getCause().errno();
    }
}
