package io.daxfs.fuse;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxInodes;
import io.daxfs.fuse.lowlevel.FileInfo;
import io.daxfs.fuse.lowlevel.FuseRequest;
import io.daxfs.fuse.lowlevel.Structs;
import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The directory operations: opendir and releasedir (counted in {@link OpenDirs}), readdir and
 * readdirplus, fsyncdir. A directory handle carries no state: a listing resumes from the offset
 * the kernel passes back, and offsets are stable across calls. Offsets 1 and 2 are "." and "..",
 * and daxfs directory cookie {@code c} is offset {@code c + 2}; a cookie is the entry's position
 * in its directory, which does not move when other entries are added or removed.
 */
final class DirectoryOps {
    /** readdir offsets 1 and 2 are "." and ".."; a daxfs cookie c is offset c + 2. */
    private static final long DOT_OFFSETS = 2;

    private final DaxFileSystem fs;
    private final DaxInodes inodes;
    private final InodeReplies replies;
    private final OpenDirs openDirs;

    DirectoryOps(DaxFileSystem fs, DaxInodes inodes, InodeReplies replies, OpenDirs openDirs) {
        this.fs = fs;
        this.inodes = inodes;
        this.replies = replies;
        this.openDirs = openDirs;
    }

    void opendir(FuseRequest r, long ino, FileInfo fi) throws DaxException {
        FileStat st = inodes.getattr(ino);
        if (st.type() != FileType.DIRECTORY) {
            throw new DaxException(Errno.ENOTDIR, "opendir: inode " + ino);
        }
        openDirs.opened(st);
        fi.fh(0);
        if (!r.replyOpen(fi)) {
            openDirs.released(ino); // interrupted: the kernel will never release it
        }
    }

    void releasedir(FuseRequest r, long ino) {
        openDirs.released(ino);
        r.replyOk();
    }

    /**
     * Fills one reply buffer of {@code size} bytes from offset {@code off}. An error after some
     * entries were added ends the listing there; the kernel asks again from the last offset.
     */
    void readdir(FuseRequest r, long ino, long size, long off, boolean plus) throws DaxException {
        MemorySegment buf = r.directoryBuffer(size).asSlice(0, size);
        long pos = 0;
        // readdirplus entries (but "." and "..") are lookups: counted as added, given back if the
        // kernel never gets the buffer.
        List<Long> counted = new ArrayList<>();
        try {
            if (off < 1) {
                long n = dirEntry(r, ino, buf, pos, ".", ino, FileType.DIRECTORY, 1, plus, counted);
                if (n > size - pos) {
                    reply(r, buf, pos, counted);
                    return;
                }
                pos += n;
            }
            if (off < 2) {
                long parent = inodes.lookup(ino, "..").ino();
                long n = dirEntry(r, ino, buf, pos, "..", parent, FileType.DIRECTORY, 2, plus, counted);
                if (n > size - pos) {
                    reply(r, buf, pos, counted);
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
                    long n = dirEntry(r, ino, buf, pos, e.name(), e.ino(), e.type(), e.cookie() + DOT_OFFSETS, plus, counted);
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
        } catch (DaxException e) {
            if (pos == 0) {
                throw e;
            }
        }
        reply(r, buf, pos, counted);
    }

    private void reply(FuseRequest r, MemorySegment buf, long pos, List<Long> counted) {
        if (!r.replyBuf(buf, pos)) {
            for (long ino : counted) {
                replies.lookups().undo(ino);
            }
        }
    }

    /**
     * Adds one entry of directory {@code dir}; returns its size (greater than the room left: not
     * added), or -1 if it vanished. A readdirplus entry other than "." and ".." is counted as a
     * lookup ({@code counted} gets its number), after checking that the name still leads to the
     * inode described: a number freed and reused meanwhile must not reach the kernel.
     */
    private long dirEntry(FuseRequest r, long dir, MemorySegment buf, long pos, String name, long ino, FileType type,
                          long next, boolean plus, List<Long> counted) throws DaxException {
        if (!plus) {
            Structs.Attr a = new Structs.Attr(ino, type.modeBits(), 1, 0, 0, 0, 0, 0, 0, 0);
            return r.addDirEntry(buf, pos, name, a, next, false, 0, 0, 0);
        }
        boolean dot = name.equals(".") || name.equals("..");
        FileStat st;
        int gen;
        try {
            st = inodes.getattr(ino);
            gen = inodes.generation(ino);
            if (!dot) {
                if (!replies.lookups().take(st)) {
                    return -1;
                }
                boolean same;
                try {
                    same = inodes.lookup(dir, name).ino() == ino;
                } catch (DaxException e) {
                    replies.lookups().undo(ino);
                    throw e;
                }
                if (!same) {
                    replies.lookups().undo(ino);
                    return -1; // renamed or replaced meanwhile
                }
            }
        } catch (DaxException e) {
            if (e.errno() == Errno.ENOENT) {
                return -1;
            }
            throw e;
        }
        long n = r.addDirEntry(buf, pos, name, InodeReplies.attr(st), next, true, gen,
                dot ? 0 : replies.attrTimeout(), dot ? 0 : replies.entryTimeout());
        if (!dot) {
            if (n > buf.byteSize() - pos) {
                replies.lookups().undo(ino); // did not fit: not sent
            } else {
                counted.add(ino);
            }
        }
        return n;
    }

    /** daxfs commits metadata as a whole: syncing a directory syncs the file system. */
    void fsyncdir(FuseRequest r) throws DaxException {
        fs.sync();
        r.replyOk();
    }
}
