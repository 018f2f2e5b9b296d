package io.daxfs.nio;

import io.daxfs.api.DaxFile;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;

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
 * fdatasync, transfers, byte-range locks ({@link FileLocks}), and {@link #map(MapMode, long, long,
 * Arena) map}, which hands out the file's device memory.
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
     * Not available: a {@code MappedByteBuffer} can be made only by the JDK's own file channels
     * (no public API builds one over other memory). {@link #map(MapMode, long, long, Arena)} maps
     * daxfs files.
     */
    @Override
    public MappedByteBuffer map(MapMode mode, long pos, long size) {
        throw new UnsupportedOperationException("daxfs cannot map a file as a MappedByteBuffer: use "
                + "map(mode, position, size, arena), which returns the file's device memory as a MemorySegment");
    }

    /**
     * Maps {@code [offset, offset + size)} of the file as one segment of its device memory (see
     * {@link DaxFile#mapSegment}), as the JDK's channels do: a file shorter than the range is
     * grown to cover it first (which needs a writable channel), READ_WRITE and PRIVATE need a
     * writable channel, every mode a readable one, and a READ_ONLY segment is read-only. Modes:
     * READ_ONLY (and READ_ONLY_SYNC), READ_WRITE, PRIVATE, and READ_WRITE_SYNC, whose blocks are
     * reachable after a crash before this returns.
     *
     * <p>The segment is a mapped segment of {@code arena} as the JDK's are ({@code load},
     * {@code isLoaded}, {@code unload}, and {@code force}, an msync of its range). The file's
     * {@link #force} writes back every writable segment of the file too. A truncate or hole
     * punch over the range leaves the segment on the blocks it had, which are not given to
     * another file until its arena closes.
     */
    @Override
    public MemorySegment map(MapMode mode, long offset, long size, Arena arena) throws IOException {
        Objects.requireNonNull(mode, "Mode is null");
        Objects.requireNonNull(arena, "Arena is null");
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("Already closed");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("Requested bytes offset must be >= 0.");
        }
        if (size < 0) {
            throw new IllegalArgumentException("Requested bytes size must be >= 0.");
        }
        if (offset + size < 0) {
            throw new IllegalArgumentException("Position + size overflow");
        }
        DaxMapMode daxMode = modeOf(mode);
        ensureOpen();
        if (daxMode != DaxMapMode.READ_ONLY && !writable) {
            throw new NonWritableChannelException();
        }
        if (!readable) {
            throw new NonReadableChannelException();
        }
        synchronized (this) {
            if (call(file::size) < offset + size) {
                if (!writable) {
                    throw new IOException("Channel not open for writing - cannot extend file to required size");
                }
                call(() -> {
                    file.truncate(offset + size);
                    return null;
                });
                onModify.run();
            }
        }
        return call(() -> file.mapSegment(offset, size, daxMode, arena));
    }

    /** The daxfs mode of a JDK map mode; ExtendedMapMode's are known by name (no module needed). */
    private static DaxMapMode modeOf(MapMode mode) {
        if (mode == MapMode.READ_ONLY) {
            return DaxMapMode.READ_ONLY;
        }
        if (mode == MapMode.READ_WRITE) {
            return DaxMapMode.READ_WRITE;
        }
        if (mode == MapMode.PRIVATE) {
            return DaxMapMode.PRIVATE;
        }
        return switch (mode.toString()) {
            case "READ_ONLY_SYNC" -> DaxMapMode.READ_ONLY;
            case "READ_WRITE_SYNC" -> DaxMapMode.READ_WRITE_SYNC;
            default -> throw new UnsupportedOperationException("map mode " + mode + " is not supported");
        };
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
