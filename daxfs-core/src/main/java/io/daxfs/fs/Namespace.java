package io.daxfs.fs;

import io.daxfs.types.SetAttr;
import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;
import io.daxfs.types.RenameOption;
import io.daxfs.journal.Journal;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;

import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Path resolution and the namespace operations.
 *
 * <h2>Locking (docs/LOCKING.md has the whole order)</h2>
 * Lookups are lock-free: directory indexes are concurrent maps, and a name found by a racing
 * lookup whose inode was freed meanwhile yields ENOENT (tombstones in the inode cache). A change
 * locks the parent directory's {@code dirLock}; a cross-directory rename first takes
 * {@code renameLock} (so ancestry cannot change while it checks for loops) and locks both
 * parents, an ancestor before its descendant, otherwise lower inode number first. A directory
 * being removed or replaced is locked after its parent. Then the {@code life} lock of the inode
 * whose link count changes, then the journal handle. The handle is always innermost of these:
 * no directory or life lock is ever requested while holding one.
 */
final class Namespace {
    private static final int MAX_SYMLINKS = 40;
    private static final int MAX_LINKS = 65000;
    private static final int MAX_TARGET = Geometry.BLOCK_SIZE - io.daxfs.media.BlockHeader.SIZE;

    private final Volume v;
    private final OrderedLock renameLock = new OrderedLock(LockLevel.RENAME, "rename");

    Namespace(Volume v) {
        this.v = v;
    }

    record Parent(Inode dir, String name, List<String> dirComponents) {
    }

    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    Inode root() throws DaxException {
        return v.cache.get(1);
    }

    /** The loaded contents of directory {@code d} (loading them on first use). */
    Directory dirOf(Inode d) throws DaxException {
        Directory x = d.dir;
        if (x != null) {
            return x;
        }
        d.dirLock.lock();
        try {
            if (d.dir == null) {
                d.dir = d.size == 0 ? Directory.empty(d) : Directory.load(d, v.cache.reader());
            }
            return d.dir;
        } finally {
            d.dirLock.unlock();
        }
    }

    // ---------------------------------------------------------------- resolution

    Inode resolve(String path, boolean followLast) throws DaxException {
        boolean dirOnly = Names.mustBeDirectory(path);
        Inode in = walk(root(), Names.split(path), followLast || dirOnly, new int[1], path);
        if (dirOnly && !in.isDir()) {
            throw new DaxException(Errno.ENOTDIR, path + ": not a directory");
        }
        return in;
    }

    private Inode walk(Inode start, List<String> comps, boolean followLast, int[] links, String path) throws DaxException {
        Inode cur = start;
        for (int i = 0; i < comps.size(); i++) {
            String c = comps.get(i);
            if (!cur.isDir()) {
                throw new DaxException(Errno.ENOTDIR, path + ": a component is not a directory");
            }
            if (c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                cur = v.cache.get(cur.parent);
                continue;
            }
            Directory.Dentry d = dirOf(cur).lookup(c);
            if (d == null) {
                throw new DaxException(Errno.ENOENT, path + ": no such file or directory");
            }
            Inode next = v.cache.get(d.ino());
            boolean last = i == comps.size() - 1;
            if (next.isSymlink() && (!last || followLast)) {
                if (++links[0] > MAX_SYMLINKS) {
                    throw new DaxException(Errno.ELOOP, path + ": too many levels of symbolic links");
                }
                String t = next.targetString();
                List<String> rest = new ArrayList<>(splitTarget(t, path));
                rest.addAll(comps.subList(i + 1, comps.size()));
                return walk(t.startsWith("/") ? root() : cur, rest, followLast, links, path);
            }
            cur = next;
        }
        return cur;
    }

    private static List<String> splitTarget(String t, String path) throws DaxException {
        if (t.isEmpty()) {
            throw new DaxException(Errno.ENOENT, path + ": symbolic link with an empty target");
        }
        List<String> out = new ArrayList<>();
        for (String c : t.split("/")) {
            if (!c.isEmpty()) {
                Names.check(c, path);
                out.add(c);
            }
        }
        return out;
    }

    /** The directory that holds the last component of {@code path}, and that component (null for "/"). */
    Parent resolveParent(String path) throws DaxException {
        List<String> comps = Names.split(path);
        if (comps.isEmpty()) {
            return new Parent(root(), null, comps);
        }
        List<String> dirComps = comps.subList(0, comps.size() - 1);
        Inode dir = walk(root(), dirComps, true, new int[1], path);
        if (!dir.isDir()) {
            throw new DaxException(Errno.ENOTDIR, path + ": a component is not a directory");
        }
        return new Parent(dir, comps.getLast(), dirComps);
    }

    // ---------------------------------------------------------------- names given by inode

