package io.daxfs.device;

import io.daxfs.api.DaxException;
import io.daxfs.api.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An image file mapped whole with {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}.
 *
 * <p>On a host file system mounted with DAX the mapping is made with
 * {@code ExtendedMapMode.READ_WRITE_SYNC} (MAP_SYNC): the page tables then point at persistent
 * memory and {@link #persist} is a cache-line write-back ({@code MemorySegment.force} uses
 * CLWB/CLFLUSHOPT on such a mapping). Elsewhere the mapping is an ordinary shared file mapping
 * and {@link #persist} is an {@code msync} of the page-aligned range.
 */
public final class ImageFileDevice implements Device {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final boolean readOnly;
    private final boolean sync;

    private ImageFileDevice(Path path, Arena arena, MemorySegment segment, boolean readOnly, boolean sync) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.readOnly = readOnly;
        this.sync = sync;
    }

    /**
     * Creates (or replaces) a sparse image of {@code size} bytes and maps it read-write.
     * Existing contents are discarded.
     */
    public static ImageFileDevice create(Path path, long size) throws DaxException {
        if (size <= 0 || (size & 4095) != 0) {
            throw new DaxException(Errno.EINVAL, "image size must be a positive multiple of 4096: " + size);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING)) {
            // Growing by truncate-up leaves a sparse file: zero blocks cost no space until written.
            ch.truncate(0);
            if (size > 0) {
                ch.write(java.nio.ByteBuffer.allocate(1), size - 1);
            }
        } catch (IOException e) {
            throw Devices.ioError(path, e);
        }
        return open(path, false);
    }

    /** Maps an existing image file. Its length must be a positive multiple of 4096. */
    public static ImageFileDevice open(Path path, boolean readOnly) throws DaxException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = readOnly
                ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size < 4096 || (size & 4095) != 0) {
                throw new DaxException(Errno.EMEDIUMTYPE,
                        path + ": image size " + size + " is not a positive multiple of 4096 (truncated image?)");
            }
            if (readOnly) {
                return new ImageFileDevice(path, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), true, false);
            }
            MemorySegment seg = Devices.tryMapSync(ch, size, arena);
            if (seg != null) {
                return new ImageFileDevice(path, arena, seg, false, true);
            }
            return new ImageFileDevice(path, arena, ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena), false, false);
        } catch (DaxException e) {
            arena.close();
            throw e;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new DaxException(Errno.ENOENT, path + ": no such image file");
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw Devices.ioError(path, e);
        }
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public long size() {
        return segment.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void persist(long offset, long length) {
        Devices.checkRange(this, offset, length);
        if (readOnly || length == 0) {
            return;
        }
        // force() on a slice: msync of the enclosing pages, or cache-line write-back under MAP_SYNC.
        segment.asSlice(offset, length).force();
    }

    @Override
    public void fence() {
        // persist() is synchronous (msync returns after write-back; force() on a MAP_SYNC
        // mapping ends with a store fence), so there is nothing left to order.
    }

    @Override
    public boolean isSynchronous() {
        return sync;
    }

    @Override
    public String describe() {
        return "image file " + path + (sync ? " (MAP_SYNC)" : "") + (readOnly ? " (read-only)" : "");
    }

    @Override
    public void close() {
        arena.close();
    }
}
