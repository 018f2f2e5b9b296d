package io.daxfs.nio;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;

/**
 * A directory opened for reading, as {@code open(dir, O_RDONLY)} gives on Linux: it has a size,
 * and {@link #force} makes the directory's entries durable (programs such as Lucene fsync a
 * directory after creating files in it); reading or writing it is EISDIR. Its force commits the
 * journal, which holds every namespace change made so far.
 */
final class DirectoryChannel extends FileChannel {
    private final DaxNioFileSystem fs;
    private final DaxPath dir;

    DirectoryChannel(DaxNioFileSystem fs, DaxPath dir) {
        this.fs = fs;
        this.dir = dir;
    }

    private FileSystemException isDirectory() {
        return new FileSystemException(dir.toString(), null, "EISDIR: is a directory");
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        throw isDirectory();
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        throw isDirectory();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        throw isDirectory();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        throw new java.nio.channels.NonWritableChannelException();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        throw new java.nio.channels.NonWritableChannelException();
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        throw new java.nio.channels.NonWritableChannelException();
    }

    @Override
    public long position() {
        return 0;
    }

    @Override
    public FileChannel position(long newPosition) {
        return this;
    }

    @Override
    public long size() throws IOException {
        String at = dir.corePath();
        return fs.with(dir, c -> c.stat(at).size());
    }

    @Override
    public FileChannel truncate(long size) {
        throw new java.nio.channels.NonWritableChannelException();
    }

    /** Makes the directory's entries durable: commits the journal (a shared commit, as every fsync's is). */
    @Override
    public void force(boolean metaData) throws IOException {
        fs.with(dir, c -> {
            c.sync();
            return null;
        });
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        throw isDirectory();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new java.nio.channels.NonWritableChannelException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        throw isDirectory();
    }

    @Override
    public MemorySegment map(MapMode mode, long offset, long size, Arena arena) throws IOException {
        throw isDirectory();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        throw isDirectory();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        throw isDirectory();
    }

    @Override
    protected void implCloseChannel() {
        // nothing is held
    }
}
