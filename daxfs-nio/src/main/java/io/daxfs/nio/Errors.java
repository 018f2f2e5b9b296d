package io.daxfs.nio;

import io.daxfs.types.DaxException;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * The core's errno-style errors as the exceptions {@code java.nio.file} promises: the JDK's own
 * mapping of errno values on Unix (ENOENT is NoSuchFileException, EEXIST
 * FileAlreadyExistsException, ...), with the errno name and the core's message as the reason
 * for everything else.
 */
final class Errors {
    private Errors() {
    }

    static FileSystemException of(DaxException e, String file) {
        return of(e, file, null);
    }

    static FileSystemException of(DaxException e, String file, String other) {
        FileSystemException x = switch (e.errno()) {
            case ENOENT -> new NoSuchFileException(file, other, null);
            case EEXIST -> new FileAlreadyExistsException(file, other, null);
            case ENOTEMPTY -> new DirectoryNotEmptyException(file);
            case ENOTDIR -> new NotDirectoryException(file);
            case EACCES, EPERM -> new AccessDeniedException(file, other, e.errno().name() + ": " + e.detail());
            default -> new FileSystemException(file, other, e.errno().name() + ": " + e.detail());
        };
        x.initCause(e);
        return x;
    }

    static NotLinkException notLink(String file) {
        return new NotLinkException(file);
    }
}
