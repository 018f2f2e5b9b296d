package io.daxfs.fs;

import io.daxfs.journal.Journal;
import io.daxfs.media.XattrTable;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.FileNames;
import io.daxfs.types.PosixAcl;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Extended attributes and POSIX ACLs: getxattr, listxattr, setxattr, removexattr with Linux's
 * semantics, the ACLs' tie to the mode (chmod, access lists), their inheritance by new files, and
 * the access check by mode and ACL.
 *
 * <p>Namespaces: {@code user.} (regular files and directories only, as on Linux), {@code trusted.}
 * and {@code security.} (the privilege trusted. needs is the kernel's to check), and the two ACL
 * names {@code system.posix_acl_access} and {@code system.posix_acl_default} (directories only).
 * Anything else is EOPNOTSUPP. Names are at most 255 bytes (ERANGE), values at most 64 KiB
 * (E2BIG), and one inode's attributes at most {@link XattrTable#MAX_BYTES} (ENOSPC).
 *
 * <p>ACLs keep the mode true: an access list sets the mode's owner, group (the mask) and other
 * bits, and a list that says no more than a mode is not stored at all (as Linux does); a chmod
 * rewrites the stored list's owner, mask and other entries. A new file in a directory with a
 * default list gets an access list made from it and the mode asked for, and the umask is not
 * applied; a new directory also inherits the default list.
 *
 * <p>Storage: each inode's table is in memory ({@link Inode#xattrs}) and on the device in a chain
 * of xattr blocks, rewritten whole through the journal by the commit after each change.
 *
 * <p>Locks: a change holds the inode's life lock (so changes are serial, and the inode cannot be
 * freed meanwhile), opens a journal handle (allocating or freeing chain blocks in it), and sets
 * the table, chain and mode under the attribute lock. Readers take the attribute lock only.
 */
public final class Xattrs {
    /** setxattr flags, as Linux numbers them. */
    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;

    private final Volume v;

    Xattrs(Volume v) {
        this.v = v;
    }

    /** A parsed attribute name: namespace number and the bytes after its prefix. */
    private record Name(int ns, byte[] suffix, String text) {
    }

    // ---------------------------------------------------------------- the API's operations

    /** The value of attribute {@code name} of inode {@code ino}; ENODATA when it has none. */
    public byte[] get(long ino, String name) throws DaxException {
        Name n = parse(name);
        return v.onDevice("getxattr", () -> get(v.lookup.byIno(ino), n));
    }

    public byte[] get(String path, boolean follow, String name) throws DaxException {
        Name n = parse(name);
        return v.onDevice("getxattr", () -> get(v.lookup.resolve(path, follow), n));
    }

    /** The names of inode {@code ino}'s attributes, in stored order. */
    public List<String> list(long ino) throws DaxException {
        return v.onDevice("listxattr", () -> list(v.lookup.byIno(ino)));
    }

    public List<String> list(String path, boolean follow) throws DaxException {
        return v.onDevice("listxattr", () -> list(v.lookup.resolve(path, follow)));
    }

    /** Sets attribute {@code name} (flags: {@link #XATTR_CREATE}: EEXIST if present; {@link #XATTR_REPLACE}: ENODATA if absent). */
    public void set(long ino, String name, byte[] value, int flags) throws DaxException {
        Name n = parse(name);
        v.change("setxattr", () -> set(v.lookup.byIno(ino), "inode " + ino, n, value, flags));
    }

    public void set(String path, boolean follow, String name, byte[] value, int flags) throws DaxException {
        Name n = parse(name);
        v.change("setxattr", () -> set(v.lookup.resolve(path, follow), path, n, value, flags));
    }

    /** Removes attribute {@code name}; ENODATA when there is none. */
    public void remove(long ino, String name) throws DaxException {
        Name n = parse(name);
        v.change("removexattr", () -> remove(v.lookup.byIno(ino), "inode " + ino, n));
    }

    public void remove(String path, boolean follow, String name) throws DaxException {
        Name n = parse(name);
        v.change("removexattr", () -> remove(v.lookup.resolve(path, follow), path, n));
    }

