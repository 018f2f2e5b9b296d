package io.daxfs.fuse;

import io.daxfs.api.DaxInodes;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.RenameOption;

import java.util.ArrayList;
import java.util.List;

/**
 * The name operations: lookup, and making, linking, renaming and removing names. Each is one
 * {@link DaxInodes} call by parent inode number and name, so nothing here resolves a path or
 * keeps state. A failure is the DaxException of that call, which the dispatcher answers with
 * its errno; only lookup treats one specially (ENOENT becomes a negative entry the kernel may
 * cache).
 */
final class NamespaceOps {
    private static final int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;

    private final DaxInodes inodes;
    private final InodeReplies replies;

    NamespaceOps(DaxInodes inodes, InodeReplies replies) {
        this.inodes = inodes;
        this.replies = replies;
    }

    void lookup(FuseRequest r, long parent, String name) throws DaxException {
        if (name.equals(".")) {
            self(r, parent);
            return;
        }
        try {
            // Again if the inode found was removed and its number reused before it was counted.
            while (!replies.entry(r, inodes.lookup(parent, name))) {
                Thread.onSpinWait();
            }
        } catch (DaxException e) {
            if (e.errno() != Errno.ENOENT || !replies.negativeEntry(r)) {
                throw e;
            }
        }
    }

    /**
     * LOOKUP of "." in node {@code ino}, of any type: how the kernel finds a node by number when
     * it opens a file handle (open_by_handle_at, NFS export) it has no inode cached for. Path
     * walks never send it. The kernel compares the generation in the reply with the handle's,
     * so a number reused by another file fails with ESTALE, and so does a file that is gone.
     */
    private void self(FuseRequest r, long ino) throws DaxException {
        while (!replies.entry(r, inodes.getattr(ino))) {
            Thread.onSpinWait();
        }
    }

    void readlink(FuseRequest r, long ino) throws DaxException {
        r.replyReadlink(inodes.readlink(ino));
    }

    /** Regular files, FIFOs, sockets and device nodes (what is done with the latter is the kernel's). */
    void mknod(FuseRequest r, long parent, String name, int mode, long rdev, int umask) throws DaxException {
        replies.made(r, inodes.mknod(parent, name, mode, rdev, umask, r.uid(), r.gid()));
    }

    /** {@code umask}: what the core is to apply, unless {@code parent} has a default ACL (see {@link DaxFuseOperations}). */
    void mkdir(FuseRequest r, long parent, String name, int mode, int umask) throws DaxException {
        replies.made(r, inodes.mkdir(parent, name, mode & 07777, umask, r.uid(), r.gid()));
    }

    void symlink(FuseRequest r, String target, long parent, String name) throws DaxException {
        replies.made(r, inodes.symlink(parent, name, target, r.uid(), r.gid()));
    }

    void link(FuseRequest r, long ino, long newParent, String newName) throws DaxException {
        replies.made(r, inodes.link(ino, newParent, newName));
    }

    void unlink(FuseRequest r, long parent, String name) throws DaxException {
        inodes.unlink(parent, name);
        r.replyOk();
    }

    void rmdir(FuseRequest r, long parent, String name) throws DaxException {
        inodes.rmdir(parent, name);
        r.replyOk();
    }

    void rename(FuseRequest r, long parent, String name, long newParent, String newName, int flags)
            throws DaxException {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) {
            throw new DaxException(Errno.EINVAL, "rename: flags " + flags + " (no whiteouts here)");
        }
        List<RenameOption> o = new ArrayList<>(2);
        if ((flags & RENAME_NOREPLACE) != 0) {
            o.add(RenameOption.NOREPLACE);
        }
        if ((flags & RENAME_EXCHANGE) != 0) {
            o.add(RenameOption.EXCHANGE);
        }
        inodes.rename(parent, name, newParent, newName, o.toArray(RenameOption[]::new));
        r.replyOk();
    }
}
