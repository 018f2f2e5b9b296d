package io.daxfs.fuse;

import io.daxfs.api.DaxInodes;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel's lookup count of each inode number (FUSE's nlookup): every entry reply (lookup,
 * create, mknod, mkdir, symlink, link, and each readdirplus entry but "." and "..") adds one,
 * FORGET takes them away. FUSE requests name inodes by number and carry no generation, so while
 * the kernel counts a number, daxfs must not give it to another file: the first count holds the
 * number in the file system ({@link DaxInodes#holdNumber}) and the last forget releases it. A
 * request through a number whose file was deleted meanwhile then finds no inode (ENOENT),
 * instead of reaching whatever file got the number next.
 *
 * <p>Taking a count is {@link #take}: hold, then check that the number still names the inode
 * the reply describes (same birth time and type), because it may have been freed and reused
 * between the operation and the hold; a number that names no inode at that moment is not
 * counted either (a number just handed to a new file looks like that for a moment). A reply
 * that the kernel never got (its request was
 * interrupted) gives its count back with {@link #undo}.
 *
 * <p>Per number, counting and the hold/release transitions happen inside one
 * {@link ConcurrentHashMap#compute}, so a forget racing with a lookup never releases a number
 * that was just counted again. The root (1) is never counted: the kernel never forgets it.
 */
final class LookupCounts {
    private final DaxInodes inodes;
    private final ConcurrentHashMap<Long, Long> counts = new ConcurrentHashMap<>();

    LookupCounts(DaxInodes inodes) {
        this.inodes = inodes;
    }

    /**
     * Counts one kernel reference to {@code st.ino()}, about to be sent in a reply. Returns false
     * (and counts nothing) when the number no longer names that inode: the caller looks again.
     */
    boolean take(FileStat st) throws DaxException {
        long ino = st.ino();
        if (ino == DaxInodes.ROOT) {
            return true;
        }
        counts.compute(ino, (k, n) -> {
            if (n == null) {
                inodes.holdNumber(k);
                return 1L;
            }
            return n + 1;
        });
        FileStat now;
        try {
            now = inodes.getattr(ino);
        } catch (DaxException e) {
            // ENOENT: freed since, or freed and already handed to a new file that is not in the
            // inode cache yet (so it cannot be told apart): in both cases not the inode meant.
            undo(ino);
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
        if (now.btimeNs() == st.btimeNs() && now.type() == st.type()) {
            return true;
        }
        undo(ino); // freed and reused before the hold: this reply would describe another file
        return false;
    }

    /** Gives back one count taken for a reply the kernel did not get. */
    void undo(long ino) {
        forget(ino, 1);
    }

    /** FORGET: the kernel dropped {@code n} references to {@code ino}. */
    void forget(long ino, long n) {
        if (ino == DaxInodes.ROOT || n <= 0) {
            return;
        }
        counts.computeIfPresent(ino, (k, c) -> {
            if (c > n) {
                return c - n;
            }
            inodes.releaseNumber(k);
            return null;
        });
    }

    /** The kernel's count of {@code ino} (0 when it holds none). */
    long count(long ino) {
        return counts.getOrDefault(ino, 0L);
    }

    /** The session ended: the kernel holds nothing any more. */
    void releaseAll() {
        for (Long ino : counts.keySet()) {
            forget(ino, Long.MAX_VALUE);
        }
    }
}