    /**
     * access(2) for a caller with {@code uid} and groups {@code gids}: whether it may read,
     * write or execute ({@code want}, R=4 W=2 X=1; 0 only checks that the file exists) inode
     * {@code ino}, by its mode and access ACL. uid 0 may read and write anything and execute
     * what has an execute bit (or is a directory). EACCES when not.
     */
    public void checkAccess(long ino, int uid, int[] gids, int want) throws DaxException {
        v.onDevice("access", () -> checkAccess(v.lookup.byIno(ino), "inode " + ino, uid, gids, want));
    }

    public void checkAccess(String path, int uid, int[] gids, int want) throws DaxException {
        v.onDevice("access", () -> checkAccess(v.lookup.resolve(path, true), path, uid, gids, want));
    }

    // ---------------------------------------------------------------- the work

    private static Name parse(String name) throws DaxException {
        byte[] all = FileNames.toBytes(name);
        if (all.length == 0 || all.length > XattrTable.MAX_NAME) {
            throw new DaxException(Errno.ERANGE, "xattr name of " + all.length + " bytes (1 to "
                    + XattrTable.MAX_NAME + " allowed)");
        }
        for (byte b : all) {
            if (b == 0) {
                throw new DaxException(Errno.EINVAL, "xattr name contains NUL");
            }
        }
        for (int ns = XattrTable.ACL_ACCESS; ns <= XattrTable.ACL_DEFAULT; ns++) {
            if (name.equals(XattrTable.PREFIXES[ns])) {
                return new Name(ns, new byte[0], name);
            }
        }
        for (int ns = XattrTable.USER; ns <= XattrTable.SECURITY; ns++) {
            byte[] p = XattrTable.PREFIXES[ns].getBytes(StandardCharsets.US_ASCII);
            if (all.length >= p.length && Arrays.equals(all, 0, p.length, p, 0, p.length)) {
                if (all.length == p.length) {
                    throw new DaxException(Errno.EINVAL, "xattr name '" + name + "' has nothing after its namespace");
                }
                return new Name(ns, Arrays.copyOfRange(all, p.length, all.length), name);
            }
        }
        throw new DaxException(Errno.EOPNOTSUPP, "xattr name '" + name
                + "': namespace not supported (user., trusted., security., system.posix_acl_access/default)");
    }

    private static byte[] get(Inode in, Name n) throws DaxException {
        byte[] value = table(in).get(n.ns, n.suffix);
        if (value == null) {
            throw new DaxException(Errno.ENODATA, n.text + ": no such attribute");
        }
        return value;
    }

    private static List<String> list(Inode in) {
        List<String> out = new ArrayList<>();
        for (XattrTable.Entry e : table(in).entries()) {
            out.add(FileNames.fromBytes(e.fullName()));
        }
        return out;
    }

