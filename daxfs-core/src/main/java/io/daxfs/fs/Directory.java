package io.daxfs.fs;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileNames;
import io.daxfs.types.FileType;
import io.daxfs.journal.CommitBuilder;
import io.daxfs.journal.DirtySource;
import io.daxfs.journal.Journal;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirBlock;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;

import java.lang.foreign.MemorySegment;
import java.util.function.LongFunction;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The entries of one directory, loaded in full on first use: a hash index from name to entry
 * (O(1) lookup at any size) over heap copies of the directory's blocks, which are the source of
 * the images the journal writes.
 *
 * <p>Lookups are lock-free (concurrent map). Changes hold the directory inode's
 * {@code dirLock} and an open journal handle. Block images change only under both, so a commit
 * (which excludes handles) reads them unlocked.
 */
final class Directory implements DirtySource {
    /** Where an entry lives: its inode and type, and its record's block and offset (the cookie). */
    record Dentry(long ino, FileType type, int block, int offset) {
        long cookie() {
            return ((long) block << Geometry.BLOCK_SHIFT) + offset + 1;
        }
    }

    private final Inode inode;
    private final ConcurrentHashMap<String, Dentry> entries = new ConcurrentHashMap<>();
    private final List<MemorySegment> blocks = new ArrayList<>();
    /** Blocks with room for a record of any name length. */
    private final BitSet roomy = new BitSet();
    private final BitSet dirty = new BitSet();

    private Directory(Inode inode) {
        this.inode = inode;
    }

    static Directory empty(Inode inode) {
        return new Directory(inode);
    }

    /** Loads every block of {@code dir}; EUCLEAN when one is damaged or the block map has holes. */
    static Directory load(Inode dir, LongFunction<MemorySegment> reader) throws DaxException {
        Directory d = new Directory(dir);
        long n = dir.size >>> Geometry.BLOCK_SHIFT;
        if ((dir.size & (Geometry.BLOCK_SIZE - 1)) != 0 || n != dir.extents.blocks() || n > Integer.MAX_VALUE) {
            throw new DaxException(Errno.EUCLEAN, "directory " + dir.ino + ": size " + dir.size + " does not match its blocks");
        }
        for (int i = 0; i < n; i++) {
            Extent e = dir.extents.find(i);
            if (e == null) {
                throw new DaxException(Errno.EUCLEAN, "directory " + dir.ino + ": block " + i + " is a hole");
            }
            MemorySegment home = reader.apply(e.physicalOf(i));
            String what = "directory " + dir.ino + " block " + i;
            BlockHeader.verify(home, BlockHeader.DIRECTORY, what);
            if (BlockHeader.a(home) != dir.ino || BlockHeader.b(home) != i) {
                throw new DaxException(Errno.EUCLEAN, what + ": belongs to inode " + BlockHeader.a(home) + " block " + BlockHeader.b(home));
            }
            DirBlock.verifyRecords(home, what);
            MemorySegment img = CommitBuilder.newBlock();
            MemorySegment.copy(home, 0, img, 0, Geometry.BLOCK_SIZE);
            d.blocks.add(img);
            for (int off = DirBlock.FIRST; off < Geometry.BLOCK_SIZE; off += DirBlock.recLen(img, off)) {
                long ino = DirBlock.ino(img, off);
                if (ino != 0) {
                    String name = FileNames.fromBytes(DirBlock.name(img, off));
                    Dentry prev = d.entries.put(name, new Dentry(ino, DirBlock.typeOf(DirBlock.type(img, off)), i, off));
                    if (prev != null) {
                        throw new DaxException(Errno.EUCLEAN, "directory " + dir.ino + ": duplicate name '" + name + "'");
                    }
                }
            }
            d.roomy.set(i, DirBlock.maxFree(img) >= DirBlock.MAX_RECORD);
        }
        return d;
    }

    Dentry lookup(String name) {
        return entries.get(name);
    }

    int size() {
        return entries.size();
    }

