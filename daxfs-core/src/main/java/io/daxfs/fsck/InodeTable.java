package io.daxfs.fsck;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The in-use inodes found by the inode pass, by number. The pass visits inodes in increasing
 * order, so the table is an append-only sorted list searched by bisection: one reference per
 * inode and no boxing, which matters on large images.
 */
final class InodeTable {
    private final List<InodeInfo> infos = new ArrayList<>();

    void add(InodeInfo info) {
        if (!infos.isEmpty() && infos.getLast().ino >= info.ino) {
            throw new IllegalStateException("inodes must be added in increasing order");
        }
        infos.add(info);
    }

    /** The in-use inode {@code ino}, or null when it is free (or out of range). */
    InodeInfo get(long ino) {
        int lo = 0;
        int hi = infos.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long m = infos.get(mid).ino;
            if (m < ino) {
                lo = mid + 1;
            } else if (m > ino) {
                hi = mid - 1;
            } else {
                return infos.get(mid);
            }
        }
        return null;
    }

    List<InodeInfo> all() {
        return Collections.unmodifiableList(infos);
    }

    int size() {
        return infos.size();
    }
}