    private void set(Inode in, String what, Name n, byte[] value, int flags) throws DaxException {
        if (value.length > XattrTable.MAX_VALUE) {
            throw new DaxException(Errno.E2BIG, what + ": " + n.text + ": value of " + value.length + " bytes (at most "
                    + XattrTable.MAX_VALUE + ")");
        }
        if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0 || flags == (XATTR_CREATE | XATTR_REPLACE)) {
            throw new DaxException(Errno.EINVAL, what + ": setxattr flags " + flags);
        }
        checkNamespaceFor(in, what, n, true);
        PosixAcl acl = n.ns >= XattrTable.ACL_ACCESS ? PosixAcl.parse(value) : null;
        in.life.lock();
        try {
            checkAlive(in, what);
            XattrTable cur = table(in);
            boolean exists = cur.get(n.ns, n.suffix) != null;
            if ((flags & XATTR_CREATE) != 0 && exists) {
                throw new DaxException(Errno.EEXIST, what + ": " + n.text + ": attribute exists");
            }
            if ((flags & XATTR_REPLACE) != 0 && !exists) {
                throw new DaxException(Errno.ENODATA, what + ": " + n.text + ": no such attribute");
            }
            int mode = -1;
            XattrTable next;
            if (acl == null) {
                next = cur.with(n.ns, n.suffix, value);
            } else if (n.ns == XattrTable.ACL_ACCESS) {
                if (!acl.isEmpty()) {
                    mode = acl.modeBits();
                }
                // A list that says no more than the mode is the mode (as Linux stores it).
                next = acl.isEmpty() || acl.isEquivalentToMode() ? cur.without(n.ns, n.suffix)
                        : cur.with(n.ns, n.suffix, acl.encode());
            } else {
                next = acl.isEmpty() ? cur.without(n.ns, n.suffix) : cur.with(n.ns, n.suffix, acl.encode());
            }
            if (next.byteSize() > XattrTable.MAX_BYTES) {
                throw new DaxException(Errno.ENOSPC, what + ": extended attributes would take " + next.byteSize()
                        + " bytes (at most " + XattrTable.MAX_BYTES + " per file)");
            }
            store(in, next, mode);
        } finally {
            in.life.unlock();
        }
    }

    private void remove(Inode in, String what, Name n) throws DaxException {
        checkNamespaceFor(in, what, n, false);
        in.life.lock();
        try {
            checkAlive(in, what);
            XattrTable cur = table(in);
            XattrTable next = cur.without(n.ns, n.suffix);
            if (next == cur) {
                throw new DaxException(Errno.ENODATA, what + ": " + n.text + ": no such attribute");
            }
            store(in, next, -1);
        } finally {
            in.life.unlock();
        }
    }

    /** The namespace rules by file type: user. only on regular files and directories, ACLs not on symlinks, default ACLs on directories. */
    private static void checkNamespaceFor(Inode in, String what, Name n, boolean write) throws DaxException {
        if (n.ns == XattrTable.USER && !in.isRegular() && !in.isDir()) {
            throw new DaxException(write ? Errno.EPERM : Errno.ENODATA, what + ": user. attributes are for regular files and directories only");
        }
        if (n.ns >= XattrTable.ACL_ACCESS && in.isSymlink()) {
            throw new DaxException(Errno.EOPNOTSUPP, what + ": symbolic links have no ACLs");
        }
        if (n.ns == XattrTable.ACL_DEFAULT && !in.isDir() && write) {
            throw new DaxException(Errno.EACCES, what + ": only directories have default ACLs");
        }
    }

    private static void checkAlive(Inode in, String what) throws DaxException {
        if (in.freed || in.reaping) {
            throw new DaxException(Errno.ENOENT, what + ": no such file or directory");
        }
    }

    /** The inode's table now (tables are immutable: the caller reads it without the lock). */
    private static XattrTable table(Inode in) {
        in.meta.lock();
        try {
            return in.xattrs;
        } finally {
            in.meta.unlock();
        }
    }

    /**
     * Makes {@code next} the inode's table: sizes its chain in a handle (new blocks first, so an
     * ENOSPC changes nothing), then swaps table, chain and (unless -1) the mode's permission bits
     * under the attribute lock. Caller holds the life lock.
     */
    private void store(Inode in, XattrTable next, int modeBits) throws DaxException {
        if (v.blocks.availableForData() < next.blocksNeeded() && v.blocks.pendingBlocks() > 0) {
            v.reclaimFreedSpace();
        }
        try (Journal.Handle h = v.journal.begin()) {
            long[] old = in.xattrChain;
            long[] chain = resize(h, in.ino, old, next.blocksNeeded());
            in.meta.lock();
            try {
                in.xattrs = next;
                in.xattrChain = chain;
                in.xattrsDirty = true;
                if (modeBits >= 0) {
                    in.mode = (in.mode & ~0777) | modeBits;
                }
                in.ctime = Inode.now();
            } finally {
                in.meta.unlock();
            }
            h.markDirty(in);
        }
    }

    /** A chain of {@code need} blocks: {@code old}'s first ones, then new ones; frees the rest of {@code old}. */
    private long[] resize(Journal.Handle h, long ino, long[] old, int need) throws DaxException {
        long[] chain = need == 0 ? Inode.NO_BLOCKS : Arrays.copyOf(old, need);
        int i = old.length;
        try {
            for (; i < need; i++) {
                long goal = i == 0 ? 0 : chain[i - 1] + 1;
                chain[i] = v.blocks.allocateData(h, 1, goal, false, ino)[0];
            }
        } catch (DaxException e) {
            for (int j = old.length; j < i; j++) {
                v.blocks.free(h, chain[j], 1);
            }
            throw e;
        }
        for (int j = need; j < old.length; j++) {
            v.blocks.free(h, old[j], 1);
        }
        return chain;
    }

    // ---------------------------------------------------------------- ACLs and the mode

    /**
     * After a chmod to {@code mode} of {@code in}, rewrites its access list (if it has one) to
     * match. The list keeps its size, so its chain does too and no handle is needed. Caller holds
     * the life and attribute locks.
     */
    static void modeChanged(Inode in, int mode) {
        byte[] stored = in.xattrs.get(XattrTable.ACL_ACCESS, new byte[0]);
        if (stored == null) {
            return;
        }
        try {
            byte[] now = PosixAcl.parse(stored).withMode(mode).encode();
            in.xattrs = in.xattrs.with(XattrTable.ACL_ACCESS, new byte[0], now);
            in.xattrsDirty = true;
        } catch (DaxException e) {
            throw new IllegalStateException(in + ": stored access ACL does not parse", e); // checked when stored and at load
        }
    }

    /**
     * What a new file of {@code fullMode} in {@code dir} starts with: its mode (after the
     * directory's default ACL, or else the umask) and its table (an access list, and for a
     * directory the inherited default list). Caller holds dir's dirLock.
     */
    static Inherited inherit(Inode dir, int fullMode, int umask) throws DaxException {
        byte[] def = table(dir).get(XattrTable.ACL_DEFAULT, new byte[0]);
        boolean symlink = (fullMode & io.daxfs.types.FileType.S_IFMT) == io.daxfs.types.FileType.SYMLINK.modeBits();
        if (def == null || symlink) {
            return new Inherited(symlink ? fullMode : fullMode & ~(umask & 0777), XattrTable.EMPTY);
        }
        PosixAcl dacl = PosixAcl.parse(def);
        PosixAcl access = dacl.forNewFile(fullMode);
        int mode = (fullMode & ~0777) | access.modeBits();
        XattrTable t = access.isEquivalentToMode() ? XattrTable.EMPTY
                : XattrTable.EMPTY.with(XattrTable.ACL_ACCESS, new byte[0], access.encode());
        if ((fullMode & io.daxfs.types.FileType.S_IFMT) == io.daxfs.types.FileType.DIRECTORY.modeBits()) {
            t = t.with(XattrTable.ACL_DEFAULT, new byte[0], def);
        }
        return new Inherited(mode, t);
    }

    record Inherited(int mode, XattrTable xattrs) {
    }

    /** Gives the new inode {@code in} (not yet reachable) the inherited table's chain, in handle {@code h}. */
    void storeNew(Journal.Handle h, Inode in, XattrTable t) throws DaxException {
        if (t.isEmpty()) {
            return;
        }
        long[] chain = resize(h, in.ino, Inode.NO_BLOCKS, t.blocksNeeded());
        in.meta.lock();
        try {
            in.xattrs = t;
            in.xattrChain = chain;
            in.xattrsDirty = true;
        } finally {
            in.meta.unlock();
        }
    }

    /** Frees the chain of an inode being deleted (in the handle that frees the inode). */
    void freeAll(Journal.Handle h, Inode in) {
        long[] chain;
        in.meta.lock();
        try {
            chain = in.xattrChain;
            in.xattrChain = Inode.NO_BLOCKS;
            in.xattrs = XattrTable.EMPTY;
            in.xattrsDirty = false;
        } finally {
            in.meta.unlock();
        }
        for (long b : chain) {
            v.blocks.free(h, b, 1);
        }
    }

    private void checkAccess(Inode in, String what, int uid, int[] gids, int want) throws DaxException {
        if ((want & ~7) != 0) {
            throw new DaxException(Errno.EINVAL, what + ": access mask " + want);
        }
        int mode, owner, group;
        XattrTable t;
        in.meta.lock();
        try {
            mode = in.mode;
            owner = in.uid;
            group = in.gid;
            t = in.xattrs;
        } finally {
            in.meta.unlock();
        }
        boolean ok;
        if (uid == 0) {
            ok = (want & PosixAcl.X_OK) == 0 || in.isDir() || (mode & 0111) != 0;
        } else {
            byte[] stored = t.get(XattrTable.ACL_ACCESS, new byte[0]);
            PosixAcl acl = stored != null ? PosixAcl.parse(stored) : PosixAcl.fromMode(mode);
            ok = acl.permits(uid, gids, owner, group, want);
        }
        if (!ok) {
            throw new DaxException(Errno.EACCES, what + ": permission denied");
        }
    }
}
