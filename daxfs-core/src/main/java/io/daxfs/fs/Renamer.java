package io.daxfs.fs;

import io.daxfs.journal.Journal;
import io.daxfs.lock.LockLevel;
import io.daxfs.lock.OrderedLock;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.types.RenameOption;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Renames: moves a name within a directory or to another, replacing (or, with EXCHANGE,
 * swapping with) what the new name held, as renameat2 does.
 *
 * <p>Invariants: a directory never moves into its own subtree, which holds because cross-directory
 * renames run one at a time under {@code renameLock}, so no ancestry changes between the check
 * and the change; the same file under both names is left alone. Locks, in order: {@code
 * renameLock} when the parents differ; both parents' dirLocks, an ancestor before its
 * descendant, otherwise the lower inode number first; the dirLock of a directory being replaced;
 * the life lock of the inode being replaced; then the journal handle. They are released in
 * reverse order.
 */
public final class Renamer {
    private final Volume v;
    private final OrderedLock renameLock = new OrderedLock(LockLevel.RENAME, "rename");

    Renamer(Volume v) {
        this.v = v;
    }

    /**
     * The rename options as flags: EINVAL for EXCHANGE with NOREPLACE. An option given twice
     * counts once, as renameat2's flag bits do.
     */
    record RenameFlags(boolean exchange, boolean noReplace) {
        static RenameFlags of(RenameOption... options) throws DaxException {
            Set<RenameOption> o = EnumSet.noneOf(RenameOption.class);
            o.addAll(Arrays.asList(options));
            boolean exchange = o.contains(RenameOption.EXCHANGE);
            boolean noReplace = o.contains(RenameOption.NOREPLACE);
            if (exchange && noReplace) {
                throw new DaxException(Errno.EINVAL, "rename: EXCHANGE and NOREPLACE exclude each other");
            }
            return new RenameFlags(exchange, noReplace);
        }
    }

    /** One end of a rename: the name {@code name} in directory {@code dir}, called {@code what} in messages. */
    record Side(Inode dir, String name, String what) {
    }

    /**
     * A rename from one side to the other. {@code trailingSlash}: the path whose trailing slash
     * asks for a directory (ENOTDIR naming it if the source is not one), or null.
     */
    record Request(Side from, Side to, String trailingSlash, RenameFlags flags) {
        /** The parents differ: the rename lock and both directory locks are needed. */
        boolean cross() {
            return from.dir != to.dir;
        }
    }

    /** What a rename found under its directory locks: both directories' entries and the inode that moves. */
    private record Plan(Request req, Directory fromEntries, Directory toEntries, Inode src) {
    }

    // ---------------------------------------------------------------- the API's operations

    public void rename(String from, String to, RenameOption... options) throws DaxException {
        v.change("rename", () -> {
            RenameFlags f = RenameFlags.of(options);
            Lookup.Parent a = v.lookup.resolveParent(from);
            Lookup.Parent b = v.lookup.resolveParent(to);
            if (a.name() == null || b.name() == null) {
                throw new DaxException(Errno.EBUSY, "rename: cannot rename the root directory");
            }
            String trailingSlash = Names.mustBeDirectory(from) ? from : Names.mustBeDirectory(to) ? to : null;
            rename(new Request(new Side(a.dir(), a.name(), from), new Side(b.dir(), b.name(), to), trailingSlash, f));
        });
    }

    /** renameat2 by directory inodes: {@code name} of {@code dir} becomes {@code newName} of {@code newDir}. */
    public void rename(long dir, String name, long newDir, String newName, RenameOption... options)
            throws DaxException {
        RenameFlags f = RenameFlags.of(options);
        v.change("rename", () -> {
            Inode a = v.lookup.dirArg(dir, name);
            Inode b = v.lookup.dirArg(newDir, newName);
            rename(new Request(new Side(a, name, Lookup.at(dir, name)), new Side(b, newName, Lookup.at(newDir, newName)),
                    null, f));
        });
    }

    // ---------------------------------------------------------------- locking

    private void rename(Request r) throws DaxException {
        Lookup.checkDir(r.from().dir(), r.from().what());
        Lookup.checkDir(r.to().dir(), r.to().what());
        if (Names.isDot(r.from().name()) || Names.isDot(r.to().name())) {
            throw new DaxException(Errno.EINVAL, "rename: '.' and '..' cannot be renamed");
        }
        boolean cross = r.cross();
        if (cross) {
            renameLock.lock();
        }
        try {
            Inode first = r.from().dir();
            Inode second = r.to().dir();
            if (cross && !isAncestor(first, second) && (isAncestor(second, first) || second.ino < first.ino)) {
                first = r.to().dir();
                second = r.from().dir();
            }
            first.dirLock().lock();
            try {
                if (cross) {
                    second.dirLock().lock();
                }
                try {
                    renameLocked(r);
                } finally {
                    if (cross) {
                        second.dirLock().unlock();
                    }
                }
            } finally {
                first.dirLock().unlock();
            }
        } finally {
            if (cross) {
                renameLock.unlock();
            }
        }
    }

