package io.daxfs.dax;

import io.daxfs.fs.Inode;
import io.daxfs.mm.ReverseMap;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The DAX state of one file, what Linux calls its address space: the {@link EntryIndex} of its
 * pages, the {@link ReverseMap} of the page tables of its live mappings, and its
 * {@link StitchedMapping}s. Created at the first
 * map of the file, dropped when the file is freed.
 */
final class AddressSpace {
    final Inode inode;
    final EntryIndex index;
    final ReverseMap rmap = new ReverseMap();
    /** The file's ranges mapped by the host kernel ({@code FileChannel.map}), for writeback. */
    final Set<StitchedMapping> stitched = ConcurrentHashMap.newKeySet();
    /** For a PMD downgrade: the zero page goes from every mapping of the range first. */
    final EntryLocks.Downgrader downgrader;

    AddressSpace(Inode inode) {
        this.inode = inode;
        this.index = new EntryIndex(inode.ino());
        this.downgrader = (first, pages) -> rmap.revoke(first, first + pages, false);
    }

    @Override
    public String toString() {
        return "mappings of " + inode;
    }
}