    /** The live inode {@code ino} (ENOENT if that number is not one: free, freed, out of range). */
    Inode byIno(long ino) throws DaxException {
        return v.cache.getLive(ino);
    }

    /** How the inode API names an entry in messages. */
    static String at(long dir, String name) {
        return "'" + name + "' in directory inode " + dir;
    }

    /** Checks a single name given to the inode API: ENOENT if empty, EINVAL for '/' or NUL, ENAMETOOLONG. */
    static void checkName(String name, String what) throws DaxException {
        if (name == null || name.isEmpty()) {
            throw new DaxException(Errno.ENOENT, what + ": empty name");
        }
        if (name.indexOf('/') >= 0) {
            throw new DaxException(Errno.EINVAL, what + ": a name cannot contain '/'");
        }
        Names.check(name, name);
    }

    /** The entry {@code name} of {@code dir}, symlinks not followed ("." and ".." included). */
    Inode lookupAt(Inode dir, String name, String what) throws DaxException {
        if (!dir.isDir()) {
            throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
        }
        if (name.equals(".")) {
            return dir;
        }
        if (name.equals("..")) {
            return dir.ino == 1 ? dir : v.cache.get(dir.parent);
        }
        Directory.Dentry d = dirOf(dir).lookup(name);
        if (d == null) {
            throw new DaxException(Errno.ENOENT, what + ": no such file or directory");
        }
        return v.cache.get(d.ino());
    }

    /** Directory {@code dir} for a change: ENOTDIR unless it is one. */
    private static void checkDir(Inode dir, String what) throws DaxException {
        if (!dir.isDir()) {
            throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
        }
    }

    // ---------------------------------------------------------------- open and create

    /** What an open asks for, from its options. */
    record OpenFlags(boolean read, boolean write, boolean append, boolean create, boolean createNew,
                     boolean truncate, boolean noFollow, boolean sync) {
        static OpenFlags of(OpenOption... options) {
            Set<OpenOption> o = Set.of(options);
            boolean append = o.contains(StandardOpenOption.APPEND);
            boolean write = o.contains(StandardOpenOption.WRITE) || append;
            boolean read = o.contains(StandardOpenOption.READ) || !write;
            boolean createNew = o.contains(StandardOpenOption.CREATE_NEW);
            boolean create = createNew || o.contains(StandardOpenOption.CREATE);
            boolean truncate = o.contains(StandardOpenOption.TRUNCATE_EXISTING) && write;
            boolean noFollow = o.contains(LinkOption.NOFOLLOW_LINKS) || o.contains(StandardOpenOption.CREATE_NEW);
            boolean sync = o.contains(StandardOpenOption.SYNC) || o.contains(StandardOpenOption.DSYNC);
            return new OpenFlags(read, write, append, create, createNew, truncate, noFollow, sync);
        }
    }

    OpenFile open(String path, int mode, OpenOption... options) throws DaxException {
        OpenFlags f = OpenFlags.of(options);
        if ((f.write() || f.create()) && v.readOnly) {
            throw new DaxException(Errno.EROFS, path + ": file system is mounted read-only");
        }
        if (Names.mustBeDirectory(path)) {
            // A regular file cannot be named with a trailing slash: resolve says ENOTDIR for an
            // existing non-directory; a directory, or a new name, is EISDIR (as open(2) says).
            try {
                resolve(path, true);
            } catch (DaxException e) {
                if (e.errno() != Errno.ENOENT || !f.create()) {
                    throw e;
                }
            }
            throw new DaxException(Errno.EISDIR, path + ": is a directory");
        }
        String p = path;
        for (int hops = 0; ; hops++) {
            Parent par = resolveParent(p);
            if (par.name() == null || Names.isDot(par.name())) {
                throw new DaxException(Errno.EISDIR, path + ": is a directory");
            }
            Object got = openInParent(par.dir(), par.name(), path, mode, Ids.uid(), Ids.gid(), f.create(),
                    f.createNew(), f.noFollow());
            if (got instanceof Inode in) {
                return opened(in, f);
            }
            if (hops >= MAX_SYMLINKS) {
                throw new DaxException(Errno.ELOOP, path + ": too many levels of symbolic links");
            }
            String target = (String) got;
            p = target.startsWith("/") ? target : "/" + String.join("/", par.dirComponents()) + "/" + target;
        }
    }

    /** The handle of an inode whose open count was just raised for it (truncating if asked). */
    private OpenFile opened(Inode in, OpenFlags f) throws DaxException {
        OpenFile file = new OpenFile(v, in, f.read(), f.write(), f.append(), f.sync());
        if (f.truncate()) {
            try {
                v.fileLayout.truncate(in, 0);
            } catch (DaxException | RuntimeException e) {
                file.close();
                throw e;
            }
        }
        return file;
    }

