package io.daxfs.fuse;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxInodes;
import io.daxfs.fuse.lowlevel.FuseOperations.AttrChange;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.fuse.lowlevel.Structs;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.FsStat;
import io.daxfs.types.SetAttr;

/**
 * The attribute operations: getattr, setattr (chmod, chown, truncate, utimens), access, and
 * statfs for the whole file system. Attributes are daxfs's own ({@link DaxInodes#getattr});
 * the one addition is a directory removed while open, whose attributes come from
 * {@link OpenDirs} so that fstat on it keeps working.
 */
final class AttributeOps {
    private final DaxFileSystem fs;
    private final DaxInodes inodes;
    private final InodeReplies replies;
    private final OpenDirs openDirs;

    AttributeOps(DaxFileSystem fs, DaxInodes inodes, InodeReplies replies, OpenDirs openDirs) {
        this.fs = fs;
        this.inodes = inodes;
        this.replies = replies;
        this.openDirs = openDirs;
    }

    void getattr(FuseRequest r, long ino) throws DaxException {
        FileStat st;
        try {
            st = inodes.getattr(ino);
        } catch (DaxException e) {
            FileStat removed = e.errno() == Errno.ENOENT ? openDirs.removedWhileOpen(ino) : null;
            if (removed == null) {
                throw e;
            }
            // Not cached: it holds only while a descriptor is open on the directory.
            r.replyAttr(InodeReplies.attr(removed), 0);
            return;
        }
        if (st.type() == FileType.DIRECTORY) {
            openDirs.refresh(st);
        }
        replies.attr(r, st);
    }

    void setattr(FuseRequest r, long ino, AttrChange a) throws DaxException {
        Structs.Attr v = a.attr();
        SetAttr s = SetAttr.NONE;
        if (a.has(AttrChange.MODE)) {
            s = s.withMode(v.mode() & 07777);
        }
        if (a.has(AttrChange.UID)) {
            s = s.withUid(v.uid());
        }
        if (a.has(AttrChange.GID)) {
            s = s.withGid(v.gid());
        }
        if (a.has(AttrChange.SIZE)) {
            s = s.withSize(v.size());
        }
        if (a.has(AttrChange.ATIME_NOW)) {
            s = s.withAtime(SetAttr.UTIME_NOW);
        } else if (a.has(AttrChange.ATIME)) {
            s = s.withAtime(v.atimeNs());
        }
        if (a.has(AttrChange.MTIME_NOW)) {
            s = s.withMtime(SetAttr.UTIME_NOW);
        } else if (a.has(AttrChange.MTIME)) {
            s = s.withMtime(v.mtimeNs());
        }
        replies.attr(r, inodes.setattr(ino, s));
    }

    /**
     * Only reached without default_permissions (the mount asks for POSIX ACLs, which implies
     * it): the core's check by mode and access ACL, for the caller's uid and groups.
     */
    void access(FuseRequest r, long ino, int mask) throws DaxException {
        inodes.access(ino, r.uid(), r.groups(), mask & 7);
        r.replyOk();
    }

    void statfs(FuseRequest r) {
        FsStat s = fs.statfs();
        r.replyStatfs(new Structs.StatFs(s.blockSize(), s.totalBlocks(), s.freeBlocks(), s.availableBlocks(), s.totalInodes(),
                s.freeInodes(), s.nameMax()));
    }
}
