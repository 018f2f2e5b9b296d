package io.daxfs.fsck;

import io.daxfs.api.*;
import io.daxfs.device.Device;

/** TEMPORARY skeleton (being written by a teammate). */
public final class Fsck {
    public static FsckReport check(Device d, boolean repair, ProgressListener p) throws DaxException {
        throw new DaxException(Errno.ENOSYS, "not yet implemented");
    }
}
