package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.types.DaxReadSink;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;

import io.daxfs.dax.DaxLayer;
import io.daxfs.fs.OpenFile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * An open regular file. Reads and writes copy straight between the device and the caller's
 * memory, with no intermediate buffer. Positions are absolute (pread/pwrite style); there is no
 * file pointer. Thread-safe: reads of one file run in parallel; writes, truncate and the
 * fallocate family of one file are serialised by the file's I/O lock.
 *
 * <p>Closing the last handle of an unlinked file frees its space.
 */
public final class DaxFile implements AutoCloseable {
    private final OpenFile file;
    private final DaxLayer dax;

    DaxFile(OpenFile file, DaxLayer dax) {
        this.file = file;
        this.dax = dax;
    }

    /**
     * Maps file bytes {@code [pos, pos + len)} ({@code pos} a multiple of 4096) into memory; see
     * {@link DaxMapping}. The mapping may extend past end of file (accesses there fail with
     * SIGBUS until the file grows) and stays valid after this handle is closed. The file must
     * be open for reading, and for writing too for {@link DaxMapMode#READ_WRITE} and
     * {@link DaxMapMode#READ_WRITE_SYNC} (EACCES otherwise). 2 MiB pages are used where the
     * file's blocks allow, unless {@link DaxMapOption#NO_HUGE_PAGES}; with
     * {@link DaxMapOption#POPULATE} every page up to end of file is faulted in for reading
     * before this returns.
     */
    public DaxMapping map(long pos, long len, DaxMapMode mode, DaxMapOption... options) throws DaxException {
        Objects.requireNonNull(mode, "mode");
        Args.options(options);
        boolean huge = true;
        boolean populate = false;
        for (DaxMapOption o : options) {
            if (o == DaxMapOption.NO_HUGE_PAGES) {
                huge = false;
            } else if (o == DaxMapOption.POPULATE) {
                populate = true;
            }
        }
        if (file.isClosed()) {
            throw new DaxException(Errno.EBADF, "map: file is closed");
        }
        DaxMapping m = new DaxMapping(dax.map(file, pos, len, mode.shared(), mode.writable(),
                mode == DaxMapMode.READ_WRITE_SYNC, huge), mode);
        file.mapped();
        if (populate) {
            try {
                m.populate();
            } catch (DaxException | RuntimeException | Error e) {
                try {
                    m.close();
                } catch (DaxException | RuntimeException c) {
                    e.addSuppressed(c);
                }
                throw e;
            }
        }
        return m;
    }

