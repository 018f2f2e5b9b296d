package io.daxfs.dax;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import io.daxfs.fs.OpenFile;
import io.daxfs.mm.PageTable;
import io.daxfs.mm.PageRefs;


/**
 * One mapping as the DAX layer sees it, what Linux calls a VMA (virtual memory area): its page
 * table ({@link PageTable}), the file's {@link AddressSpace}, the file handle the mapping keeps
 * open, and how it faults (huge pages allowed, synchronous). The public accessors live in
 * {@code io.daxfs.api.DaxMapping}, which reads windows through {@link #pageTable} directly and
 * comes here only to fault, pin, sync or close.
 */
public final class Vma {
    final DaxLayer dax;
    final AddressSpace space;
    final PageTable pageTable;
    final boolean huge;
    final boolean sync;
    private final OpenFile handle;
    private volatile boolean closed;

    Vma(DaxLayer dax, AddressSpace space, PageTable pageTable, OpenFile handle, boolean huge, boolean sync) {
        this.dax = dax;
        this.space = space;
        this.pageTable = pageTable;
        this.handle = handle;
        this.huge = huge;
        this.sync = sync;
    }

    /** The page table, for lock-free lookups. */
    public PageTable pageTable() {
        return pageTable;
    }

    /**
     * Faults file byte {@code pos} in for reading or writing: installs its page-table entry.
     * SIGBUS past end of file; EACCES for a write to a read-only mapping; ENOSPC or EROFS for
     * a write fault that needs a block and cannot get one.
     */
    public void fault(long pos, boolean write) throws DaxException {
        if (closed) {
            throw new DaxException(Errno.EBADF, "mapping is closed");
        }
        if (write && !pageTable.isWritable()) {
            throw new DaxException(Errno.EACCES, "write to a read-only pageTable");
        }
        try {
            dax.fault(this, pos, write);
        } catch (IllegalStateException e) {
            if (pageTable.isClosed()) {
                throw new DaxException(Errno.EBADF, "mapping is closed");
            }
            throw dax.blocks.failure("fault", e);
        } catch (DaxException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // A media error (zeroing new blocks, copying a page for a private mapping) or a bug.
            throw dax.blocks.failure("fault", e);
        }
    }

    /**
     * A load or store through one of this mapping's windows failed with {@code e}: a media error
     * (see {@code io.daxfs.device.MediaErrors}) turns the volume read-only and is returned as the
     * EIO to report; anything else is rethrown as it is.
     */
    public DaxException accessFailed(Throwable e) {
        return dax.blocks.deviceFailure("mapped access", e);
    }

    /**
     * Pins the device pages of file pages {@code [firstPage, endPage)} (faulting them in for
     * reading first); returns the pins, {@code pfn << 1 | huge}, for {@link #unpin}. Pages that
     * show the zero page or a private copy have no device page and are not pinned.
     */
    public long[] pin(long firstPage, long endPage) throws DaxException {
        long[] got = new long[(int) (endPage - firstPage)];
        int n = 0;
        try {
            for (long p = firstPage; p < endPage; ) {
                long r = pageTable.pin(p);
                if (r == -1) {
                    fault(p << 12 < pageTable.start() ? pageTable.start() : p << 12, false);
                    continue;
                }
                if (r >= 0) {
                    got[n++] = r;
                }
                p++;
            }
        } catch (DaxException | RuntimeException e) {
            release(got, n);
            throw e;
        }
        long[] pins = java.util.Arrays.copyOf(got, n);
        dax.pinned(pins);
        return pins;
    }

    /** Releases pins taken by {@link #pin}. */
    public void unpin(long[] pins) {
        dax.unpinned(pins);
        release(pins, pins.length);
    }

    private void release(long[] pins, int n) {
        for (int k = 0; k < n; k++) {
            dax.refs.unpin(pins[k] >>> 1, (pins[k] & 1) != 0 ? PageRefs.ORDER_2M : PageRefs.ORDER_4K);
        }
    }

    /**
     * msync(MS_SYNC) of file pages {@code [firstPage, endPage)}: writes back what was stored
     * through mappings there, then commits only if blocks that faults added to the file are not
     * durable yet (the way to the bytes just flushed); a range whose blocks are already reachable
     * after a crash costs no commit.
     */
    public void msync(long firstPage, long endPage) throws DaxException {
        if (closed) {
            throw new DaxException(Errno.EBADF, "mapping is closed");
        }
        if (!pageTable.isShared() || !pageTable.isWritable()) {
            return; // nothing this mapping wrote can be in the file
        }
        try {
            dax.writeback(space.inode, firstPage, endPage);
            dax.blocks.commitBlocksOf(space.inode);
        } catch (RuntimeException | Error e) {
            throw dax.blocks.deviceFailure("msync", e); // a failed write-back is a media error
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Removes every page-table entry and releases the mapping's file handle. Idempotent. */
    public void close() throws DaxException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        pageTable.close();
        dax.closed(this);
        handle.close();
    }

    void closeQuietly() {
        try {
            close();
        } catch (DaxException e) {
            // unmount: the file handle is closed by the volume next anyway
        }
    }
}
