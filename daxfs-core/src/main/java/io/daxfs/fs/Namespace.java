package io.daxfs.fs;

import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.lock.OrderedRwLock;
import io.daxfs.api.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DirEntry;
import io.daxfs.api.Errno;
import io.daxfs.api.FileType;
import io.daxfs.api.RenameOption;
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

    // ---------------------------------------------------------------- open and create

    OpenFile open(String path, int mode, OpenOption... options) throws DaxException {
        Set<OpenOption> o = Set.of(options);
        boolean append = o.contains(StandardOpenOption.APPEND);
        boolean write = o.contains(StandardOpenOption.WRITE) || append;
        boolean read = o.contains(StandardOpenOption.READ) || !write;
        boolean createNew = o.contains(StandardOpenOption.CREATE_NEW);
        boolean create = createNew || o.contains(StandardOpenOption.CREATE);
        boolean truncate = o.contains(StandardOpenOption.TRUNCATE_EXISTING) && write;
        boolean noFollow = o.contains(LinkOption.NOFOLLOW_LINKS) || o.contains(StandardOpenOption.CREATE_NEW);
        boolean sync = o.contains(StandardOpenOption.SYNC) || o.contains(StandardOpenOption.DSYNC);
        if ((write || create) && v.readOnly) {
            throw new DaxException(Errno.EROFS, path + ": file system is mounted read-only");
        }
        if (Names.mustBeDirectory(path)) {
            // A regular file cannot be named with a trailing slash: resolve says ENOTDIR for an
            // existing non-directory; a directory, or a new name, is EISDIR (as open(2) says).
            try {
                resolve(path, true);
            } catch (DaxException e) {
                if (e.errno() != Errno.ENOENT || !create) {
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
            Object got = openInParent(par, path, mode, create, createNew, noFollow);
            if (got instanceof Inode in) {
                OpenFile f = new OpenFile(v, in, read, write, append, sync);
                if (truncate) {
                    try {
                        v.fileIo.truncate(in, 0);
                    } catch (DaxException e) {
                        f.close();
                        throw e;
                    }
                }
                return f;
            }
            if (hops >= MAX_SYMLINKS) {
                throw new DaxException(Errno.ELOOP, path + ": too many levels of symbolic links");
            }
            String target = (String) got;
            p = target.startsWith("/") ? target : "/" + String.join("/", par.dirComponents()) + "/" + target;
        }
    }

    /** Opens (creating if asked) the name in {@code par}: an Inode, or a symlink target to follow. */
    private Object openInParent(Parent par, String path, int mode, boolean create, boolean excl, boolean noFollow)
            throws DaxException {
        Inode dir = par.dir();
        dir.dirLock.lock();
        try {
            checkAlive(dir, path);
            Directory.Dentry d = dirOf(dir).lookup(par.name());
            if (d == null) {
                if (!create) {
                    throw new DaxException(Errno.ENOENT, path + ": no such file or directory");
                }
                Inode in = createChild(dir, par.name(), FileType.REGULAR.modeBits() | (mode & 07777), null);
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
    private Inode createChild(Inode dir, String name, int fullMode, byte[] target) throws DaxException {
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
            dd.reserve(h, v.mapper, name);
            long ino = v.inodes.allocate(h);
            v.cache.checkUnused(ino);
            Inode in = new Inode(ino, v.geometry, new ExtentMap());
            long now = now();
            // As on Linux: the creating process's group, or the directory's when the directory is
            // set-group-ID (a new subdirectory then inherits the set-group-ID bit as well).
            boolean setgid = (dir.mode & 02000) != 0;
            in.mode = isDir && setgid ? fullMode | 02000 : fullMode;
            in.nlink = isDir ? 2 : 1;
            in.uid = Ids.uid();
            in.gid = setgid ? dir.gid : Ids.gid();
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
                    v.mapper.addSymlinkBlock(h, in);
                }
            } catch (DaxException e) {
                discardNew(h, in);
                throw e;
            }
            h.markDirty(in);
            dd.add(h, v.mapper, name, ino, FileType.ofMode(fullMode));
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
        if (par.name() == null || Names.isDot(par.name())) {
            throw new DaxException(Errno.EEXIST, path + ": file exists");
        }
        Inode dir = par.dir();
        dir.dirLock.lock();
        try {
            checkAlive(dir, path);
            if (dirOf(dir).lookup(par.name()) != null) {
                throw new DaxException(Errno.EEXIST, path + ": file exists");
            }
            createChild(dir, par.name(), FileType.DIRECTORY.modeBits() | (mode & 07777), null);
        } finally {
            dir.dirLock.unlock();
        }
    }

    void symlink(String target, String linkPath) throws DaxException {
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        if (t.length == 0) {
            throw new DaxException(Errno.ENOENT, linkPath + ": empty symbolic link target");
        }
        if (t.length > MAX_TARGET || target.indexOf('\0') >= 0) {
            throw new DaxException(t.length > MAX_TARGET ? Errno.ENAMETOOLONG : Errno.EINVAL,
                    linkPath + ": symbolic link target longer than " + MAX_TARGET + " bytes or containing NUL");
        }
        Parent par = resolveParent(linkPath);
        if (par.name() == null || Names.isDot(par.name())) {
            throw new DaxException(Errno.EEXIST, linkPath + ": file exists");
        }
        Inode dir = par.dir();
        dir.dirLock.lock();
        try {
            checkAlive(dir, linkPath);
            if (dirOf(dir).lookup(par.name()) != null) {
                throw new DaxException(Errno.EEXIST, linkPath + ": file exists");
            }
            createChild(dir, par.name(), FileType.SYMLINK.modeBits() | 0777, t);
        } finally {
            dir.dirLock.unlock();
        }
    }

    String readlink(String path) throws DaxException {
        Inode in = resolve(path, false);
        if (!in.isSymlink()) {
            throw new DaxException(Errno.EINVAL, path + ": not a symbolic link");
        }
        return in.targetString();
    }

    // ---------------------------------------------------------------- removal

    void unlink(String path) throws DaxException {
        Parent par = resolveParent(path);
        if (par.name() == null || Names.isDot(par.name())) {
            throw new DaxException(Errno.EISDIR, path + ": is a directory");
        }
        Inode dir = par.dir();
        dir.dirLock.lock();
        try {
            Directory dd = dirOf(dir);
            Inode in = existingChild(dir, par.name(), path);
            if (in.isDir()) {
                throw new DaxException(Errno.EISDIR, path + ": is a directory");
            }
            if (Names.mustBeDirectory(path)) {
                throw new DaxException(Errno.ENOTDIR, path + ": not a directory");
            }
            in.life.lock();
            try (Journal.Handle h = v.journal.begin()) {
                dd.remove(h, par.name());
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
        if (par.name().equals(".")) {
            throw new DaxException(Errno.EINVAL, path + ": cannot remove '.'");
        }
        if (par.name().equals("..")) {
            throw new DaxException(Errno.ENOTEMPTY, path + ": directory not empty");
        }
        Inode dir = par.dir();
        dir.dirLock.lock();
        try {
            Directory dd = dirOf(dir);
            Inode child = existingChild(dir, par.name(), path);
            if (!child.isDir()) {
                throw new DaxException(Errno.ENOTDIR, path + ": not a directory");
            }
            child.dirLock.lock();
            try {
                if (!dirOf(child).isEmpty()) {
                    throw new DaxException(Errno.ENOTEMPTY, path + ": directory not empty");
                }
                try (Journal.Handle h = v.journal.begin()) {
                    dd.remove(h, par.name());
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
        v.mapped().evicted(in);
        v.mapper.freeAll(h, in);
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
        if (par.name() == null || Names.isDot(par.name())) {
            throw new DaxException(Errno.EEXIST, newPath + ": file exists");
        }
        Inode dir = par.dir();
        dir.dirLock.lock();
        try {
            checkAlive(dir, newPath);
            Directory dd = dirOf(dir);
            if (dd.lookup(par.name()) != null) {
                throw new DaxException(Errno.EEXIST, newPath + ": file exists");
            }
            src.life.lock();
            try (Journal.Handle h = v.journal.begin()) {
                if (src.nlink == 0 || src.freed) {
                    throw new DaxException(Errno.ENOENT, existing + ": no such file or directory");
                }
                if (src.nlink >= MAX_LINKS) {
                    throw new DaxException(Errno.EMLINK, existing + ": too many links");
                }
                dd.reserve(h, v.mapper, par.name());
                dd.add(h, v.mapper, par.name(), src.ino, src.type());
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

    void rename(String from, String to, RenameOption... options) throws DaxException {
        Set<RenameOption> o = Set.of(options);
        boolean exchange = o.contains(RenameOption.EXCHANGE);
        boolean noReplace = o.contains(RenameOption.NOREPLACE);
        if (exchange && noReplace) {
            throw new DaxException(Errno.EINVAL, "rename: EXCHANGE and NOREPLACE exclude each other");
        }
        Parent a = resolveParent(from);
        Parent b = resolveParent(to);
        if (a.name() == null || b.name() == null) {
            throw new DaxException(Errno.EBUSY, "rename: cannot rename the root directory");
        }
        if (Names.isDot(a.name()) || Names.isDot(b.name())) {
            throw new DaxException(Errno.EINVAL, "rename: '.' and '..' cannot be renamed");
        }
        boolean cross = a.dir() != b.dir();
        if (cross) {
            renameLock.lock();
        }
        try {
            Inode first = a.dir();
            Inode second = b.dir();
            if (cross && !isAncestor(a.dir(), b.dir())
                    && (isAncestor(b.dir(), a.dir()) || b.dir().ino < a.dir().ino)) {
                first = b.dir();
                second = a.dir();
            }
            first.dirLock.lock();
            try {
                if (cross) {
                    second.dirLock.lock();
                }
                try {
                    renameLocked(a, b, from, to, cross, exchange, noReplace);
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

    private void renameLocked(Parent a, Parent b, String from, String to, boolean cross, boolean exchange,
                              boolean noReplace) throws DaxException {
        checkAlive(a.dir(), from);
        checkAlive(b.dir(), to);
        Directory da = dirOf(a.dir());
        Directory db = dirOf(b.dir());
        Directory.Dentry sd = da.lookup(a.name());
        if (sd == null) {
            throw new DaxException(Errno.ENOENT, from + ": no such file or directory");
        }
        Inode src = v.cache.get(sd.ino());
        if (!src.isDir() && (Names.mustBeDirectory(from) || Names.mustBeDirectory(to))) {
            throw new DaxException(Errno.ENOTDIR, (Names.mustBeDirectory(from) ? from : to) + ": not a directory");
        }
        Directory.Dentry dd = db.lookup(b.name());
        if (dd != null && dd.ino() == sd.ino()) {
            return; // the same file under both names: POSIX says do nothing
        }
        if (src.isDir() && cross && (b.dir() == src || isAncestor(src, b.dir()))) {
            throw new DaxException(Errno.EINVAL, to + ": cannot move a directory into itself");
        }
        if (exchange) {
            if (dd == null) {
                throw new DaxException(Errno.ENOENT, to + ": no such file or directory");
            }
            Inode dst = v.cache.get(dd.ino());
            if (dst.isDir() && cross && (a.dir() == dst || isAncestor(dst, a.dir()))) {
                throw new DaxException(Errno.EINVAL, from + ": cannot move a directory into itself");
            }
            try (Journal.Handle h = v.journal.begin()) {
                da.retarget(h, a.name(), dst.ino, dst.type());
                db.retarget(h, b.name(), src.ino, src.type());
                if (cross) {
                    int delta = (src.isDir() ? 1 : 0) - (dst.isDir() ? 1 : 0);
                    reparent(h, src, b.dir());
                    reparent(h, dst, a.dir());
                    touchDir(h, a.dir(), -delta);
                    touchDir(h, b.dir(), delta);
                } else {
                    touchDir(h, a.dir(), 0);
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
        } else if (src.isDir() && cross && b.dir().nlink >= MAX_LINKS) {
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
                    db.retarget(h, b.name(), src.ino, src.type());
                } else {
                    db.reserve(h, v.mapper, b.name());
                    db.add(h, v.mapper, b.name(), src.ino, src.type());
                }
                da.remove(h, a.name());
                int subdirMoved = src.isDir() && cross ? 1 : 0;
                int victimDir = vl != null && vl.isDir() ? 1 : 0;
                if (subdirMoved == 1) {
                    reparent(h, src, b.dir());
                }
                touchDir(h, a.dir(), -subdirMoved);
                touchDir(h, b.dir(), cross ? subdirMoved - victimDir : -victimDir);
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
        Inode d = resolve(path, true);
        if (!d.isDir()) {
            throw new DaxException(Errno.ENOTDIR, path + ": not a directory");
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
        Inode in = resolve(path, true);
        in.meta.lock();
        try {
            in.mode = (in.mode & FileType.S_IFMT) | (mode & 07777);
            in.ctime = now();
        } finally {
            in.meta.unlock();
        }
        v.journal.markDirty(in);
        v.journal.commitIfLarge();
    }

    void chown(String path, int uid, int gid) throws DaxException {
        Inode in = resolve(path, true);
        in.meta.lock();
        try {
            if (uid != -1) {
                in.uid = uid;
            }
            if (gid != -1) {
                in.gid = gid;
            }
            in.ctime = now();
        } finally {
            in.meta.unlock();
        }
        v.journal.markDirty(in);
        v.journal.commitIfLarge();
    }

    void utimes(String path, long atimeNs, long mtimeNs) throws DaxException {
        Inode in = resolve(path, true);
        long now = now();
        in.meta.lock();
        try {
            if (atimeNs != DaxFileSystem.UTIME_OMIT) {
                in.atime = atimeNs == DaxFileSystem.UTIME_NOW ? now : atimeNs;
            }
            if (mtimeNs != DaxFileSystem.UTIME_OMIT) {
                in.mtime = mtimeNs == DaxFileSystem.UTIME_NOW ? now : mtimeNs;
            }
            in.ctime = now;
        } finally {
            in.meta.unlock();
        }
        v.journal.markDirty(in);
        v.journal.commitIfLarge();
    }
}
