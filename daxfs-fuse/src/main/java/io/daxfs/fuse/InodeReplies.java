package io.daxfs.fuse;

import io.daxfs.api.DaxInodes;
import io.daxfs.fuse.lowlevel.FileInfo;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.fuse.lowlevel.Structs;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;

/**
 * How a daxfs inode is described to the kernel: its attributes as a {@code struct stat}, and
 * the entry replies (lookup, mkdir, create, ...) that carry them with the inode's generation and
 * the mount's cache timeouts. Every operation class answers through here, so all of them give
 * the kernel the same timeouts, and every entry the kernel gets is counted in {@link LookupCounts}.
 */
final class InodeReplies {
    private final DaxInodes inodes;
    private final LookupCounts lookups;
    private final double attrTimeout;
    private final double entryTimeout;

    InodeReplies(DaxInodes inodes, LookupCounts lookups, double attrTimeout, double entryTimeout) {
        this.inodes = inodes;
        this.lookups = lookups;
        this.attrTimeout = attrTimeout;
        this.entryTimeout = entryTimeout;
    }

    LookupCounts lookups() {
        return lookups;
    }

    /** Seconds the kernel may cache attributes. */
    double attrTimeout() {
        return attrTimeout;
    }

    /** Seconds the kernel may cache a name (and a negative lookup). */
    double entryTimeout() {
        return entryTimeout;
    }

    static Structs.Attr attr(FileStat st) {
        return new Structs.Attr(st.ino(), st.mode(), st.nlink(), st.uid(), st.gid(), st.size(), st.blocks(),
                st.atimeNs(), st.mtimeNs(), st.ctimeNs(), st.rdev());
    }

    void attr(FuseRequest r, FileStat st) {
        r.replyAttr(attr(st), attrTimeout);
    }

    /**
     * The name now refers to {@code st}: counts the kernel's new reference and replies. False,
     * with nothing sent, when the inode's number was reused before it could be held: the caller
     * looks the name up again.
     */
    boolean entry(FuseRequest r, FileStat st) throws DaxException {
        int generation = inodes.generation(st.ino());
        if (!lookups.take(st)) {
            return false;
        }
        if (!r.replyEntry(generation, attr(st), attrTimeout, entryTimeout)) {
            lookups.undo(st.ino()); // interrupted: the kernel never counted it
        }
        return true;
    }

    /** {@link #entry} for a name just made, which cannot be looked up again: ENOENT if it is gone already. */
    void made(FuseRequest r, FileStat st) throws DaxException {
        if (!entry(r, st)) {
            throw new DaxException(Errno.ENOENT, "inode " + st.ino() + " was removed before the reply");
        }
    }

    /** The name does not exist, which the kernel may remember; false when it may not (no timeout). */
    boolean negativeEntry(FuseRequest r) {
        if (entryTimeout <= 0) {
            return false;
        }
        r.replyEntry(0, null, 0, entryTimeout);
        return true;
    }

    /**
     * create: the new name's entry and the open file in {@code fi}. Returns whether the kernel got
     * it; if not (interrupted), the count is given back and the caller releases the open file.
     * The open file keeps the inode, so its number cannot have been reused.
     */
    boolean created(FuseRequest r, FileStat st, FileInfo fi) throws DaxException {
        int generation = inodes.generation(st.ino());
        if (!lookups.take(st)) {
            throw new IllegalStateException("a file just created and open has lost its inode number " + st.ino());
        }
        if (r.replyCreate(generation, attr(st), attrTimeout, entryTimeout, fi)) {
            return true;
        }
        lookups.undo(st.ino());
        return false;
    }
}