    /**
     * create(2) by directory inode: creates the regular file {@code name} in {@code dir} if absent
     * (EEXIST when {@code exclusive}), or opens the existing one; a symlink is not followed (ELOOP).
     */
    OpenFile createAt(Inode dir, String name, String what, int mode, int uid, int gid, boolean exclusive,
                      OpenOption... options) throws DaxException {
        OpenFlags f = OpenFlags.of(options);
        checkDir(dir, what);
        if (Names.isDot(name)) {
            throw new DaxException(Errno.EISDIR, what + ": is a directory");
        }
        Inode in = (Inode) openInParent(dir, name, what, mode, uid, gid, true, exclusive, true);
        return opened(in, f);
    }

    /**
     * Opens the regular file {@code in} by number. An unlinked file still held open elsewhere
     * (nlink 0, not freed) may be opened again; a freed one is ENOENT.
     */
    OpenFile openInode(Inode in, String what, OpenOption... options) throws DaxException {
        OpenFlags f = OpenFlags.of(options);
        if (in.isDir()) {
            throw new DaxException(Errno.EISDIR, what + ": is a directory");
        }
        if (in.isSymlink()) {
            throw new DaxException(Errno.ELOOP, what + ": is a symbolic link");
        }
        in.life.lock();
        try {
            if (in.freed) {
                throw new DaxException(Errno.ENOENT, what + ": no such inode");
            }
            in.openCount++;
        } finally {
            in.life.unlock();
        }
        return opened(in, f);
    }

    /** Opens (creating if asked) {@code name} in {@code dir}: an Inode, or a symlink target to follow. */
    private Object openInParent(Inode dir, String name, String path, int mode, int uid, int gid, boolean create,
                                boolean excl, boolean noFollow) throws DaxException {
        dir.dirLock.lock();
        try {
            checkAlive(dir, path);
            Directory.Dentry d = dirOf(dir).lookup(name);
            if (d == null) {
                if (!create) {
                    throw new DaxException(Errno.ENOENT, path + ": no such file or directory");
                }
                Inode in = createChild(dir, name, FileType.REGULAR.modeBits() | (mode & 07777), null, uid, gid);
                in.life.lock();
                try {
                    in.openCount++;
                } finally {
                    in.life.unlock();
                }
                return in;
            }
            if (excl) {
                throw new DaxException(Errno.EEXIST, path + ": file exists");
            }
            Inode in = v.cache.get(d.ino());
            if (in.isSymlink()) {
                if (noFollow) {
                    throw new DaxException(Errno.ELOOP, path + ": is a symbolic link (NOFOLLOW_LINKS)");
                }
                return in.targetString();
            }
            if (in.isDir()) {
                throw new DaxException(Errno.EISDIR, path + ": is a directory");
            }
            in.life.lock();
            try {
                if (in.nlink == 0 || in.freed) {
                    throw new DaxException(Errno.ENOENT, path + ": no such file or directory");
                }
                in.openCount++;
            } finally {
                in.life.unlock();
            }
            return in;
        } finally {
            dir.dirLock.unlock();
        }
    }

    /** The inode named {@code name} in {@code dir} (caller holds dir's dirLock); ENOENT if none. */
    private Inode existingChild(Inode dir, String name, String path) throws DaxException {
        checkAlive(dir, path);
        Directory.Dentry d = dirOf(dir).lookup(name);
        if (d == null) {
            throw new DaxException(Errno.ENOENT, path + ": no such file or directory");
        }
        return v.cache.get(d.ino());
    }

    private static void checkAlive(Inode dir, String path) throws DaxException {
        if (dir.nlink == 0 || dir.freed) {
            throw new DaxException(Errno.ENOENT, path + ": parent directory was removed");
        }
    }

