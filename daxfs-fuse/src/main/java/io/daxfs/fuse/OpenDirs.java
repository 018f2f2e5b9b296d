package io.daxfs.fuse;

import io.daxfs.types.FileStat;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The directories the kernel holds open right now, each with its open count and its last
 * attributes. daxfs frees a removed directory at once, but fstat on a descriptor still open on
 * it must go on working (with nlink 0), as on a local file system: getattr answers such a dead
 * inode number from here. A concurrent map, so the common case (no directory open, or not this
 * one) costs getattr one read.
 */
final class OpenDirs {
    private record OpenDir(int count, FileStat last) {
    }

    private final ConcurrentHashMap<Long, OpenDir> open = new ConcurrentHashMap<>();

    void opened(FileStat st) {
        open.merge(st.ino(), new OpenDir(1, st), (a, b) -> new OpenDir(a.count() + 1, b.last()));
    }

    void released(long ino) {
        open.computeIfPresent(ino, (k, d) -> d.count() > 1 ? new OpenDir(d.count() - 1, d.last()) : null);
    }

    /** Remembers the latest attributes of {@code st}'s directory if it is open. */
    void refresh(FileStat st) {
        if (!open.isEmpty()) {
            open.computeIfPresent(st.ino(), (k, d) -> new OpenDir(d.count(), st));
        }
    }

    /** What fstat shows for {@code ino} if it is an open directory daxfs removed; null if it is none. */
    FileStat removedWhileOpen(long ino) {
        OpenDir d = open.get(ino);
        if (d == null) {
            return null;
        }
        FileStat s = d.last();
        return new FileStat(s.ino(), s.type(), s.mode(), 0, s.uid(), s.gid(), s.size(), s.blocks(), s.atimeNs(),
                s.mtimeNs(), s.ctimeNs(), s.btimeNs(), s.rdev());
    }
}
