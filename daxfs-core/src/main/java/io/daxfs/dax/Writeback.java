package io.daxfs.dax;

import io.daxfs.device.Device;

/**
 * Writeback of data stored through mappings, for fsync and msync.
 *
 * <p>Tag every DIRTY entry of the range TOWRITE (so entries dirtied after this point are left
 * for the next sync), then for each TOWRITE entry in index order: wait until it is unlocked;
 * lock it only if it is still the entry seen and still TOWRITE (another sync may have done it,
 * or it may have been replaced); clear TOWRITE; write-protect it in every mapping; flush its
 * device range; clear DIRTY; unlock. A store racing with the flush meets a closed epoch,
 * faults, waits for this entry lock and sets DIRTY again, so the next sync flushes it
 * (docs/RACES.md R15). DIRTY is cleared only after write-protect and flush, under the entry
 * lock (Rule 15).
 * The iteration never moves past an entry it waited on: it looks at the same index again.
 */
final class Writeback {
    private final EntryLocks locks;
    private final Device device;
    private final DaxCounters counters;
    private final DaxHooks hooks;

    Writeback(DaxLayer dax) {
        this.locks = dax.locks;
        this.device = dax.device;
        this.counters = dax.counters;
        this.hooks = dax.hooks;
    }

    void run(AddressSpace space, long first, long end) {
        EntryIndex idx = space.index;
        long from = first & -Entry.PMD_PAGES;
        if (idx.tagRange(from, end, EntryIndex.Mark.DIRTY, EntryIndex.Mark.TOWRITE) == 0) {
            return;
        }
        boolean flushed = false;
        for (long i = from; ; ) {
            long at = idx.nextMarked(i, end, EntryIndex.Mark.TOWRITE);
            if (at < 0) {
                break;
            }
            long e = locks.waitUnlocked(idx, at, 0, true);
            long cookie = locks.lockIfUnchanged(idx, at, e, EntryIndex.Mark.TOWRITE);
            if (cookie == Entry.ABSENT) {
                // Not locking it: hand on the wakeup we may have taken, then look again.
                locks.putUnlocked(idx, at, e);
                if (e == Entry.ABSENT || !idx.getMark(at, EntryIndex.Mark.TOWRITE)) {
                    i = at + 1;
                }
                continue;
            }
            long base = Entry.baseIndex(at, cookie);
            long pages = Entry.pages(cookie);
            try {
                locks.mark(idx, at, cookie, EntryIndex.Mark.TOWRITE, false);
                space.rmap.writeProtect(base, base + pages);
                hooks.writebackFlushing(idx, base);
                device.persist(Entry.pfn(cookie) << 12, pages << 12);
                locks.mark(idx, at, cookie, EntryIndex.Mark.DIRTY, false);
                counters.writebackFlushes.increment();
                flushed = true;
            } finally {
                locks.unlock(idx, at, cookie);
            }
            i = base + pages;
        }
        if (flushed) {
            device.fence();
        }
    }
}
