package io.daxfs.fuse;

import io.daxfs.api.DaxInodes;
import io.daxfs.fuse.lowlevel.FileInfo;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.fuse.lowlevel.Structs;
import io.daxfs.types.DaxException;
import io.daxfs.types.FileStat;

/**
 * How a daxfs inode is described to the kernel: its attributes as a {@code struct stat}, and
 * the entry replies (lookup, mkdir, create, ...) that carry them with the inode's generation and
 * the mount's cache timeouts. Every operation class answers through here, so all of them give
 * the kernel the same timeouts.
 */
final class InodeReplies {
    private final DaxInodes inodes;
    private final double attrTimeout;
    private final double entryTimeout;

    InodeReplies(DaxInodes inodes, double attrTimeout, double entryTimeout) {
        this.inodes = inodes;
        this.attrTimeout = attrTimeout;
        this.entryTimeout = entryTimeout;
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
                st.atimeNs(), st.mtimeNs(), st.ctimeNs());
    }

    void attr(FuseRequest r, FileStat st) {
        r.replyAttr(attr(st), attrTimeout);
    }

    /** The name now refers to {@code st}. */
    void entry(FuseRequest r, FileStat st) throws DaxException {
        r.replyEntry(inodes.generation(st.ino()), attr(st), attrTimeout, entryTimeout);
    }

    /** The name does not exist, which the kernel may remember; false when it may not (no timeout). */
    boolean negativeEntry(FuseRequest r) {
        if (entryTimeout <= 0) {
            return false;
        }
        r.replyEntry(0, null, 0, entryTimeout);
        return true;
    }

    /** create: the new name's entry and the open file in {@code fi}. */
    void created(FuseRequest r, FileStat st, FileInfo fi) throws DaxException {
        r.replyCreate(inodes.generation(st.ino()), attr(st), attrTimeout, entryTimeout, fi);
    }
}