    /**
     * Creates an inode and its entry {@code name} in {@code dir} (caller holds dir's dirLock and
     * checked the name is free). {@code target}: symlink target bytes, else null.
     */
    private Inode createChild(Inode dir, String name, int fullMode, byte[] target, int uid, int gid)
            throws DaxException {
        Directory dd = dirOf(dir);
        boolean isDir = (fullMode & FileType.S_IFMT) == FileType.DIRECTORY.modeBits();
        if (isDir && dir.nlink >= MAX_LINKS) {
            throw new DaxException(Errno.EMLINK, "too many subdirectories");
        }
        if (!v.inodes.hasAvailable() || v.blocks.availableForData() == 0 && v.blocks.pendingBlocks() > 0) {
            v.journal.checkpoint(); // numbers and blocks freed by recent transactions become reusable
        }
        try (Journal.Handle h = v.journal.begin()) {
            // Room for the entry first: if that fails with ENOSPC nothing else has changed.
            dd.reserve(h, v.fileBlocks, name);
            long ino = v.inodes.allocate(h);
            v.cache.checkUnused(ino);
            Inode in = new Inode(ino, v.geometry, new ExtentMap());
            long now = now();
            // As on Linux: the creating process's group, or the directory's when the directory is
            // set-group-ID (a new subdirectory then inherits the set-group-ID bit as well).
            boolean setgid = (dir.mode & 02000) != 0;
            in.mode = isDir && setgid ? fullMode | 02000 : fullMode;
            in.nlink = isDir ? 2 : 1;
            in.uid = uid;
            in.gid = setgid ? dir.gid : gid;
            in.atime = in.mtime = in.ctime = in.btime = now;
            in.parent = dir.ino;
            in.generation = (int) (now ^ (now >>> 32));
            if (isDir) {
                in.dir = Directory.empty(in);
            }
            if (target != null) {
                in.target = target;
                in.size = target.length;
                if (target.length <= InodeRecord.INLINE_BYTES) {
                    in.flags |= InodeRecord.FLAG_INLINE_TARGET;
                }
            }
            v.cache.put(in);
            try {
                if (target != null && target.length > InodeRecord.INLINE_BYTES) {
                    v.fileBlocks.addSymlinkBlock(h, in);
                }
            } catch (DaxException e) {
                discardNew(h, in);
                throw e;
            }
            h.markDirty(in);
            dd.add(h, v.fileBlocks, name, ino, FileType.ofMode(fullMode));
            dir.meta.lock();
            try {
                if (isDir) {
                    dir.nlink++;
                }
                dir.mtime = dir.ctime = now;
            } finally {
                dir.meta.unlock();
            }
            h.markDirty(dir);
            return in;
        }
    }

    private void discardNew(Journal.Handle h, Inode in) {
        in.freed = true;
        v.inodes.free(h, in.ino);
        h.markDirty(in);
        h.afterCheckpoint(() -> v.cache.removeTombstone(in));
    }

    void mkdir(String path, int mode) throws DaxException {
        Parent par = resolveParent(path);
        if (par.name() == null) {
            throw new DaxException(Errno.EEXIST, path + ": file exists");
        }
        makeAt(par.dir(), par.name(), path, FileType.DIRECTORY.modeBits() | (mode & 07777), null, Ids.uid(), Ids.gid());
    }

    /**
     * Creates the new entry {@code name} in {@code dir} (EEXIST if taken): a directory, a regular
     * file or (with {@code target}) a symlink, per the type bits of {@code fullMode}.
     */
    Inode makeAt(Inode dir, String name, String what, int fullMode, byte[] target, int uid, int gid)
            throws DaxException {
        checkDir(dir, what);
        if (Names.isDot(name)) {
            throw new DaxException(Errno.EEXIST, what + ": file exists");
        }
        dir.dirLock.lock();
        try {
            checkAlive(dir, what);
            if (dirOf(dir).lookup(name) != null) {
                throw new DaxException(Errno.EEXIST, what + ": file exists");
            }
            return createChild(dir, name, fullMode, target, uid, gid);
        } finally {
            dir.dirLock.unlock();
        }
    }

    void symlink(String target, String linkPath) throws DaxException {
        byte[] t = symlinkTarget(target, linkPath);
        Parent par = resolveParent(linkPath);
        if (par.name() == null) {
            throw new DaxException(Errno.EEXIST, linkPath + ": file exists");
        }
        makeAt(par.dir(), par.name(), linkPath, FileType.SYMLINK.modeBits() | 0777, t, Ids.uid(), Ids.gid());
    }

    /** The bytes of a symlink target: ENOENT if empty, ENAMETOOLONG or EINVAL if impossible. */
    static byte[] symlinkTarget(String target, String linkPath) throws DaxException {
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        if (t.length == 0) {
            throw new DaxException(Errno.ENOENT, linkPath + ": empty symbolic link target");
        }
        if (t.length > MAX_TARGET || target.indexOf('\0') >= 0) {
            throw new DaxException(t.length > MAX_TARGET ? Errno.ENAMETOOLONG : Errno.EINVAL,
                    linkPath + ": symbolic link target longer than " + MAX_TARGET + " bytes or containing NUL");
        }
        return t;
    }

    String readlink(String path) throws DaxException {
        return readlink(resolve(path, false), path);
    }

    String readlink(Inode in, String what) throws DaxException {
        if (!in.isSymlink()) {
            throw new DaxException(Errno.EINVAL, what + ": not a symbolic link");
        }
        return in.targetString();
    }

    // ---------------------------------------------------------------- removal