    /**
     * Maps file bytes {@code [pos, pos + len)} as one {@link MemorySegment} of device memory,
     * whatever the file's extents: the host kernel maps each run of the file's blocks into one
     * reserved range of address space, so loads and stores are plain memory accesses (this is
     * what {@code FileChannel.map} hands out). {@code pos} may be any offset; the range must lie
     * within the file (pages wholly past its end fail with SIGBUS: grow the file first). The
     * segment is a mapped segment of {@code arena}, as the JDK's own are ({@code load},
     * {@code isLoaded}, {@code unload}, {@code force}): closing the arena unmaps the range, and
     * until then the mapping holds a handle of its own on the file.
     *
     * <ul>
     * <li>{@link DaxMapMode#READ_ONLY}: a read-only segment; holes read as zeros.</li>
     * <li>{@link DaxMapMode#READ_WRITE}: holes get zeroed blocks now; stores reach the file and
     *     are made durable by the file's fsync, which writes back the whole segment.</li>
     * <li>{@link DaxMapMode#READ_WRITE_SYNC}: as READ_WRITE, and the metadata reaching every
     *     block of the range is durable before this returns.</li>
     * <li>{@link DaxMapMode#PRIVATE}: copy-on-write; stores never reach the file.</li>
     * </ul>
     *
     * <p>Truncate and its kin never wait for, nor change, a segment: it stays on the blocks it
     * had, which keep their bytes and are not given to another file until the arena closes; it
     * no longer shows the file where the layout changed. A hole of a READ_ONLY or PRIVATE segment
     * reads as zeros for the segment's life, even if the file gets data there. At unmount a
     * segment still open is detached: it reads as zeros and reaches the image no more. See
     * {@link io.daxfs.dax.StitchedMapping}. EOPNOTSUPP on a device without a backing file (process
     * memory).
     */
    @SuppressWarnings("restricted") // the empty segment of the arena
    public MemorySegment mapSegment(long pos, long len, DaxMapMode mode, Arena arena) throws DaxException {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(arena, "arena");
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("map: the arena is closed");
        }
        if (file.isClosed()) {
            throw new DaxException(Errno.EBADF, "map: file is closed");
        }
        if (len == 0) {
            MemorySegment empty = MemorySegment.NULL.reinterpret(0, arena, null);
            return mode == DaxMapMode.READ_ONLY ? empty.asReadOnly() : empty;
        }
        MemorySegment s = dax.mapSegment(file, pos, len, mode, arena);
        if (mode == DaxMapMode.READ_WRITE_SYNC) {
            dax.commitBlocksOf(file); // the segment is the arena's now: a failure here leaves it to it
        }
        file.mapped();
        return s;
    }

    /** Reads up to {@code dst.byteSize()} bytes at {@code pos}; returns the count, -1 at or after EOF. */
    public long read(long pos, MemorySegment dst) throws DaxException {
        Objects.requireNonNull(dst, "dst");
        return file.read(pos, dst);
    }

    /**
     * Zero-copy read of up to {@code len} bytes at {@code pos}: calls {@code sink} once, with the
     * file's I/O lock held shared, with the bytes as pieces in file order (device memory slices
     * for data, null segments for holes; see {@link DaxReadSink}). The segments are valid only
     * during that call. Returns the byte count (the sum of the lengths), 0 for {@code len} 0
     * (the sink is not called), -1 at or after EOF (nor then).
     */
    public long readInPlace(long pos, long len, DaxReadSink sink) throws DaxException {
        Objects.requireNonNull(sink, "sink");
        return file.readInPlace(pos, len, sink);
    }

    /** Reads into the remaining bytes of {@code dst}, advancing its position; -1 at EOF. */
    public int read(long pos, ByteBuffer dst) throws DaxException {
        Objects.requireNonNull(dst, "dst");
        int n = (int) file.read(pos, MemorySegment.ofBuffer(dst));
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    public int read(long pos, byte[] b, int off, int len) throws DaxException {
        Objects.requireNonNull(b, "b");
        return (int) file.read(pos, MemorySegment.ofArray(b).asSlice(off, len));
    }

    /** Writes all of {@code src} at {@code pos} (at EOF when opened with APPEND); returns its size. */
    public long write(long pos, MemorySegment src) throws DaxException {
        Objects.requireNonNull(src, "src");
        return file.write(pos, src);
    }

    /** Writes the remaining bytes of {@code src}, advancing its position. */
    public int write(long pos, ByteBuffer src) throws DaxException {
        Objects.requireNonNull(src, "src");
        int n = (int) file.write(pos, MemorySegment.ofBuffer(src));
        src.position(src.position() + n);
        return n;
    }

    public int write(long pos, byte[] b, int off, int len) throws DaxException {
        Objects.requireNonNull(b, "b");
        return (int) file.write(pos, MemorySegment.ofArray(b).asSlice(off, len));
    }

    public long size() throws DaxException {
        return file.size();
    }

    /** Shrinks (freeing whole blocks past the end, zeroing the tail of the last) or grows (sparse). */
    public void truncate(long size) throws DaxException {
        file.truncate(size);
    }

    /** fallocate(0) / fallocate(FALLOC_FL_KEEP_SIZE): allocates zeroed blocks for every hole in the range. */
    public void allocate(long pos, long len, boolean keepSize) throws DaxException {
        file.allocate(pos, len, keepSize);
    }

    /** FALLOC_FL_PUNCH_HOLE | KEEP_SIZE: the range reads as zeros; whole blocks inside it are freed. */
    public void punchHole(long pos, long len) throws DaxException {
        file.punchHole(pos, len);
    }

    /** FALLOC_FL_ZERO_RANGE: the range reads as zeros and stays (becomes) allocated; may extend the size. */
    public void zeroRange(long pos, long len) throws DaxException {
        file.zeroRange(pos, len, false);
    }

    /** FALLOC_FL_ZERO_RANGE with FALLOC_FL_KEEP_SIZE when {@code keepSize}. */
    public void zeroRange(long pos, long len, boolean keepSize) throws DaxException {
        file.zeroRange(pos, len, keepSize);
    }

    /**
     * FALLOC_FL_COLLAPSE_RANGE: removes the block-aligned range and shifts what follows down.
     * EINVAL when misaligned or when the range reaches end of file.
     */
    public void collapseRange(long pos, long len) throws DaxException {
        file.collapseRange(pos, len);
    }

    /**
     * FALLOC_FL_INSERT_RANGE: inserts a block-aligned hole at {@code pos}, shifting what follows up.
     * EINVAL when misaligned or when {@code pos} is at or past end of file.
     */
    public void insertRange(long pos, long len) throws DaxException {
        file.insertRange(pos, len);
    }

    /**
     * How the file lies on the device (FIEMAP's summary): its extents, the bytes it holds, and
     * the bytes in 2 MiB-aligned pieces that a mapping can take with 2 MiB pages.
     */
    public io.daxfs.types.FileExtents extents() throws DaxException {
        return file.extents();
    }

    /** lseek(SEEK_DATA): the first position >= pos that is in allocated data; ENXIO past EOF. */
    public long seekData(long pos) throws DaxException {
        return file.seekData(pos);
    }

    /** lseek(SEEK_HOLE): the first position >= pos in a hole (EOF counts as one); ENXIO past EOF. */
    public long seekHole(long pos) throws DaxException {
        return file.seekHole(pos);
    }

    /** Makes the file's data and metadata durable. */
    public void fsync() throws DaxException {
        file.fsync(false);
    }

    /** Makes the file's data durable, and the metadata needed to read it back. */
    public void fdatasync() throws DaxException {
        file.fsync(true);
    }

    public FileStat stat() throws DaxException {
        return file.stat();
    }

    /** The open file behind this handle. Internal (tests reach it through their bridge). */
    OpenFile openFile() {
        return file;
    }

    @Override
    public void close() throws DaxException {
        file.close();
    }
}
