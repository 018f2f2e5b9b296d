package io.daxfs.dax;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.Errno;
import io.daxfs.device.Device;
import io.daxfs.fs.DaxBlocks;
import io.daxfs.fs.Inode;
import io.daxfs.fs.DaxCallbacks;
import io.daxfs.fs.OpenFile;
import io.daxfs.fs.Volume;
import io.daxfs.mm.PageTable;
import io.daxfs.mm.PageRefs;
import io.daxfs.mm.ZeroPage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The DAX layer of one mounted file system: per-file mapping state, the entry locks and their
 * wait table, the page descriptors of the device, the zero page, and the fault, writeback and
 * layout-break paths. It registers itself with the volume as the file system's
 * {@link DaxCallbacks}, so truncate and its kin break layouts, write() invalidates zero-page
 * entries and fsync writes back mapped data, without {@code fs} depending on this package.
 *
 * <p>No lock here is global: per-file state is found in a concurrent map, and every path takes
 * only the locks of the file it works on (docs/LOCKING.md gives each path's sequence).
 */
public final class DaxLayer implements DaxCallbacks {
    final Volume volume;
    final Device device;
    final MemorySegment deviceSegment;
    final DaxBlocks blocks;
    final EntryLocks locks;
    final PageRefs refs;
    final ZeroPage zero = new ZeroPage();
    final DaxCounters counters = new DaxCounters();
    final DaxHooks hooks;
    private final ConcurrentHashMap<Inode, AddressSpace> files = new ConcurrentHashMap<>();
    private final Set<Vma> live = ConcurrentHashMap.newKeySet();
    private volatile boolean unmounting;
    private final Set<long[]> pins = ConcurrentHashMap.newKeySet();
    private final Set<StitchedMapping> stitched = ConcurrentHashMap.newKeySet();
    private final Faults faults;
    private final LayoutBreak layoutBreak;
    private final Writeback writeback;

    private DaxLayer(Volume volume, DaxHooks hooks) {
        this.volume = volume;
        this.device = volume.device();
        this.deviceSegment = device.segment();
        this.blocks = volume.daxBlocks();
        this.hooks = hooks;
        this.locks = new EntryLocks(new WaitTable(), hooks);
        this.refs = new PageRefs(deviceSegment.byteSize() >>> 12);
        this.faults = new Faults(this);
        this.layoutBreak = new LayoutBreak(this);
        this.writeback = new Writeback(this);
    }

    /** Creates the DAX layer of {@code volume} and attaches it. */
    public static DaxLayer attach(Volume volume) {
        return attach(volume, DaxHooks.NONE);
    }

    /** As {@link #attach(Volume)}, with test hooks in the entry-lock paths. */
    public static DaxLayer attach(Volume volume, DaxHooks hooks) {
        DaxLayer d = new DaxLayer(volume, hooks);
        volume.attachDax(d);
        volume.blockAllocator().reuseOnlyWhenIdle(d.refs::firstNotIdle);
        return d;
    }

    // ---------------------------------------------------------------- mapping

    /**
     * Maps file bytes {@code [pos, pos + len)} of {@code file}. The mapping holds its own handle
     * on the file (it outlives a close of {@code file}) until it is closed.
     */
    public Vma map(OpenFile file, long pos, long len, boolean shared, boolean writable, boolean sync, boolean huge)
            throws DaxException {
        if (pos < 0 || (pos & 4095) != 0) {
            throw new DaxException(Errno.EINVAL, "map offset " + pos + " is not a multiple of 4096");
        }
        if (len <= 0 || pos + len < 0 || pos + len > (1L << 44)) {
            throw new DaxException(Errno.EINVAL, "bad map length " + len + " at offset " + pos);
        }
        if (!file.inode().type().equals(io.daxfs.types.FileType.REGULAR)) {
            throw new DaxException(Errno.EACCES, "only regular files can be mapped");
        }
        if (!file.isReadable()) {
            throw new DaxException(Errno.EACCES, "map: file is not open for reading");
        }
        if (writable && shared) {
            if (!file.isWritable()) {
                throw new DaxException(Errno.EACCES, "map: a shared writable mapping needs a file open for writing");
            }
            blocks.checkWritable();
        }
        OpenFile handle = volume.reopen(file);
        AddressSpace space = files.computeIfAbsent(file.inode(), AddressSpace::new);
        PageTable m = new PageTable(pos, len, shared, writable, deviceSegment, refs, zero, counters.revocationAdder(),
                file.inode().ino());
        Vma vma = new Vma(this, space, m, handle, huge, sync);
        space.rmap.add(m);
        live.add(vma);
        if (unmounting) {
            // Unmount may have listed the live mappings before this one joined: a mapping
            // left open would reach the device after it is unmapped (a crash, not an error).
            vma.closeQuietly();
            throw new DaxException(Errno.EBADF, "map: the file system is being unmounted");
        }
        return vma;
    }

    /**
     * Maps file bytes {@code [pos, pos + len)} of {@code file} into one contiguous range of
     * address space through the host kernel, as a segment of {@code arena}; see
     * {@link StitchedMapping}. Pages wholly past end of file fail with SIGBUS.
     */
    public MemorySegment mapSegment(OpenFile file, long pos, long len, DaxMapMode mode, Arena arena)
            throws DaxException {
        if (pos < 0 || len <= 0 || pos + len < 0) {
            throw new DaxException(Errno.EINVAL, "bad map range " + pos + "+" + len);
        }
        return StitchedMapping.create(this, file, pos, len, mode, arena);
    }

    /**
     * Makes the metadata reaching {@code file}'s blocks durable (a READ_WRITE_SYNC segment's
     * blocks, before it is handed out).
     */
    public void commitBlocksOf(OpenFile file) throws DaxException {
        blocks.commitBlocksOf(file.inode());
    }

    void stitched(StitchedMapping m) throws DaxException {
        m.space().stitched.add(m);
        stitched.add(m);
        if (unmounting) {
            // As in map(): unmount may have listed the segments before this one joined.
            m.detach();
            throw new DaxException(Errno.EBADF, "map: the file system is being unmounted");
        }
    }

    void unstitched(StitchedMapping m) {
        stitched.remove(m);
    }

    void fault(Vma vma, long pos, boolean write) throws DaxException {
        faults.fault(vma.space, vma.pageTable, vma.huge, vma.sync, pos, write);
    }

    void closed(Vma vma) {
        vma.space.rmap.remove(vma.pageTable);
        live.remove(vma);
    }

    void pinned(long[] pin) {
        pins.add(pin);
    }

    void unpinned(long[] pin) {
        pins.remove(pin);
    }

    // ---------------------------------------------------------------- DaxCallbacks (called by fs)

    @Override
    public BusyWait breakLayout(Inode in, long firstPage, long endPage) {
        AddressSpace space = files.get(in);
        return space == null ? null : layoutBreak.run(space, firstPage, endPage);
    }

    @Override
    public void invalidateClean(Inode in, long firstPage, long endPage) {
        AddressSpace space = files.get(in);
        if (space == null) {
            return;
        }
        EntryIndex idx = space.index;
        for (long i = firstPage & -Entry.PMD_PAGES; ; ) {
            long at = idx.nextEntry(i, endPage);
            if (at < 0) {
                return;
            }
            long e = locks.waitUnlocked(idx, at, 0, false);
            if (!Entry.isZero(e)) {
                i = e == Entry.ABSENT ? at + 1 : Entry.baseIndex(at, e) + Entry.pages(e);
                continue;
            }
            long cookie = locks.lockIfUnchanged(idx, at, e, null);
            if (cookie == Entry.ABSENT) {
                continue; // changed while we looked: look again
            }
            long base = Entry.baseIndex(at, cookie);
            long pages = Entry.pages(cookie);
            try {
                space.rmap.revoke(base, base + pages, false);
            } finally {
                locks.delete(idx, at, cookie);
            }
            i = base + pages;
        }
    }

    @Override
    public void writeback(Inode in, long firstPage, long endPage) {
        AddressSpace space = files.get(in);
        if (space != null) {
            writeback.run(space, firstPage, endPage);
            for (StitchedMapping m : space.stitched) {
                m.persist(firstPage, endPage); // stores through these are not tracked: all of it
            }
        }
    }

    @Override
    public void writebackAll(long endPage) {
        for (AddressSpace space : files.values()) {
            writeback(space.inode, 0, endPage);
        }
    }

    @Override
    public void evicted(Inode in) {
        files.remove(in);
    }

    @Override
    public boolean hasState(Inode in) {
        return files.containsKey(in);
    }

    /**
     * Unmount: closes every mapping (revoking its windows) and detaches every segment (see
     * {@link StitchedMapping}), then waits, uninterruptibly, until every pin is released: the
     * blocks of a pinned page must stay valid until then.
     */
    @Override
    public void unmount() {
        // First the flag, then the list; map() adds first, then looks at the flag: one of the
        // two sees the other (both are volatile accesses), so no mapping outlives unmount.
        unmounting = true;
        for (Vma vma : List.copyOf(live)) {
            vma.closeQuietly();
        }
        for (StitchedMapping m : List.copyOf(stitched)) {
            m.detach();
        }
        for (long[] pin : List.copyOf(pins)) {
            for (int k = 0; k < pin.length; k++) {
                refs.awaitIdle(pin[k] >>> 1, (pin[k] & 1) != 0 ? PageRefs.ORDER_2M : PageRefs.ORDER_4K);
            }
        }
    }

    // ---------------------------------------------------------------- statistics and tests

    public DaxCounters counters() {
        return counters;
    }

    public EntryLocks entryLocks() {
        return locks;
    }

    public PageRefs pageRefs() {
        return refs;
    }

    /** The entry index of {@code in}, or null if it was never mapped (tests). */
    public EntryIndex indexOf(Inode in) {
        AddressSpace space = files.get(in);
        return space == null ? null : space.index;
    }
}
