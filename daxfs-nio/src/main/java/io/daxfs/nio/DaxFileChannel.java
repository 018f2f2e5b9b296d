package io.daxfs.nio;

import io.daxfs.api.DaxFile;
import io.daxfs.types.DaxException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * A {@link FileChannel} on a daxfs file: positional and relative reads and writes straight
 * between the caller's buffers and the device (no page cache), truncate, force as fsync or
 * fdatasync, transfers, and byte-range locks ({@link FileLocks}).
 *
 * <p>The position is guarded by this channel's monitor, as the JDK's channels guard theirs:
 * relative reads and writes are serial on one channel, positional ones are not.
 */
final class DaxFileChannel extends FileChannel {
    private static final int TRANSFER_CHUNK = 1 << 20;

    private final DaxNioFileSystem fs;
    private final DaxFile file;
    private final String path;
    /** The file's inode number, the key of its byte-range locks: asked for at the first lock only. */
    private long ino = -1;
    private final boolean readable;
    private final boolean writable;
    private final boolean append;
    private final Runnable onClose;
    /** Reports a write or truncate to the file system's watches. */
    private final Runnable onModify;
    private long position;

    DaxFileChannel(DaxNioFileSystem fs, DaxFile file, String path, boolean readable, boolean writable, boolean append,
                   Runnable onClose, Runnable onModify) {
        this.fs = fs;
        this.file = file;
        this.path = path;
        this.readable = readable;
        this.writable = writable;
        this.append = append;
        this.onClose = onClose;
        this.onModify = onModify;
    }

    private interface FileCall<T> {
        T call() throws DaxException;
    }

    private <T> T call(FileCall<T> c) throws IOException {
        fs.checkOpen();
        try {
            return c.call();
        } catch (DaxException e) {
            throw Errors.of(e, path);
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private void ensureReadable() throws IOException {
        ensureOpen();
        if (!readable) {
            throw new NonReadableChannelException();
        }
    }

    private void ensureWritable() throws IOException {
        ensureOpen();
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ensureReadable();
        synchronized (this) {
            int n = read(dst, position);
            if (n > 0) {
                position += n;
            }
            return n;
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        ensureReadable();
        synchronized (this) {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                if (!dsts[i].hasRemaining()) {
                    continue;
                }
                int n = read(dsts[i], position);
                if (n < 0) {
                    return total == 0 ? -1 : total;
                }
                position += n;
                total += n;
                if (dsts[i].hasRemaining()) {
                    break; // short read: end of file
                }
            }
            return total;
        }
    }

    @Override
    public int read(ByteBuffer dst, long pos) throws IOException {
        if (pos < 0) {
            throw new IllegalArgumentException("negative position " + pos);
        }
        ensureReadable();
        if (!dst.hasRemaining()) {
            return 0;
        }
        int n = call(() -> file.read(pos, dst));
        return n <= 0 && dst.hasRemaining() ? -1 : n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        ensureWritable();
        synchronized (this) {
            if (append) {
                position = size();
            }
            int n = write(src, position);
            position += n;
            return n;
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        ensureWritable();
        synchronized (this) {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                while (srcs[i].hasRemaining()) {
                    total += write(srcs[i]);
                }
            }
            return total;
        }
    }

    @Override
    public int write(ByteBuffer src, long pos) throws IOException {
        if (pos < 0) {
            throw new IllegalArgumentException("negative position " + pos);
        }
        ensureWritable();
        int want = src.remaining();
        int done = 0;
        while (done < want) {
            int at = done;
            int n = call(() -> file.write(pos + at, src));
            if (n <= 0) {
                break; // a short write at the size limit
            }
            done += n;
        }
        if (done > 0) {
            onModify.run();
        }
        return done;
    }

    @Override
    public long position() throws IOException {
        ensureOpen();
        synchronized (this) {
            return position;
        }
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position " + newPosition);
        }
        ensureOpen();
        synchronized (this) {
            position = newPosition;
        }
        return this;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return call(file::size);
    }

    /** Shrinks the file to {@code size} if it is larger (never grows it), and moves the position back to it if past. */
    @Override
    public FileChannel truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        ensureWritable();
        synchronized (this) {
            if (size < size()) {
                call(() -> {
                    file.truncate(size);
                    return null;
                });
                onModify.run();
            }
            if (position > size) {
                position = size;
            }
        }
        return this;
    }

    /** fsync when {@code metaData}, else fdatasync: the file's data, and its metadata if asked, are durable on return. */
    @Override
    public void force(boolean metaData) throws IOException {
        ensureOpen();
        call(() -> {
            if (metaData) {
                file.fsync();
            } else {
                file.fdatasync();
            }
            return null;
        });
    }

    @Override
    public long transferTo(long pos, long count, WritableByteChannel target) throws IOException {
        ensureReadable();
        if (pos < 0 || count < 0) {
            throw new IllegalArgumentException("negative position or count");
        }
        long size = size();
        long end = Math.min(size, pos + count);
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(TRANSFER_CHUNK, Math.max(1, end - pos)));
        long done = 0;
        while (pos + done < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - pos - done));
            int n = read(buf, pos + done);
            if (n <= 0) {
                break;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                if (target.write(buf) <= 0 && buf.hasRemaining()) {
                    return done + (n - buf.remaining()); // a non-blocking target took no more
                }
            }
            done += n;
        }
        return done;
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long pos, long count) throws IOException {
        ensureWritable();
        if (pos < 0 || count < 0) {
            throw new IllegalArgumentException("negative position or count");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(TRANSFER_CHUNK, Math.max(1, count)));
        long done = 0;
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = src.read(buf);
            if (n <= 0) {
                break;
            }
            buf.flip();
            write(buf, pos + done);
            done += n;
        }
        return done;
    }

    /**
     * Not available: a {@code MappedByteBuffer} cannot be made over daxfs's device memory through
     * public APIs, and the segment form that returns device memory is not built yet.
     */
    @Override
    public MappedByteBuffer map(MapMode mode, long pos, long size) {
        throw new UnsupportedOperationException("daxfs cannot map a MappedByteBuffer; map(mode, position, size, arena) "
                + "is the form daxfs is to support, and it is not built yet");
    }

    @Override
    public MemorySegment map(MapMode mode, long offset, long size, Arena arena) {
        throw new UnsupportedOperationException("daxfs-nio does not map files yet (map(mode, position, size, arena) is "
                + "planned; use io.daxfs.api.DaxFile.map meanwhile)");
    }

    @Override
    public FileLock lock(long pos, long size, boolean shared) throws IOException {
        return tryLock(pos, size, shared);
    }

    /**
     * Locks a range. Every lock that could conflict is held in this JVM (the image is mounted by
     * one JVM), so this never waits: an overlap is {@link java.nio.channels.OverlappingFileLockException}.
     */
    @Override
    public FileLock tryLock(long pos, long size, boolean shared) throws IOException {
        if (pos < 0 || size < 0 || pos + size < 0) {
            throw new IllegalArgumentException("bad range [" + pos + ", +" + size + ")");
        }
        ensureOpen();
        if (shared && !readable) {
            throw new NonReadableChannelException();
        }
        if (!shared && !writable) {
            throw new NonWritableChannelException();
        }
        synchronized (this) {
            if (ino < 0) {
                ino = call(() -> file.stat().ino());
            }
        }
        return fs.locks().lock(this, ino, pos, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        if (ino >= 0) {
            fs.locks().releaseAll(this, ino);
        }
        try {
            file.close();
        } catch (DaxException e) {
            throw Errors.of(e, path);
        } finally {
            onClose.run();
        }
    }
}