    void unlink(String path) throws DaxException {
        Parent par = resolveParent(path);
        if (par.name() == null) {
            throw new DaxException(Errno.EISDIR, path + ": is a directory");
        }
        unlinkAt(par.dir(), par.name(), path, Names.mustBeDirectory(path));
    }

    /** Removes the non-directory entry {@code name} of {@code dir}; ENOTDIR when {@code trailingSlash}. */
    void unlinkAt(Inode dir, String name, String what, boolean trailingSlash) throws DaxException {
        checkDir(dir, what);
        if (Names.isDot(name)) {
            throw new DaxException(Errno.EISDIR, what + ": is a directory");
        }
        dir.dirLock.lock();
        try {
            Directory dd = dirOf(dir);
            Inode in = existingChild(dir, name, what);
            if (in.isDir()) {
                throw new DaxException(Errno.EISDIR, what + ": is a directory");
            }
            if (trailingSlash) {
                throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
            }
            in.life.lock();
            try (Journal.Handle h = v.journal.begin()) {
                dd.remove(h, name);
                touchDir(h, dir, 0);
                dropLink(h, in);
            } finally {
                in.life.unlock();
            }
        } finally {
            dir.dirLock.unlock();
        }
    }

    void rmdir(String path) throws DaxException {
        Parent par = resolveParent(path);
        if (par.name() == null) {
            throw new DaxException(Errno.EBUSY, path + ": cannot remove the root directory");
        }
        rmdirAt(par.dir(), par.name(), path);
    }

    /** Removes the empty subdirectory {@code name} of {@code dir}. */
    void rmdirAt(Inode dir, String name, String what) throws DaxException {
        checkDir(dir, what);
        if (name.equals(".")) {
            throw new DaxException(Errno.EINVAL, what + ": cannot remove '.'");
        }
        if (name.equals("..")) {
            throw new DaxException(Errno.ENOTEMPTY, what + ": directory not empty");
        }
        dir.dirLock.lock();
        try {
            Directory dd = dirOf(dir);
            Inode child = existingChild(dir, name, what);
            if (!child.isDir()) {
                throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
            }
            child.dirLock.lock();
            try {
                if (!dirOf(child).isEmpty()) {
                    throw new DaxException(Errno.ENOTEMPTY, what + ": directory not empty");
                }
                try (Journal.Handle h = v.journal.begin()) {
                    dd.remove(h, name);
                    touchDir(h, dir, -1);
                    removeDirectory(h, child);
                }
            } finally {
                child.dirLock.unlock();
            }
        } finally {
            dir.dirLock.unlock();
        }
    }

    /** Drops one link of a non-directory (caller holds its life lock and a handle). */
    private void dropLink(Journal.Handle h, Inode in) throws DaxException {
        boolean last;
        boolean inUse;
        in.meta.lock();
        try {
            in.nlink--;
            in.ctime = now();
            last = in.nlink == 0;
            inUse = in.openCount > 0;
        } finally {
            in.meta.unlock();
        }
        h.markDirty(in);
        if (last) {
            if (inUse) {
                v.orphans.add(h, in);
            } else {
                evict(h, in);
            }
        }
    }

    /** Frees an empty directory whose entry is gone (caller holds its dirLock and a handle). */
    private void removeDirectory(Journal.Handle h, Inode child) throws DaxException {
        child.meta.lock();
        try {
            child.nlink = 0;
            child.ctime = now();
        } finally {
            child.meta.unlock();
        }
        evict(h, child);
    }

    /**
     * Frees an inode that has no name left and no open handle. Nobody can reach it any more, so
     * nobody holds or can wait for its I/O lock.
     */
    void evict(Journal.Handle h, Inode in) throws DaxException {
        v.dax().evicted(in);
        v.fileBlocks.freeAll(h, in);
        if ((in.flags & InodeRecord.FLAG_ORPHAN) != 0) {
            v.orphans.remove(h, in);
        }
        in.meta.lock();
        try {
            in.freed = true;
        } finally {
            in.meta.unlock();
        }
        v.inodes.free(h, in.ino);
        h.markDirty(in);
        h.afterCheckpoint(() -> v.cache.removeTombstone(in));
    }

    /** Frees an unlinked inode at its last close, or at mount for crash leftovers. */
    void evictNow(Inode in) throws DaxException {
        in.life.lock();
        try (Journal.Handle h = v.journal.begin()) {
            if (!in.freed && in.nlink == 0 && in.openCount == 0) {
                evict(h, in);
            }
        } finally {
            in.life.unlock();
        }
    }

    /** A second handle on an open file (see {@link Volume#reopen}). */
    OpenFile reopen(OpenFile f) throws DaxException {
        Inode in = f.inode();
        in.life.lock();
        try {
            if (in.freed || f.isClosed()) {
                throw new DaxException(Errno.EBADF, "file is closed");
            }
            in.openCount++;
        } finally {
            in.life.unlock();
        }
        return f.duplicate();
    }

