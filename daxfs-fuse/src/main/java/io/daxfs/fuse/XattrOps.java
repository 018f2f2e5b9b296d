package io.daxfs.fuse;

import io.daxfs.api.DaxInodes;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.types.DaxException;
import io.daxfs.types.FileNames;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * The extended-attribute operations: getxattr, listxattr, setxattr and removexattr, each one
 * {@link DaxInodes} call by inode number, so nothing here keeps state. Names cross as bytes in
 * both directions ({@link FileNames}), so a name that is not UTF-8 comes back as it went in.
 *
 * <p>The kernel checks first what it can (trusted. needs CAP_SYS_ADMIN, user. only on regular
 * files and directories, write permission by mode and ACL); daxfs checks again what it keeps.
 * POSIX ACLs arrive here as the system.posix_acl_access and system.posix_acl_default
 * attributes, in Linux's xattr encoding, when the kernel sets or fetches them (it caches them
 * itself): the core keeps the mode in step with the access ACL.
 */
final class XattrOps {
    private final DaxInodes inodes;

    XattrOps(DaxInodes inodes) {
        this.inodes = inodes;
    }

    void getxattr(FuseRequest r, long ino, String name, long size) throws DaxException {
        r.replyXattr(inodes.getxattr(ino, name), size);
    }

    void listxattr(FuseRequest r, long ino, long size) throws DaxException {
        List<String> names = inodes.listxattr(ino);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String n : names) {
            out.writeBytes(FileNames.toBytes(n));
            out.write(0);
        }
        r.replyXattr(out.toByteArray(), size);
    }

    void setxattr(FuseRequest r, long ino, String name, byte[] value, int flags) throws DaxException {
        inodes.setxattr(ino, name, value, flags);
        r.replyOk();
    }

    void removexattr(FuseRequest r, long ino, String name) throws DaxException {
        inodes.removexattr(ino, name);
        r.replyOk();
    }
}