    /** Heap held, roughly: the block copies and the index (a map node, a Dentry and a name per entry). */
    long estimatedBytes() {
        return 200 + (long) blocks.size() * (Geometry.BLOCK_SIZE + 64) + 160L * entries.size();
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Every entry, for fsck-like walks and tests. */
    Iterable<java.util.Map.Entry<String, Dentry>> all() {
        return entries.entrySet();
    }

    /**
     * Makes sure an entry named {@code name} fits, appending an empty directory block if none
     * has room. Caller holds {@code dirLock} and {@code handle}. Done before anything else in an
     * operation, so ENOSPC here leaves nothing half changed (an empty block is consistent).
     */
    void reserve(Journal.Handle handle, FileBlocks fileBlocks, String name) throws DaxException {
        if (blockWithRoom(DirBlock.recordSize(FileNames.toBytes(name).length)) >= 0) {
            return;
        }
        int index = blocks.size();
        fileBlocks.addDirectoryBlock(handle, inode, index);
        MemorySegment img = CommitBuilder.newBlock();
        DirBlock.init(img, inode.ino, index);
        blocks.add(img);
        touched(index);
        handle.markDirty(this);
    }

    /** A block with room for a record of {@code need} bytes, or -1. */
    private int blockWithRoom(int need) {
        int b = roomy.nextSetBit(0);
        if (b >= 0) {
            return b;
        }
        // No block fits every name; a short name may still fit the last one.
        int last = blocks.size() - 1;
        return last >= 0 && DirBlock.maxFree(blocks.get(last)) >= need ? last : -1;
    }

    /**
     * Adds an entry. Caller holds {@code dirLock} and {@code handle}, has checked that the name
     * is absent, and has called {@link #reserve}.
     */
    void add(Journal.Handle handle, FileBlocks fileBlocks, String name, long ino, FileType type) throws DaxException {
        byte[] nb = FileNames.toBytes(name);
        int target = blockWithRoom(DirBlock.recordSize(nb.length));
        if (target < 0) {
            reserve(handle, fileBlocks, name);
            target = blockWithRoom(DirBlock.recordSize(nb.length));
        }
        int off = DirBlock.insert(blocks.get(target), nb, ino, DirBlock.typeCode(type));
        if (off < 0) {
            throw new IllegalStateException("directory block " + target + " reported room but took no record");
        }
        entries.put(name, new Dentry(ino, type, target, off));
        touched(target);
        handle.markDirty(this);
    }

    /** Removes an entry (caller holds {@code dirLock} and a handle). Returns it, or null. */
    Dentry remove(Journal.Handle handle, String name) {
        Dentry d = entries.remove(name);
        if (d != null) {
            DirBlock.remove(blocks.get(d.block), d.offset);
            touched(d.block);
            handle.markDirty(this);
        }
        return d;
    }

    /** Points an existing entry at another inode, in place (rename over an existing name). */
    void retarget(Journal.Handle handle, String name, long ino, FileType type) {
        Dentry d = entries.get(name);
        DirBlock.retarget(blocks.get(d.block), d.offset, ino, DirBlock.typeCode(type));
        entries.put(name, new Dentry(ino, type, d.block, d.offset));
        touched(d.block);
        handle.markDirty(this);
    }

    /**
     * Up to {@code max} entries whose position is at or after {@code cookie} (0 = start), in
     * position order. Caller holds {@code dirLock} so blocks do not change underneath.
     */
    List<DirEntry> list(long cookie, int max) {
        List<DirEntry> out = new ArrayList<>();
        long pos = Math.max(0, cookie);
        if ((pos >>> Geometry.BLOCK_SHIFT) >= blocks.size()) {
            return out; // past the last block (also a cookie too large for an int block index)
        }
        int b = (int) (pos >>> Geometry.BLOCK_SHIFT);
        int start = (int) (pos & (Geometry.BLOCK_SIZE - 1));
        for (; b < blocks.size() && out.size() < max; b++, start = 0) {
            MemorySegment img = blocks.get(b);
            for (int off = DirBlock.FIRST; off < Geometry.BLOCK_SIZE && out.size() < max; off += DirBlock.recLen(img, off)) {
                long ino = DirBlock.ino(img, off);
                if (off < start || ino == 0) {
                    continue;
                }
                String name = FileNames.fromBytes(DirBlock.name(img, off));
                out.add(new DirEntry(name, ino, DirBlock.typeOf(DirBlock.type(img, off)),
                        ((long) b << Geometry.BLOCK_SHIFT) + off + 1));
            }
        }
        return out;
    }

    private void touched(int block) {
        dirty.set(block);
        roomy.set(block, DirBlock.maxFree(blocks.get(block)) >= DirBlock.MAX_RECORD);
    }

    @Override
    public void collect(CommitBuilder b) {
        if (inode.freed) {
            dirty.clear();
            return;
        }
        for (int i = dirty.nextSetBit(0); i >= 0; i = dirty.nextSetBit(i + 1)) {
            Extent e = inode.extents.find(i);
            MemorySegment img = b.fresh(e.physicalOf(i), true);
            MemorySegment.copy(blocks.get(i), 0, img, 0, Geometry.BLOCK_SIZE);
        }
        dirty.clear();
    }

    @Override
    public int estimatedBlocks() {
        return Math.max(1, dirty.cardinality());
    }
}