    /** An open handle closes: the last close of an unlinked file frees it. */
    void release(Inode in) throws DaxException {
        boolean evictIt;
        in.life.lock();
        try {
            in.openCount--;
            evictIt = in.openCount == 0 && in.nlink == 0 && !in.freed;
            if (evictIt && !v.readOnly) {
                try (Journal.Handle h = v.journal.begin()) {
                    evict(h, in);
                }
            }
        } finally {
            in.life.unlock();
        }
    }

    // ---------------------------------------------------------------- link and rename

    void link(String existing, String newPath) throws DaxException {
        Inode src = resolve(existing, false);
        if (src.isDir()) {
            throw new DaxException(Errno.EPERM, existing + ": hard links to directories are not allowed");
        }
        Parent par = resolveParent(newPath);
        if (par.name() == null) {
            throw new DaxException(Errno.EEXIST, newPath + ": file exists");
        }
        linkAt(src, existing, par.dir(), par.name(), newPath);
    }

    /** Adds the entry {@code name} in {@code dir} for the non-directory {@code src}. */
    void linkAt(Inode src, String srcWhat, Inode dir, String name, String what) throws DaxException {
        if (src.isDir()) {
            throw new DaxException(Errno.EPERM, srcWhat + ": hard links to directories are not allowed");
        }
        checkDir(dir, what);
        if (Names.isDot(name)) {
            throw new DaxException(Errno.EEXIST, what + ": file exists");
        }
        dir.dirLock.lock();
        try {
            checkAlive(dir, what);
            Directory dd = dirOf(dir);
            if (dd.lookup(name) != null) {
                throw new DaxException(Errno.EEXIST, what + ": file exists");
            }
            src.life.lock();
            try (Journal.Handle h = v.journal.begin()) {
                if (src.nlink == 0 || src.freed) {
                    throw new DaxException(Errno.ENOENT, srcWhat + ": no such file or directory");
                }
                if (src.nlink >= MAX_LINKS) {
                    throw new DaxException(Errno.EMLINK, srcWhat + ": too many links");
                }
                dd.reserve(h, v.fileBlocks, name);
                dd.add(h, v.fileBlocks, name, src.ino, src.type());
                src.meta.lock();
                try {
                    src.nlink++;
                    src.ctime = now();
                } finally {
                    src.meta.unlock();
                }
                h.markDirty(src);
                touchDir(h, dir, 0);
            } finally {
                src.life.unlock();
            }
        } finally {
            dir.dirLock.unlock();
        }
    }

    /** The rename options as flags: EINVAL for EXCHANGE with NOREPLACE. */
    record RenameFlags(boolean exchange, boolean noReplace) {
        static RenameFlags of(RenameOption... options) throws DaxException {
            Set<RenameOption> o = Set.of(options);
            boolean exchange = o.contains(RenameOption.EXCHANGE);
            boolean noReplace = o.contains(RenameOption.NOREPLACE);
            if (exchange && noReplace) {
                throw new DaxException(Errno.EINVAL, "rename: EXCHANGE and NOREPLACE exclude each other");
            }
            return new RenameFlags(exchange, noReplace);
        }
    }

    void rename(String from, String to, RenameOption... options) throws DaxException {
        RenameFlags f = RenameFlags.of(options);
        Parent a = resolveParent(from);
        Parent b = resolveParent(to);
        if (a.name() == null || b.name() == null) {
            throw new DaxException(Errno.EBUSY, "rename: cannot rename the root directory");
        }
        renameAt(a.dir(), a.name(), b.dir(), b.name(), from, to,
                Names.mustBeDirectory(from) || Names.mustBeDirectory(to),
                Names.mustBeDirectory(from) ? from : to, f);
    }

    /**
     * Renames {@code aName} in {@code aDir} to {@code bName} in {@code bDir}. {@code mustBeDir}:
     * a trailing slash asked for a directory (ENOTDIR naming {@code slashWhat} otherwise).
     */
    void renameAt(Inode aDir, String aName, Inode bDir, String bName, String from, String to, boolean mustBeDir,
                  String slashWhat, RenameFlags f) throws DaxException {
        checkDir(aDir, from);
        checkDir(bDir, to);
        if (Names.isDot(aName) || Names.isDot(bName)) {
            throw new DaxException(Errno.EINVAL, "rename: '.' and '..' cannot be renamed");
        }
        boolean cross = aDir != bDir;
        if (cross) {
            renameLock.lock();
        }
        try {
            Inode first = aDir;
            Inode second = bDir;
            if (cross && !isAncestor(aDir, bDir)
                    && (isAncestor(bDir, aDir) || bDir.ino < aDir.ino)) {
                first = bDir;
                second = aDir;
            }
            first.dirLock.lock();
            try {
                if (cross) {
                    second.dirLock.lock();
                }
                try {
                    renameLocked(aDir, aName, bDir, bName, from, to, cross, mustBeDir, slashWhat, f.exchange(),
                            f.noReplace());
                } finally {
                    if (cross) {
                        second.dirLock.unlock();
                    }
                }
            } finally {
                first.dirLock.unlock();
            }
        } finally {
            if (cross) {
                renameLock.unlock();
            }
        }
    }

