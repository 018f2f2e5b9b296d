package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Translates host I/O errors (java.nio.file exceptions) into {@link DaxException}s, so that a
 * failure on the host side of a cp reads like one inside an image: "ENOENT: /tmp/x: no such
 * file or directory".
 */
final class HostErrors {
    private HostErrors() {
    }

    static DaxException toDax(IOException e) {
        if (e instanceof DaxException d) {
            return d;
        }
        if (e instanceof FileSystemException fse) {
            String file = fse.getFile() == null ? "" : fse.getFile();
            if (fse.getOtherFile() != null) {
                file += " -> " + fse.getOtherFile();
            }
            Errno errno = errnoOf(fse);
            // An error with no errno of its own keeps the JDK's words rather than "input/output error".
            String reason = errno == Errno.EIO && fse.getReason() != null ? fse.getReason() : errno.description();
            return new DaxException(errno, (file.isEmpty() ? "" : file + ": ") + reason, e);
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new DaxException(Errno.EIO, message, e);
    }

    private static Errno errnoOf(FileSystemException e) {
        if (e instanceof NoSuchFileException) {
            return Errno.ENOENT;
        }
        if (e instanceof FileAlreadyExistsException) {
            return Errno.EEXIST;
        }
        if (e instanceof DirectoryNotEmptyException) {
            return Errno.ENOTEMPTY;
        }
        if (e instanceof AccessDeniedException) {
            return Errno.EACCES;
        }
        if (e instanceof NotDirectoryException) {
            return Errno.ENOTDIR;
        }
        // Otherwise the JDK's reason is the C library's strerror text ("Is a directory"), which is
        // the description of the matching Errno.
        if (e.getReason() != null) {
            for (Errno errno : Errno.values()) {
                if (errno.description().equalsIgnoreCase(e.getReason())) {
                    return errno;
                }
            }
        }
        return Errno.EIO;
    }
}
