package io.daxfs.nio;

import io.daxfs.types.FsStat;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Set;

/**
 * The one store of a daxfs file system: its image. Space figures are statfs's: total, free
 * (including blocks a pending free will release) and usable (what file data can still get, the
 * metadata reserve excluded).
 */
final class DaxFileStore extends FileStore {
    static final Set<String> VIEWS = Set.of("basic", "posix", "owner", "unix", "user", "daxfs");

    private final DaxNioFileSystem fs;

    DaxFileStore(DaxNioFileSystem fs) {
        this.fs = fs;
    }

    private FsStat statfs() throws IOException {
        return fs.with(c -> c.statfs());
    }

    @Override
    public String name() {
        return fs.image().toString();
    }

    @Override
    public String type() {
        return "daxfs";
    }

    @Override
    public boolean isReadOnly() {
        return fs.isReadOnly();
    }

    @Override
    public long getTotalSpace() throws IOException {
        FsStat s = statfs();
        return s.totalBlocks() * s.blockSize();
    }

    @Override
    public long getUsableSpace() throws IOException {
        FsStat s = statfs();
        return s.availableBlocks() * s.blockSize();
    }

    @Override
    public long getUnallocatedSpace() throws IOException {
        FsStat s = statfs();
        return s.freeBlocks() * s.blockSize();
    }

    @Override
    public long getBlockSize() {
        return 4096;
    }

    @Override
    public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
        return type == BasicFileAttributeView.class || type == PosixFileAttributeView.class
                || type == FileOwnerAttributeView.class || type == UserDefinedFileAttributeView.class
                || type == DaxFileAttributeView.class;
    }

    @Override
    public boolean supportsFileAttributeView(String name) {
        return VIEWS.contains(name);
    }

    @Override
    public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
        return null;
    }

    @Override
    public Object getAttribute(String attribute) throws IOException {
        return switch (attribute) {
            case "totalSpace" -> getTotalSpace();
            case "usableSpace" -> getUsableSpace();
            case "unallocatedSpace" -> getUnallocatedSpace();
            default -> throw new UnsupportedOperationException("file store attribute '" + attribute + "' is not supported");
        };
    }

    @Override
    public String toString() {
        return name() + " (daxfs)";
    }
}
