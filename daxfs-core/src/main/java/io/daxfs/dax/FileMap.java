package io.daxfs.dax;

import io.daxfs.fs.Inode;
import io.daxfs.mm.MappingSet;

/**
 * The DAX state of one file: its mapping index (entries and marks) and its live mappings.
 * Created at the first map of the file, dropped when the file is freed.
 */
final class FileMap {
    final Inode inode;
    final MappingIndex index;
    final MappingSet mappings = new MappingSet();
    /** For a PMD downgrade: the zero page goes from every mapping of the range first. */
    final EntryLocks.Downgrader downgrader;

    FileMap(Inode inode) {
        this.inode = inode;
        this.index = new MappingIndex(inode.ino());
        this.downgrader = (first, pages) -> mappings.revoke(first, first + pages, false);
    }

    @Override
    public String toString() {
        return "mappings of " + inode;
    }
}
