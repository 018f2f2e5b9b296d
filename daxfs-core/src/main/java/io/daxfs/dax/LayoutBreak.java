package io.daxfs.dax;

import io.daxfs.device.Device;
import io.daxfs.fs.DaxCallbacks;
import io.daxfs.mm.PageRefs;

/**
 * Breaking the layout of a file range before its blocks are freed or moved:
 * unmap, busy scan, delete. Runs with the file's I/O and invalidate locks held exclusive, so no
 * fault and no write() runs; writeback may still hold entry locks, which is why the scan waits.
 *
 * <ol>
 * <li>Unmap the range from every mapping <em>first</em> (private copies too): afterwards the
 *     only references left on its pages are pins.</li>
 * <li>Scan every entry of the range, waiting on a locked one and then examining that same entry
 *     (docs/RACES.md R8: a scan that skips locked entries misses pinned pages), for a busy page
 *     (refcount - mapcount &gt; 0; R9: unmapped but pinned is busy). If one is found,
 *     return it: the caller drops the invalidate lock, waits, and calls again from the start.</li>
 * <li>Nothing busy: lock and delete every entry (waking all waiters), flushing first any dirty
 *     entry that reaches outside the range, whose other pages keep their blocks.</li>
 * </ol>
 * No page can become busy between 2 and 3: a pin needs an installed window, windows need a
 * fault, and faults need the invalidate lock.
 */
final class LayoutBreak {
    private final EntryLocks locks;
    private final PageRefs refs;
    private final Device device;
    private final DaxCounters counters;
    private final DaxHooks hooks;

    LayoutBreak(DaxLayer dax) {
        this.locks = dax.locks;
        this.refs = dax.refs;
        this.device = dax.device;
        this.counters = dax.counters;
        this.hooks = dax.hooks;
    }

    DaxCallbacks.BusyWait run(AddressSpace space, long first, long end) {
        space.rmap.revoke(first, end, true);
        EntryIndex idx = space.index;
        long scanFrom = first & -Entry.PMD_PAGES; // a PMD entry may start before the range
        for (long i = scanFrom; ; ) {
            long at = idx.nextEntry(i, end);
            if (at < 0) {
                break;
            }
            long e = locks.waitUnlocked(idx, at, 0, false);
            if (e == Entry.ABSENT) {
                i = at + 1; // gone while we waited: look at what follows
                continue;
            }
            long base = Entry.baseIndex(at, e);
            if (base + Entry.pages(e) <= first) {
                i = base + Entry.pages(e);
                continue;
            }
            if (Entry.isReal(e) && refs.isBusy(Entry.pfn(e), Entry.order(e))) {
                counters.layoutBreakWaits.increment();
                hooks.layoutBusy(idx, base);
                long pfn = Entry.pfn(e);
                int order = Entry.order(e);
                return () -> refs.awaitNotBusy(pfn, order);
            }
            i = base + Entry.pages(e);
        }
        deleteEntries(space, first, end, scanFrom);
        return null;
    }

    private void deleteEntries(AddressSpace space, long first, long end, long scanFrom) {
        EntryIndex idx = space.index;
        for (long i = scanFrom; ; ) {
            long at = idx.nextEntry(i, end);
            if (at < 0) {
                return;
            }
            long e = locks.waitUnlocked(idx, at, 0, false);
            long cookie = locks.lockIfUnchanged(idx, at, e, null);
            if (cookie == Entry.ABSENT) {
                if (e == Entry.ABSENT) {
                    i = at + 1;
                }
                continue; // changed under us (writeback locked it again): look at the same index again
            }
            long base = Entry.baseIndex(at, cookie);
            long pages = Entry.pages(cookie);
            if (base + pages <= first) {
                locks.unlock(idx, at, cookie);
                i = base + pages;
                continue;
            }
            if (Entry.isReal(cookie) && (base < first || base + pages > end)
                    && (idx.getMark(base, EntryIndex.Mark.DIRTY) || idx.getMark(base, EntryIndex.Mark.TOWRITE))) {
                // The entry and its marks go, but its pages outside the range keep their data.
                device.persist(Entry.pfn(cookie) << 12, pages << 12);
            }
            locks.delete(idx, at, cookie);
            i = base + pages;
        }
    }
}
