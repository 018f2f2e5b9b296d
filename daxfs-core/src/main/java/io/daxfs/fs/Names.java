package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileNames;

import java.util.ArrayList;
import java.util.List;

/**
 * Path parsing and name rules: absolute '/'-separated paths; names of 1 to 255 bytes, no NUL,
 * as Strings in the lossless form of {@link FileNames} (a String with no byte form: EILSEQ).
 */
final class Names {
    static final int MAX_NAME = 255;
    static final int MAX_PATH = 4096;

    private Names() {
    }

    /** The components of an absolute path ("" and repeated slashes skipped; "." and ".." kept). */
    static List<String> split(String path) throws DaxException {
        if (path == null || path.isEmpty()) {
            throw new DaxException(Errno.ENOENT, "empty path");
        }
        if (path.charAt(0) != '/') {
            throw new DaxException(Errno.EINVAL, "path must be absolute: '" + path + "'");
        }
        int bytes = FileNames.byteLength(path);
        if (bytes < 0) {
            FileNames.toBytes(path); // throws EILSEQ with the reason
        }
        if (bytes >= MAX_PATH) {
            throw new DaxException(Errno.ENAMETOOLONG, "path longer than " + (MAX_PATH - 1) + " bytes");
        }
        List<String> out = new ArrayList<>();
        for (String c : path.split("/")) {
            if (!c.isEmpty()) {
                check(c, path);
                out.add(c);
            }
        }
        return out;
    }

    /** Checks one component for length and NUL. */
    static void check(String name, String path) throws DaxException {
        if (name.indexOf('\0') >= 0) {
            throw new DaxException(Errno.EINVAL, "name contains NUL in '" + path.replace("\0", "\\0") + "'");
        }
        if (FileNames.toBytes(name).length > MAX_NAME) {
            throw new DaxException(Errno.ENAMETOOLONG, "name longer than " + MAX_NAME + " bytes in '" + path + "'");
        }
    }

    /** "/a/b/" names a directory: the last component must be one (POSIX trailing-slash rule). */
    static boolean mustBeDirectory(String path) {
        return path.length() > 1 && path.endsWith("/");
    }

    static boolean isDot(String name) {
        return name.equals(".") || name.equals("..");
    }
}
