package io.daxfs.fuse;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxInodes;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;
import io.daxfs.types.FsStat;
import io.daxfs.types.RenameOption;
import io.daxfs.types.SetAttr;
import io.daxfs.fuse.lowlevel.FileInfo;
import io.daxfs.fuse.lowlevel.FuseOperations;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.fuse.lowlevel.Structs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The FUSE low-level operations over a mounted daxfs, by inode number ({@link DaxInodes}): FUSE
 * node ids are daxfs inode numbers (the root is 1 in both), so no table maps one to the other
 * and nothing resolves a path.
 *
 * <p><b>Open files.</b> Each open is a {@link DaxFile} in the {@link Handles} table, its id in
 * {@code fi->fh}. An unlinked file stays readable and writable through its handles until the
 * kernel releases the last one, and then its space is freed: no hidden placeholder name. The
 * kernel's lookup counts (forget) are not tracked: data lives as long as a name or an open
 * handle, which is all the kernel can reach it through; a reused inode number carries a new
 * generation, which the kernel checks.
 *
 * <p><b>Data path.</b> read replies with iovecs that point into device memory
 * ({@link DaxFile#readInPlace}), holes at a shared page of zeros: libfuse's writev copies device
 * memory straight into the kernel's buffer. write copies from libfuse's request buffer straight
 * into device memory. Both hold only the file's own I/O lock.
 *
 * <p>Errors: a {@link DaxException}'s errno is the reply; anything else escapes to the
 * dispatcher, which answers EIO and logs it.
 */
public final class DaxFuseOperations implements FuseOperations {
    private static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_EXCL = 0200, O_TRUNC = 01000,
            O_APPEND = 02000, O_DSYNC = 010000, O_SYNC = 04010000;
    private static final int FALLOC_KEEP_SIZE = 1, FALLOC_PUNCH_HOLE = 2, FALLOC_COLLAPSE_RANGE = 8,
            FALLOC_ZERO_RANGE = 0x10, FALLOC_INSERT_RANGE = 0x20;
    private static final int SEEK_DATA = 3, SEEK_HOLE = 4;
    private static final int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    /** readdir offsets 1 and 2 are "." and ".."; a daxfs cookie c is offset c + 2. */
    private static final long DOT_OFFSETS = 2;
    private static final long ZEROS_SIZE = 1 << 20;

    private final DaxFileSystem fs;
    private final DaxInodes inodes;
    private final Handles handles = new Handles();
    /**
     * Directories open right now: inode number to its open count and last attributes. daxfs frees
     * a removed directory at once, but fstat on a descriptor still open on it must go on working
     * (nlink 0), as on a local file system; getattr answers such a dead number from here.
     */
    private final ConcurrentHashMap<Long, OpenDir> openDirs = new ConcurrentHashMap<>();

    private record OpenDir(int count, FileStat last) {
    }
    private final double attrTimeout;
    private final double entryTimeout;
    private final MemorySegment zeros = Arena.global().allocate(ZEROS_SIZE, 4096);
    private final ThreadLocal<MemorySegment[]> iovs = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    /** Serves {@code fs}; the kernel may cache attributes and names for the given seconds. */
    public DaxFuseOperations(DaxFileSystem fs, double attrTimeout, double entryTimeout) {
        this.fs = fs;
        this.inodes = fs.inodes();
        this.attrTimeout = attrTimeout;
        this.entryTimeout = entryTimeout;
    }

    /** Open handles right now (each is one kernel open not yet released). */
    public int openHandles() {
        return handles.size();
    }

    /** Closes what the kernel left open (after the session ended, before the file system closes). */
    public void releaseAll() {
        handles.closeAll();
    }

    // ---------------------------------------------------------------- session

    @Override
    public void init(Connection conn) {
        // Writes go through to the device at once: no kernel write-back cache to lose on a crash.
        conn.unwant(Connection.CAP_WRITEBACK_CACHE);
        conn.want(Connection.CAP_ASYNC_READ | Connection.CAP_PARALLEL_DIROPS | Connection.CAP_ATOMIC_O_TRUNC);
        // The kernel clears set-user-ID bits on write, truncate and chown unless we claim to; we don't.
        conn.unwant(Connection.CAP_HANDLE_KILLPRIV);
        conn.timeGranularity(1);
    }

    @Override
    public void destroy() {
    }

    // ---------------------------------------------------------------- names and attributes

    @Override
    public void lookup(FuseRequest r, long parent, String name) {
        try {
            FileStat st = inodes.lookup(parent, name);
            r.replyEntry(inodes.generation(st.ino()), attr(st), attrTimeout, entryTimeout);
        } catch (DaxException e) {
            if (e.errno() == Errno.ENOENT && entryTimeout > 0) {
                r.replyEntry(0, null, 0, entryTimeout); // a negative entry the kernel may cache
            } else {
                r.replyErr(e.errno().code());
            }
        }
    }

    @Override
    public void forget(long ino, long nlookup) {
        // Not tracked: see the class comment.
    }

    @Override
    public void getattr(FuseRequest r, long ino, FileInfo fi) {
        try {
            FileStat st = inodes.getattr(ino);
            if (st.type() == FileType.DIRECTORY && !openDirs.isEmpty()) {
                openDirs.computeIfPresent(ino, (k, d) -> new OpenDir(d.count(), st));
            }
            r.replyAttr(attr(st), attrTimeout);
        } catch (DaxException e) {
            OpenDir d = e.errno() == Errno.ENOENT ? openDirs.get(ino) : null;
            if (d != null) { // removed while open: what fstat shows on a local file system
                FileStat s = d.last();
                r.replyAttr(attr(new FileStat(s.ino(), s.type(), s.mode(), 0, s.uid(), s.gid(), s.size(), s.blocks(),
                        s.atimeNs(), s.mtimeNs(), s.ctimeNs(), s.btimeNs())), 0);
            } else {
                r.replyErr(e.errno().code());
            }
        }
    }

    @Override
    public void setattr(FuseRequest r, long ino, FuseOperations.AttrChange a, FileInfo fi) {
        Structs.Attr v = a.attr();
        SetAttr s = SetAttr.NONE;
        if (a.has(FuseOperations.AttrChange.MODE)) {
            s = s.withMode(v.mode() & 07777);
        }
        if (a.has(FuseOperations.AttrChange.UID)) {
            s = s.withUid(v.uid());
        }
        if (a.has(FuseOperations.AttrChange.GID)) {
            s = s.withGid(v.gid());
        }
        if (a.has(FuseOperations.AttrChange.SIZE)) {
            s = s.withSize(v.size());
        }
        if (a.has(FuseOperations.AttrChange.ATIME_NOW)) {
            s = s.withAtime(SetAttr.UTIME_NOW);
        } else if (a.has(FuseOperations.AttrChange.ATIME)) {
            s = s.withAtime(v.atimeNs());
        }
        if (a.has(FuseOperations.AttrChange.MTIME_NOW)) {
            s = s.withMtime(SetAttr.UTIME_NOW);
        } else if (a.has(FuseOperations.AttrChange.MTIME)) {
            s = s.withMtime(v.mtimeNs());
        }
        try {
            r.replyAttr(attr(inodes.setattr(ino, s)), attrTimeout);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void readlink(FuseRequest r, long ino) {
        try {
            r.replyReadlink(inodes.readlink(ino));
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void mknod(FuseRequest r, long parent, String name, int mode, long rdev) {
        try {
            entry(r, inodes.mknod(parent, name, mode, r.uid(), r.gid()));
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void mkdir(FuseRequest r, long parent, String name, int mode) {
        try {
            entry(r, inodes.mkdir(parent, name, mode & 07777, r.uid(), r.gid()));
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void unlink(FuseRequest r, long parent, String name) {
        try {
            inodes.unlink(parent, name);
            r.replyErr(0);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void rmdir(FuseRequest r, long parent, String name) {
        try {
            inodes.rmdir(parent, name);
            r.replyErr(0);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void symlink(FuseRequest r, String target, long parent, String name) {
        try {
            entry(r, inodes.symlink(parent, name, target, r.uid(), r.gid()));
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void rename(FuseRequest r, long parent, String name, long newParent, String newName, int flags) {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) {
            r.replyErr(Errno.EINVAL.code()); // RENAME_WHITEOUT: no whiteouts here
            return;
        }
        List<RenameOption> o = new ArrayList<>(2);
        if ((flags & RENAME_NOREPLACE) != 0) {
            o.add(RenameOption.NOREPLACE);
        }
        if ((flags & RENAME_EXCHANGE) != 0) {
            o.add(RenameOption.EXCHANGE);
        }
        try {
            inodes.rename(parent, name, newParent, newName, o.toArray(RenameOption[]::new));
            r.replyErr(0);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void link(FuseRequest r, long ino, long newParent, String newName) {
        try {
            entry(r, inodes.link(ino, newParent, newName));
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void statfs(FuseRequest r, long ino) {
        FsStat s = fs.statfs();
        r.replyStatfs(new Structs.StatFs(s.blockSize(), s.totalBlocks(), s.freeBlocks(), s.totalInodes(),
                s.freeInodes(), s.nameMax()));
    }

    @Override
    public void access(FuseRequest r, long ino, int mask) {
        // Only reached without default_permissions; then the check is the kernel's mode rules.
        try {
            FileStat st = inodes.getattr(ino);
            int uid = r.uid();
            int bits;
            if (uid == 0) {
                bits = (mask & 1) == 0 || (st.mode() & 0111) != 0 || st.type() == FileType.DIRECTORY ? mask : 0;
            } else if (uid == st.uid()) {
                bits = (st.mode() >> 6) & 7;
            } else if (r.gid() == st.gid()) {
                bits = (st.mode() >> 3) & 7;
            } else {
                bits = st.mode() & 7;
            }
            r.replyErr((mask & ~bits & 7) == 0 ? 0 : Errno.EACCES.code());
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    // ---------------------------------------------------------------- open files

    @Override
    public void create(FuseRequest r, long parent, String name, int mode, FileInfo fi) {
        try {
            DaxInodes.Created c = inodes.create(parent, name, mode & 07777, r.uid(), r.gid(),
                    (fi.flags() & O_EXCL) != 0, openOptions(fi.flags()));
            fi.fh(handles.add(c.file()));
            fi.keepCache(true);
            r.replyCreate(inodes.generation(c.stat().ino()), attr(c.stat()), attrTimeout, entryTimeout, fi);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void open(FuseRequest r, long ino, FileInfo fi) {
        try {
            DaxFile f = inodes.open(ino, openOptions(fi.flags()));
            fi.fh(handles.add(f));
            // The image is this process's alone while mounted: what the kernel cached is current.
            fi.keepCache((fi.flags() & O_TRUNC) == 0);
            r.replyOpen(fi);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    /**
     * The daxfs options for open(2) flags. Always readable: the kernel enforces the access mode
     * itself, and reads through a write-only open for its page cache.
     */
    private static OpenOption[] openOptions(int flags) {
        List<OpenOption> o = new ArrayList<>(5);
        o.add(StandardOpenOption.READ);
        int acc = flags & O_ACCMODE;
        boolean write = acc == O_WRONLY || acc == O_RDWR;
        if (write) {
            o.add(StandardOpenOption.WRITE);
            if ((flags & O_APPEND) != 0) {
                o.add(StandardOpenOption.APPEND);
            }
            if ((flags & O_TRUNC) != 0) {
                o.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
            if ((flags & O_SYNC) == O_SYNC) {
                o.add(StandardOpenOption.SYNC);
            } else if ((flags & O_DSYNC) != 0) {
                o.add(StandardOpenOption.DSYNC);
            }
        }
        return o.toArray(OpenOption[]::new);
    }

    @Override
    public void read(FuseRequest r, long ino, long size, long off, FileInfo fi) {
        DaxFile f = handles.get(fi.fh());
        if (f == null) {
            r.replyErr(Errno.EBADF.code());
            return;
        }
        try {
            long n = f.readInPlace(off, size, (segs, lens, count) -> replyPieces(r, segs, lens, count));
            if (n <= 0) {
                r.replyBuf(MemorySegment.NULL, 0);
            }
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    /** Replies with iovecs over the pieces (device memory, or the zero page for holes). */
    private void replyPieces(FuseRequest r, MemorySegment[] segs, long[] lens, int count) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            n += segs[i] != null ? 1 : (int) ((lens[i] + ZEROS_SIZE - 1) / ZEROS_SIZE);
        }
        MemorySegment iov = iovecs(n);
        int k = 0;
        for (int i = 0; i < count; i++) {
            if (segs[i] != null) {
                iov.set(ADDRESS, k * Structs.IOVEC_SIZE, segs[i]);
                iov.set(JAVA_LONG, k * Structs.IOVEC_SIZE + 8, lens[i]);
                k++;
            } else {
                for (long left = lens[i]; left > 0; left -= ZEROS_SIZE) {
                    iov.set(ADDRESS, k * Structs.IOVEC_SIZE, zeros);
                    iov.set(JAVA_LONG, k * Structs.IOVEC_SIZE + 8, Math.min(left, ZEROS_SIZE));
                    k++;
                }
            }
        }
        r.replyIov(iov, k);
    }

    private MemorySegment iovecs(int n) {
        MemorySegment[] cell = iovs.get();
        MemorySegment iov = cell[0];
        if (iov == null || iov.byteSize() < n * Structs.IOVEC_SIZE) {
            iov = Arena.ofAuto().allocate(Math.max(64, Integer.highestOneBit(n) * 2L) * Structs.IOVEC_SIZE, 8);
            cell[0] = iov;
        }
        return iov;
    }

    @Override
    public void write(FuseRequest r, long ino, MemorySegment buf, long off, FileInfo fi) {
        DaxFile f = handles.get(fi.fh());
        if (f == null) {
            r.replyErr(Errno.EBADF.code());
            return;
        }
        try {
            r.replyWrite(f.write(off, buf));
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    // flush is left to the default ENOSYS on purpose: writes are in device memory when they are
    // acknowledged, so close has nothing to push, and on ENOSYS the kernel stops sending FLUSH,
    // which saves a round trip on every close(2).

    @Override
    public void release(FuseRequest r, long ino, FileInfo fi) {
        DaxFile f = handles.remove(fi.fh());
        try {
            if (f != null) {
                f.close();
            }
            r.replyErr(0);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void fsync(FuseRequest r, long ino, boolean datasync, FileInfo fi) {
        DaxFile f = fi == null ? null : handles.get(fi.fh());
        try {
            if (f == null) {
                fs.sync();
            } else if (datasync) {
                f.fdatasync();
            } else {
                f.fsync();
            }
            r.replyErr(0);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void fallocate(FuseRequest r, long ino, int mode, long off, long len, FileInfo fi) {
        DaxFile f = handles.get(fi.fh());
        if (f == null) {
            r.replyErr(Errno.EBADF.code());
            return;
        }
        boolean keep = (mode & FALLOC_KEEP_SIZE) != 0;
        try {
            switch (mode & ~FALLOC_KEEP_SIZE) {
                case 0 -> f.allocate(off, len, keep);
                case FALLOC_PUNCH_HOLE -> {
                    if (!keep) {
                        throw new DaxException(Errno.EOPNOTSUPP, "fallocate: PUNCH_HOLE needs KEEP_SIZE");
                    }
                    f.punchHole(off, len);
                }
                case FALLOC_ZERO_RANGE -> f.zeroRange(off, len, keep);
                case FALLOC_COLLAPSE_RANGE -> {
                    if (keep) {
                        throw new DaxException(Errno.EINVAL, "fallocate: COLLAPSE_RANGE with KEEP_SIZE");
                    }
                    f.collapseRange(off, len);
                }
                case FALLOC_INSERT_RANGE -> {
                    if (keep) {
                        throw new DaxException(Errno.EINVAL, "fallocate: INSERT_RANGE with KEEP_SIZE");
                    }
                    f.insertRange(off, len);
                }
                default -> throw new DaxException(Errno.EOPNOTSUPP, "fallocate: mode " + mode);
            }
            r.replyErr(0);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void lseek(FuseRequest r, long ino, long off, int whence, FileInfo fi) {
        DaxFile f = handles.get(fi.fh());
        if (f == null) {
            r.replyErr(Errno.EBADF.code());
            return;
        }
        try {
            switch (whence) {
                case SEEK_DATA -> r.replyLseek(f.seekData(off));
                case SEEK_HOLE -> r.replyLseek(f.seekHole(off));
                default -> r.replyErr(Errno.EINVAL.code());
            }
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void copyFileRange(FuseRequest r, long inoIn, long offIn, FileInfo fiIn, long inoOut, long offOut,
                              FileInfo fiOut, long len, int flags) {
        DaxFile in = handles.get(fiIn.fh());
        DaxFile out = handles.get(fiOut.fh());
        if (in == null || out == null) {
            r.replyErr(Errno.EBADF.code());
            return;
        }
        if (flags != 0) {
            r.replyErr(Errno.EINVAL.code());
            return;
        }
        // Through a bounce buffer: reading in place would hold the source's I/O lock while the
        // write takes the target's, and source and target may be one file.
        MemorySegment bounce = r.directoryBuffer(1 << 20);
        long done = 0;
        try {
            while (done < len) {
                long n = in.read(offIn + done, bounce.asSlice(0, Math.min(bounce.byteSize(), len - done)));
                if (n <= 0) {
                    break;
                }
                long w = out.write(offOut + done, bounce.asSlice(0, n));
                done += w;
                if (w < n) {
                    break;
                }
            }
            r.replyWrite(done);
        } catch (DaxException e) {
            if (done > 0) {
                r.replyWrite(done);
            } else {
                r.replyErr(e.errno().code());
            }
        }
    }

    // ---------------------------------------------------------------- directories

    @Override
    public void opendir(FuseRequest r, long ino, FileInfo fi) {
        try {
            FileStat st = inodes.getattr(ino);
            if (st.type() != FileType.DIRECTORY) {
                r.replyErr(Errno.ENOTDIR.code());
                return;
            }
            openDirs.merge(ino, new OpenDir(1, st), (a, b) -> new OpenDir(a.count() + 1, b.last()));
            fi.fh(0);
            r.replyOpen(fi);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    @Override
    public void readdir(FuseRequest r, long ino, long size, long off, FileInfo fi, boolean plus) {
        MemorySegment buf = r.directoryBuffer(size).asSlice(0, size);
        long pos = 0;
        try {
            if (off < 1) {
                long n = dirEntry(r, buf, pos, ".", ino, FileType.DIRECTORY, 1, plus);
                if (n > size - pos) {
                    r.replyBuf(buf, pos);
                    return;
                }
                pos += n;
            }
            if (off < 2) {
                long parent = inodes.lookup(ino, "..").ino();
                long n = dirEntry(r, buf, pos, "..", parent, FileType.DIRECTORY, 2, plus);
                if (n > size - pos) {
                    r.replyBuf(buf, pos);
                    return;
                }
                pos += n;
            }
            long cookie = Math.max(0, off - DOT_OFFSETS);
            // Entries take at least 24 bytes (readdir) or 152 (readdirplus), plus the name.
            int batch = (int) Math.max(8, Math.min(1024, size / (plus ? 160 : 32)));
            outer:
            while (true) {
                List<DirEntry> es = inodes.readdir(ino, cookie, batch);
                if (es.isEmpty()) {
                    break;
                }
                for (DirEntry e : es) {
                    long n = dirEntry(r, buf, pos, e.name(), e.ino(), e.type(), e.cookie() + DOT_OFFSETS, plus);
                    if (n < 0) {
                        cookie = e.cookie();
                        continue; // removed meanwhile
                    }
                    if (n > size - pos) {
                        break outer;
                    }
                    pos += n;
                    cookie = e.cookie();
                }
            }
            r.replyBuf(buf, pos);
        } catch (DaxException e) {
            if (pos > 0) {
                r.replyBuf(buf, pos);
            } else {
                r.replyErr(e.errno().code());
            }
        }
    }

    /** Adds one entry; returns its size (greater than the room left: not added), or -1 if it vanished. */
    private long dirEntry(FuseRequest r, MemorySegment buf, long pos, String name, long ino, FileType type, long next,
                          boolean plus) throws DaxException {
        if (!plus) {
            Structs.Attr a = new Structs.Attr(ino, type.modeBits(), 1, 0, 0, 0, 0, 0, 0, 0);
            return r.addDirEntry(buf, pos, name, a, next, false, 0, 0, 0);
        }
        FileStat st;
        int gen;
        try {
            st = inodes.getattr(ino);
            gen = inodes.generation(ino);
        } catch (DaxException e) {
            if (e.errno() == Errno.ENOENT) {
                return -1;
            }
            throw e;
        }
        boolean dot = name.equals(".") || name.equals("..");
        return r.addDirEntry(buf, pos, name, attr(st), next, true, gen, dot ? 0 : attrTimeout, dot ? 0 : entryTimeout);
    }

    @Override
    public void releasedir(FuseRequest r, long ino, FileInfo fi) {
        openDirs.computeIfPresent(ino, (k, d) -> d.count() > 1 ? new OpenDir(d.count() - 1, d.last()) : null);
        r.replyErr(0);
    }

    @Override
    public void fsyncdir(FuseRequest r, long ino, boolean datasync, FileInfo fi) {
        try {
            fs.sync();
            r.replyErr(0);
        } catch (DaxException e) {
            r.replyErr(e.errno().code());
        }
    }

    // ---------------------------------------------------------------- helpers

    private void entry(FuseRequest r, FileStat st) throws DaxException {
        r.replyEntry(inodes.generation(st.ino()), attr(st), attrTimeout, entryTimeout);
    }

    static Structs.Attr attr(FileStat st) {
        return new Structs.Attr(st.ino(), st.mode(), st.nlink(), st.uid(), st.gid(), st.size(), st.blocks(),
                st.atimeNs(), st.mtimeNs(), st.ctimeNs());
    }
}