    /** Checks the rename under both directory locks, then exchanges or moves. */
    private void renameLocked(Request r) throws DaxException {
        Side from = r.from();
        Side to = r.to();
        boolean cross = r.cross();
        Lookup.checkAlive(from.dir(), from.what());
        Lookup.checkAlive(to.dir(), to.what());
        Directory da = v.lookup.dirOf(from.dir());
        Directory db = v.lookup.dirOf(to.dir());
        Directory.Dentry sd = da.lookup(from.name());
        if (sd == null) {
            throw new DaxException(Errno.ENOENT, from.what() + ": no such file or directory");
        }
        Inode src = v.cache.get(sd.ino());
        if (!src.isDir() && r.trailingSlash() != null) {
            throw new DaxException(Errno.ENOTDIR, r.trailingSlash() + ": not a directory");
        }
        Directory.Dentry dd = db.lookup(to.name());
        if (dd != null && dd.ino() == sd.ino()) {
            return; // the same file under both names: POSIX says do nothing
        }
        if (src.isDir() && cross && (to.dir() == src || isAncestor(src, to.dir()))) {
            throw new DaxException(Errno.EINVAL, to.what() + ": cannot move a directory into itself");
        }
        Plan p = new Plan(r, da, db, src);
        if (r.flags().exchange()) {
            if (dd == null) {
                throw new DaxException(Errno.ENOENT, to.what() + ": no such file or directory");
            }
            exchange(p, v.cache.get(dd.ino()));
            return;
        }
        Inode victim = null;
        if (dd != null) {
            if (r.flags().noReplace()) {
                throw new DaxException(Errno.EEXIST, to.what() + ": file exists");
            }
            victim = v.cache.get(dd.ino());
            if (src.isDir() && !victim.isDir()) {
                throw new DaxException(Errno.ENOTDIR, to.what() + ": not a directory");
            }
            if (!src.isDir() && victim.isDir()) {
                throw new DaxException(Errno.EISDIR, to.what() + ": is a directory");
            }
        } else if (src.isDir() && cross && to.dir().nlink >= Inode.MAX_LINKS) {
            throw new DaxException(Errno.EMLINK, to.what() + ": too many subdirectories");
        }
        move(p, victim);
    }

    // ---------------------------------------------------------------- the changes

    /** EXCHANGE: the two names swap inodes. */
    private void exchange(Plan p, Inode dst) throws DaxException {
        Side from = p.req().from();
        Side to = p.req().to();
        boolean cross = p.req().cross();
        Inode src = p.src();
        if (dst.isDir() && cross && (from.dir() == dst || isAncestor(dst, from.dir()))) {
            throw new DaxException(Errno.EINVAL, from.what() + ": cannot move a directory into itself");
        }
        try (Journal.Handle h = v.journal.begin()) {
            p.fromEntries().retarget(h, from.name(), dst.ino, dst.type());
            p.toEntries().retarget(h, to.name(), src.ino, src.type());
            if (cross) {
                int delta = (src.isDir() ? 1 : 0) - (dst.isDir() ? 1 : 0);
                reparent(h, src, to.dir());
                reparent(h, dst, from.dir());
                from.dir().entriesChanged(h, -delta);
                to.dir().entriesChanged(h, delta);
            } else {
                from.dir().entriesChanged(h, 0);
            }
            // As Linux: both inodes changed (their ctime), and so fsync of either one makes the
            // exchange durable (it commits up to its inode's last change).
            touchCtime(h, src);
            touchCtime(h, dst);
        }
    }

    private static void touchCtime(Journal.Handle h, Inode in) {
        in.meta.lock();
        try {
            in.ctime = Inode.now();
        } finally {
            in.meta.unlock();
        }
        h.markDirty(in);
    }

    /** Moves the source to the new name, replacing {@code victim} (null when the name was free). */
    private void move(Plan p, Inode victim) throws DaxException {
        Side from = p.req().from();
        Side to = p.req().to();
        boolean cross = p.req().cross();
        Inode src = p.src();
        if (victim != null && victim.isDir()) {
            victim.dirLock().lock();
        }
        try {
            if (victim != null && victim.isDir() && !v.lookup.dirOf(victim).isEmpty()) {
                throw new DaxException(Errno.ENOTEMPTY, to.what() + ": directory not empty");
            }
            if (victim != null) {
                victim.life.lock();
            }
            try (Journal.Handle h = v.journal.begin()) {
                if (victim != null) {
                    p.toEntries().retarget(h, to.name(), src.ino, src.type());
                } else {
                    p.toEntries().reserve(h, v.fileBlocks, to.name());
                    p.toEntries().add(h, v.fileBlocks, to.name(), src.ino, src.type());
                }
                p.fromEntries().remove(h, from.name());
                int subdirMoved = src.isDir() && cross ? 1 : 0;
                int victimDir = victim != null && victim.isDir() ? 1 : 0;
                if (subdirMoved == 1) {
                    reparent(h, src, to.dir());
                }
                from.dir().entriesChanged(h, -subdirMoved);
                to.dir().entriesChanged(h, cross ? subdirMoved - victimDir : -victimDir);
                if (victim != null) {
                    if (victim.isDir()) {
                        v.unlinker.removeDirectory(h, victim);
                    } else {
                        v.unlinker.dropLink(h, victim);
                    }
                }
                touchCtime(h, src);
            } finally {
                if (victim != null) {
                    victim.life.unlock();
                }
            }
        } finally {
            if (victim != null && victim.isDir()) {
                victim.dirLock().unlock();
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
            child.ctime = Inode.now();
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
}
