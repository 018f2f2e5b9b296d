package io.daxfs.fs;

import java.nio.file.Files;
import java.nio.file.Path;

/** The uid and gid that new files get: the process's own, as a local file system would give. */
final class Ids {
    private static final int UID = read("unix:uid");
    private static final int GID = read("unix:gid");

    private Ids() {
    }

    static int uid() {
        return UID;
    }

    static int gid() {
        return GID;
    }

    private static int read(String attr) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), attr);
        } catch (Exception e) {
            return 0; // not Linux, or no unix attribute view: root-owned, as mkfs would make it
        }
    }
}