    private void renameLocked(Inode aDir, String aName, Inode bDir, String bName, String from, String to,
                              boolean cross, boolean mustBeDir, String slashWhat, boolean exchange,
                              boolean noReplace) throws DaxException {
        checkAlive(aDir, from);
        checkAlive(bDir, to);
        Directory da = dirOf(aDir);
        Directory db = dirOf(bDir);
        Directory.Dentry sd = da.lookup(aName);
        if (sd == null) {
            throw new DaxException(Errno.ENOENT, from + ": no such file or directory");
        }
        Inode src = v.cache.get(sd.ino());
        if (!src.isDir() && mustBeDir) {
            throw new DaxException(Errno.ENOTDIR, slashWhat + ": not a directory");
        }
        Directory.Dentry dd = db.lookup(bName);
        if (dd != null && dd.ino() == sd.ino()) {
            return; // the same file under both names: POSIX says do nothing
        }
        if (src.isDir() && cross && (bDir == src || isAncestor(src, bDir))) {
            throw new DaxException(Errno.EINVAL, to + ": cannot move a directory into itself");
        }
        if (exchange) {
            if (dd == null) {
                throw new DaxException(Errno.ENOENT, to + ": no such file or directory");
            }
            Inode dst = v.cache.get(dd.ino());
            if (dst.isDir() && cross && (aDir == dst || isAncestor(dst, aDir))) {
                throw new DaxException(Errno.EINVAL, from + ": cannot move a directory into itself");
            }
            try (Journal.Handle h = v.journal.begin()) {
                da.retarget(h, aName, dst.ino, dst.type());
                db.retarget(h, bName, src.ino, src.type());
                if (cross) {
                    int delta = (src.isDir() ? 1 : 0) - (dst.isDir() ? 1 : 0);
                    reparent(h, src, bDir);
                    reparent(h, dst, aDir);
                    touchDir(h, aDir, -delta);
                    touchDir(h, bDir, delta);
                } else {
                    touchDir(h, aDir, 0);
                }
            }
            return;
        }
        Inode victim = null;
        if (dd != null) {
            if (noReplace) {
                throw new DaxException(Errno.EEXIST, to + ": file exists");
            }
            victim = v.cache.get(dd.ino());
            if (src.isDir() && !victim.isDir()) {
                throw new DaxException(Errno.ENOTDIR, to + ": not a directory");
            }
            if (!src.isDir() && victim.isDir()) {
                throw new DaxException(Errno.EISDIR, to + ": is a directory");
            }
        } else if (src.isDir() && cross && bDir.nlink >= MAX_LINKS) {
            throw new DaxException(Errno.EMLINK, to + ": too many subdirectories");
        }
        if (victim != null && victim.isDir()) {
            victim.dirLock.lock();
        }
        try {
            if (victim != null && victim.isDir() && !dirOf(victim).isEmpty()) {
                throw new DaxException(Errno.ENOTEMPTY, to + ": directory not empty");
            }
            Inode vl = victim;
            if (vl != null) {
                vl.life.lock();
            }
            try (Journal.Handle h = v.journal.begin()) {
                if (dd != null) {
                    db.retarget(h, bName, src.ino, src.type());
                } else {
                    db.reserve(h, v.fileBlocks, bName);
                    db.add(h, v.fileBlocks, bName, src.ino, src.type());
                }
                da.remove(h, aName);
                int subdirMoved = src.isDir() && cross ? 1 : 0;
                int victimDir = vl != null && vl.isDir() ? 1 : 0;
                if (subdirMoved == 1) {
                    reparent(h, src, bDir);
                }
                touchDir(h, aDir, -subdirMoved);
                touchDir(h, bDir, cross ? subdirMoved - victimDir : -victimDir);
                if (vl != null) {
                    if (vl.isDir()) {
                        removeDirectory(h, vl);
                    } else {
                        dropLink(h, vl);
                    }
                }
                src.meta.lock();
                try {
                    src.ctime = now();
                } finally {
                    src.meta.unlock();
                }
                h.markDirty(src);
            } finally {
                if (vl != null) {
                    vl.life.unlock();
                }
            }
        } finally {
            if (victim != null && victim.isDir()) {
                victim.dirLock.unlock();
            }
        }
    }

