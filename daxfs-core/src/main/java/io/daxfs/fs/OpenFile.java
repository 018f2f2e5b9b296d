package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxReadSink;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;

import java.lang.foreign.MemorySegment;

/**
 * One open handle of a regular file: the access mode it was opened with, and the reference that
 * keeps an unlinked file alive until {@link #close()}.
 */
public final class OpenFile {
    private final Volume v;
    private final Inode inode;
    private final boolean readable;
    private final boolean writable;
    private final boolean append;
    private final SyncWrites sync;
    private volatile boolean closed;

    /** What a write through this handle makes durable before it returns (O_DSYNC, O_SYNC). */
    public enum SyncWrites {
        /** Nothing (a plain write). */
        NONE,
        /** O_DSYNC: the bytes written, and the size and blocks needed to read them back. */
        DATA,
        /** O_SYNC: the bytes written and all of the file's metadata, times included. */
        ALL
    }

    OpenFile(Volume v, Inode inode, boolean readable, boolean writable, boolean append, SyncWrites sync) {
        this.v = v;
        this.inode = inode;
        this.readable = readable;
        this.writable = writable;
        this.append = append;
        this.sync = sync;
    }

    /** A handle like this one, for {@link Opener#reopen} (which counted it). */
    OpenFile duplicate() {
        return new OpenFile(v, inode, readable, writable, false, SyncWrites.NONE);
    }

    public boolean isReadable() {
        return readable;
    }

    public boolean isWritable() {
        return writable;
    }

    public Inode inode() {
        return inode;
    }

    public Volume volume() {
        return v;
    }

    public long read(long pos, MemorySegment dst) throws DaxException {
        check(readable, "read");
        // The access time inside the bracket too: the inode object must not be dropped meanwhile.
        return v.onDevice("read", () -> {
            long n = v.fileIo.read(inode, pos, dst);
            v.accessTimes.accessed(inode);
            return n;
        });
    }

    /**
     * Zero-copy read: see {@link io.daxfs.api.DaxFile#readInPlace}. A fault of the device while
     * the sink reads its pieces is a media error like any other.
     */
    public long readInPlace(long pos, long len, DaxReadSink sink) throws DaxException {
        check(readable, "read");
        return v.onDevice("read", () -> {
            long n = v.fileIo.readInPlace(inode, pos, len, sink);
            v.accessTimes.accessed(inode);
            return n;
        });
    }

    /** The file was mapped (mmap counts as an access, as in Linux). */
    public void mapped() throws DaxException {
        v.onDevice("map", () -> v.accessTimes.accessed(inode));
    }

    public long write(long pos, MemorySegment src) throws DaxException {
        check(writable, "write");
        boolean durable = sync != SyncWrites.NONE;
        long n = v.change("write", () -> v.fileIo.write(inode, pos, src, append, durable));
        if (durable) {
            // The bytes are persisted; commit only if the write changed what is needed to read
            // them (O_DSYNC) or any metadata (O_SYNC) and that is not durable yet.
            v.onDevice("write", () -> v.journal.commitUpTo(inode.syncTid(sync == SyncWrites.DATA)));
        }
        return n;
    }

    public long size() throws DaxException {
        check(true, "size");
        inode.io().readLock().lock();
        try {
            return inode.size;
        } finally {
            inode.io().readLock().unlock();
        }
    }

    public void truncate(long size) throws DaxException {
        changeBlocks("truncate", () -> v.fileLayout.truncate(inode, size));
    }

    public void allocate(long pos, long len, boolean keepSize) throws DaxException {
        changeBlocks("allocate", () -> v.fileLayout.allocateRange(inode, pos, len, keepSize));
    }

    public void punchHole(long pos, long len) throws DaxException {
        changeBlocks("punch hole", () -> v.fileLayout.punchHole(inode, pos, len));
    }

    public void zeroRange(long pos, long len, boolean keepSize) throws DaxException {
        changeBlocks("zero range", () -> v.fileLayout.zeroRange(inode, pos, len, keepSize));
    }

    public void collapseRange(long pos, long len) throws DaxException {
        changeBlocks("collapse range", () -> v.fileLayout.collapseRange(inode, pos, len));
    }

    public void insertRange(long pos, long len) throws DaxException {
        changeBlocks("insert range", () -> v.fileLayout.insertRange(inode, pos, len));
    }

    /** How the file lies on the device: see {@link io.daxfs.types.FileExtents}. */
    public io.daxfs.types.FileExtents extents() throws DaxException {
        check(true, "extents");
        return v.fileIo.extents(inode);
    }

    public long seekData(long pos) throws DaxException {
        check(true, "seek");
        return v.fileIo.seekData(inode, pos);
    }

    public long seekHole(long pos) throws DaxException {
        check(true, "seek");
        return v.fileIo.seekHole(inode, pos);
    }

    /**
     * fsync ({@code dataOnly} false) or fdatasync: the file's data, then its metadata (for
     * fdatasync only what is needed to read the data back: size and blocks, not times).
     */
    public void fsync(boolean dataOnly) throws DaxException {
        check(true, "fsync");
        if (!v.readOnly) {
            v.onDevice("fsync", () -> v.dirtyData.fsync(inode, dataOnly));
        }
    }

    public FileStat stat() throws DaxException {
        check(true, "stat");
        return inode.stat();
    }

    public boolean isClosed() {
        return closed;
    }

    public synchronized void close() throws DaxException {
        if (closed) {
            return;
        }
        closed = true;
        v.closed(this);
        v.guarded("close", () -> v.unlinker.release(inode));
    }

    private void check(boolean allowed, String op) throws DaxException {
        if (closed) {
            throw new DaxException(Errno.EBADF, op + ": file is closed");
        }
        if (v.isClosed()) {
            throw new DaxException(Errno.EIO, op + ": file system is unmounted");
        }
        if (!allowed) {
            throw new DaxException(Errno.EBADF, op + ": file is not open for " + (op.equals("read") ? "reading" : "writing"));
        }
    }

    /**
     * Runs a size or block-map change through a writable handle; an unexpected runtime failure
     * becomes EIO and turns the volume read-only (see {@link Volume#change}).
     */
    private void changeBlocks(String op, Volume.Action change) throws DaxException {
        check(writable, op);
        v.change(op, change);
    }
}
