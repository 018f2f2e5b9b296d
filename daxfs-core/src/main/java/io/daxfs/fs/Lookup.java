package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds inodes by name, and answers the questions about names that change nothing: path
 * resolution (following symbolic links), one name in a directory, a live inode by number,
 * directory listings and symlink targets. Every namespace change resolves its names here
 * first, then locks what it changes and checks again under the lock.
 *
 * <p>Locks: lookups take none. A directory is searched through its on-device index under an
 * optimistic stamp ({@link Directory}); a name found by a racing lookup whose inode was freed
 * meanwhile yields ENOENT (the inode cache keeps a tombstone). A directory's dirLock is taken
 * briefly to open it on first use, and to list it.
 */
public final class Lookup {
    static final int MAX_SYMLINKS = 40;

    private final Volume v;

    Lookup(Volume v) {
        this.v = v;
    }

    /** The directory that holds the last component of a path, that component, and the path to the directory. */
    record Parent(Inode dir, String name, List<String> dirComponents) {
    }

    // ---------------------------------------------------------------- the API's queries

    /** The status of the entry {@code name} of directory {@code dir}, symlinks not followed. */
    // Each may load inodes and directories from the device: a media error there fails the
    // query with EIO and turns the volume read-only (Volume#onDevice).

    public FileStat lookup(long dir, String name) throws DaxException {
        v.checkOpen();
        String what = at(dir, name);
        checkName(name, what);
        return v.onDevice("lookup", () -> lookupAt(byIno(dir), name, what).stat());
    }

    public List<DirEntry> readdir(String path, long cookie, int max) throws DaxException {
        v.checkOpen();
        return v.onDevice("readdir", () -> readdir(resolve(path, true), path, cookie, max));
    }

    public List<DirEntry> readdir(long dir, long cookie, int max) throws DaxException {
        v.checkOpen();
        return v.onDevice("readdir", () -> readdir(byIno(dir), "directory inode " + dir, cookie, max));
    }

    public String readlink(String path) throws DaxException {
        v.checkOpen();
        return v.onDevice("readlink", () -> readlink(resolve(path, false), path));
    }

    public String readlink(long ino) throws DaxException {
        v.checkOpen();
        return v.onDevice("readlink", () -> readlink(byIno(ino), "inode " + ino));
    }

    private List<DirEntry> readdir(Inode d, String what, long cookie, int max) throws DaxException {
        if (!d.isDir()) {
            throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
        }
        Directory dir = dirOf(d);
        List<DirEntry> list;
        d.dirLock().lock();
        try {
            list = dir.list(cookie, max);
        } finally {
            d.dirLock().unlock();
        }
        v.accessTimes.accessed(d);
        return list;
    }

    private String readlink(Inode in, String what) throws DaxException {
        if (!in.isSymlink()) {
            throw new DaxException(Errno.EINVAL, what + ": not a symbolic link");
        }
        v.accessTimes.accessed(in);
        return in.targetString();
    }

    // ---------------------------------------------------------------- resolution

    Inode root() throws DaxException {
        return v.cache.get(1);
    }

    /** The entries of directory {@code d} (opened on first use: its block map and index root, no entries). */
    Directory dirOf(Inode d) throws DaxException {
        Directory x = d.dir;
        if (x != null) {
            return x;
        }
        d.dirLock().lock();
        try {
            if (d.dir == null) {
                d.dir = Directory.open(d, v.dirHashSeed(), v.dataBlockReader(), v.committedTid(), () -> v.hooks);
            }
            return d.dir;
        } finally {
            d.dirLock().unlock();
        }
    }

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

    /** The directory {@code dir} of an inode-API call naming {@code name} in it, after checking the name. */
    Inode dirArg(long dir, String name) throws DaxException {
        checkName(name, at(dir, name));
        return byIno(dir);
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

    // ---------------------------------------------------------------- checks under the directory lock

    /** The inode named {@code name} in {@code dir} (caller holds dir's dirLock); ENOENT if none. */
    Inode existingChild(Inode dir, String name, String path) throws DaxException {
        checkAlive(dir, path);
        Directory.Dentry d = dirOf(dir).lookup(name);
        if (d == null) {
            throw new DaxException(Errno.ENOENT, path + ": no such file or directory");
        }
        return v.cache.get(d.ino());
    }

    /** Directory {@code dir} for a change: ENOTDIR unless it is one. */
    static void checkDir(Inode dir, String what) throws DaxException {
        if (!dir.isDir()) {
            throw new DaxException(Errno.ENOTDIR, what + ": not a directory");
        }
    }

    /** ENOENT when directory {@code dir}, locked by the caller, was removed after it was resolved. */
    static void checkAlive(Inode dir, String path) throws DaxException {
        if (dir.nlink == 0 || dir.freed) {
            throw new DaxException(Errno.ENOENT, path + ": parent directory was removed");
        }
    }
}