    private void reparent(Journal.Handle h, Inode child, Inode newParent) {
        if (!child.isDir()) {
            return;
        }
        child.meta.lock();
        try {
            child.parent = newParent.ino;
            child.ctime = now();
        } finally {
            child.meta.unlock();
        }
        h.markDirty(child);
    }

    /** True when {@code a} is a proper ancestor of {@code b} (walks b's parent links). */
    private boolean isAncestor(Inode a, Inode b) throws DaxException {
        long ino = b.ino;
        for (int depth = 0; ino != 1 && depth < 100_000; depth++) {
            Inode cur = v.cache.get(ino);
            if (cur.parent == a.ino) {
                return true;
            }
            ino = cur.parent;
        }
        return false;
    }

    /** Updates a directory's times (and link count by {@code nlinkDelta}) after an entry change. */
    private void touchDir(Journal.Handle h, Inode dir, int nlinkDelta) {
        dir.meta.lock();
        try {
            dir.nlink += nlinkDelta;
            dir.mtime = dir.ctime = now();
        } finally {
            dir.meta.unlock();
        }
        h.markDirty(dir);
    }

    // ---------------------------------------------------------------- listing and attributes

    List<DirEntry> readdir(String path, long cookie, int max) throws DaxException {
        return readdir(resolve(path, true), path, cookie, max);
    }

    List<DirEntry> readdir(Inode d, String what, long cookie, int max) throws DaxException {
        if (!d.isDir()) {
            throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
        }
        Directory dir = dirOf(d);
        d.dirLock.lock();
        try {
            return dir.list(cookie, max);
        } finally {
            d.dirLock.unlock();
        }
    }

    void chmod(String path, int mode) throws DaxException {
        setattr(resolve(path, true), path, mode & 07777, -1, -1, -1, SetAttr.UTIME_OMIT, SetAttr.UTIME_OMIT);
    }

    void chown(String path, int uid, int gid) throws DaxException {
        setattr(resolve(path, true), path, -1, uid, gid, -1, SetAttr.UTIME_OMIT, SetAttr.UTIME_OMIT);
    }

    void utimes(String path, long atimeNs, long mtimeNs) throws DaxException {
        setattr(resolve(path, true), path, -1, -1, -1, -1, atimeNs, mtimeNs);
    }

    /**
     * Changes attributes of {@code in}: {@code mode} (permission bits, -1 unchanged), owner and
     * group (-1 unchanged), {@code size} (-1 unchanged; truncates a regular file), and the times
     * ({@link DaxFileSystem#UTIME_OMIT}, {@link DaxFileSystem#UTIME_NOW}). The size changes
     * first, under a temporary open reference so the file cannot be freed meanwhile; then the
     * rest and ctime together under the attribute lock.
     */
    void setattr(Inode in, String what, int mode, int uid, int gid, long size, long atimeNs, long mtimeNs)
            throws DaxException {
        if (size != -1) {
            if (in.isDir()) {
                throw new DaxException(Errno.EISDIR, what + ": is a directory");
            }
            if (!in.isRegular()) {
                throw new DaxException(Errno.EINVAL, what + ": not a regular file");
            }
            in.life.lock();
            try {
                if (in.freed) {
                    throw new DaxException(Errno.ENOENT, what + ": no such file or directory");
                }
                in.openCount++;
            } finally {
                in.life.unlock();
            }
            try {
                v.fileLayout.truncate(in, size);
            } finally {
                release(in);
            }
        }
        boolean attrs = mode != -1 || uid != -1 || gid != -1
                || atimeNs != SetAttr.UTIME_OMIT || mtimeNs != SetAttr.UTIME_OMIT;
        if (!attrs && size != -1) {
            return; // truncate set the times itself
        }
        long now = now();
        in.meta.lock();
        try {
            if (mode != -1) {
                in.mode = (in.mode & FileType.S_IFMT) | (mode & 07777);
            }
            if (uid != -1) {
                in.uid = uid;
            }
            if (gid != -1) {
                in.gid = gid;
            }
            if (atimeNs != SetAttr.UTIME_OMIT) {
                in.atime = atimeNs == SetAttr.UTIME_NOW ? now : atimeNs;
            }
            if (mtimeNs != SetAttr.UTIME_OMIT) {
                in.mtime = mtimeNs == SetAttr.UTIME_NOW ? now : mtimeNs;
            }
            in.ctime = now;
        } finally {
            in.meta.unlock();
        }
        v.journal.markDirty(in);
        v.journal.commitIfLarge();
    }
}
