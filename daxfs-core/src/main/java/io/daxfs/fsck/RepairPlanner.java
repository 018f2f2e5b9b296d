package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.media.Bitmap;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirBlock;
import io.daxfs.media.DirIndexNode;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Le;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a check of a replayed device into the new images of the blocks a repair changes (what
 * each change is, and why it is safe, is in {@link Fsck}'s class comment). It only computes:
 * {@link RepairWriter} writes the images. Images come in dependency order, directory blocks and
 * inode records before the bitmaps, so that if a repair is cut short the device is left with
 * leaks and stale bits, which the next repair fixes, never with a block or inode in use but free.
 */
final class RepairPlanner {
    private final CheckResult r;
    private final MetaView view;
    private final Geometry g;
    private final Findings f;
    private final List<String> repairs;
    private final Map<Long, MemorySegment> dirImages = new TreeMap<>();
    private final Map<Long, MemorySegment> inodeImages = new TreeMap<>();
    private final Map<Long, MemorySegment> fsinfoImage = new TreeMap<>();
    private final Map<Long, MemorySegment> inodeBitmapImages = new TreeMap<>();
    private final Map<Long, MemorySegment> blockBitmapImages = new TreeMap<>();
    private final Set<Long> freed = new HashSet<>();

    /** A changed inode record and what changed in it. */
    private record Change(InodeInfo info, InodeRecord record, List<String> what) {
    }

    RepairPlanner(CheckResult r, Findings f, List<String> repairs) {
        this.r = r;
        this.view = r.view();
        this.g = view.geometry();
        this.f = f;
        this.repairs = repairs;
    }

    /** The new block images, in the order they must reach the device. */
    List<Map.Entry<Long, MemorySegment>> plan() {
        fixEntries();
        fixInodes();
        fixInodeBitmap();
        fixBlockBitmap();
        List<Map.Entry<Long, MemorySegment>> out = new ArrayList<>();
        for (Map<Long, MemorySegment> m : List.of(dirImages, inodeImages, fsinfoImage, inodeBitmapImages, blockBitmapImages)) {
            out.addAll(m.entrySet());
        }
        return out;
    }

    /** Entries to free or nonexistent inodes go (with their index keys); entries with the wrong type get the target's. */
    private void fixEntries() {
        for (TreeWalk.EntryFix x : r.tree().fixes()) {
            MemorySegment img = dirImages.computeIfAbsent(x.block(), this::copyOf);
            String entry = "directory " + x.dir() + ": entry " + Findings.quote(x.name());
            if (x.typeCode() == 0) {
                DirBlock.remove(img, x.offset());
                if (x.indexLeaf() != 0) {
                    DirIndexNode.leafRemove(dirImages.computeIfAbsent(x.indexLeaf(), this::copyOf), x.key());
                }
                repairs.add(entry + " removed (" + x.why() + ")");
            } else {
                DirBlock.retarget(img, x.offset(), x.target(), x.typeCode());
                repairs.add(entry + " now says " + InodeInfo.typeName(DirBlock.typeOf(x.typeCode())) + " (" + x.why() + ")");
            }
        }
        dirImages.values().forEach(BlockHeader::seal);
    }

    private void fixInodes() {
        boolean namesExact = r.tree().complete();
        for (InodeInfo in : r.inodes().all()) {
            if (!in.isDamaged() && !in.isDir() && in.nlink == 0 && in.names == 0 && in.mapIntact
                    && (in.onOrphanList || namesExact)) {
                freed.add(in.ino);
            }
        }
        List<Change> changes = new ArrayList<>();
        List<Change> orphans = new ArrayList<>();
        for (InodeInfo in : r.inodes().all()) {
            if (in.isDamaged()) {
                continue;
            }
            if (freed.contains(in.ino)) {
                writeRecord(in.ino, new InodeRecord());
                repairs.add("freed " + (in.onOrphanList ? "orphan " : "unlinked ") + in.describe() + " and its "
                        + Findings.count(in.ownedBlocks, "block"));
                continue;
            }
            InodeRecord rec = record(in.ino);
            if (rec == null) {
                continue;
            }
            Change c = new Change(in, rec, new ArrayList<>());
            fixCounts(c, namesExact);
            fixFields(c);
            boolean wasOrphan = in.onOrphanList || (rec.flags & InodeRecord.FLAG_ORPHAN) != 0;
            if (!in.isDir() && rec.nlink == 0 && wasOrphan) {
                orphans.add(c);
            } else if ((rec.flags & InodeRecord.FLAG_ORPHAN) != 0 || rec.orphanNext != 0 || rec.orphanPrev != 0) {
                rec.flags &= ~InodeRecord.FLAG_ORPHAN;
                rec.orphanNext = 0;
                rec.orphanPrev = 0;
                c.what.add("taken off the orphan list");
            }
            changes.add(c);
        }
        relinkOrphans(orphans);
        for (Change c : changes) {
            if (!c.what.isEmpty()) {
                writeRecord(c.info.ino, c.record);
                repairs.add(c.info.describe() + ": " + String.join(", ", c.what));
            }
        }
        for (long ino : r.strayRecords()) {
            writeRecord(ino, new InodeRecord());
            repairs.add("inode " + ino + ": zeroed a free record that held stray bytes");
        }
    }

    /** Link counts from the tree, parent fields from the naming directory, blocks from the map. */
    private void fixCounts(Change c, boolean namesExact) {
        InodeInfo in = c.info;
        InodeRecord rec = c.record;
        if (in.isDir()) {
            boolean reached = in.ino == 1 || in.namedBy != 0;
            long expected = 2L + in.subdirs;
            if (reached && in.contentsChecked && !in.multiplyNamed && rec.nlink != expected) {
                c.what.add("nlink " + rec.nlink + " -> " + expected);
                rec.nlink = (int) expected;
            }
            long parent = in.ino == 1 ? 1 : in.multiplyNamed ? 0 : in.namedBy;
            if (parent != 0 && rec.parent != parent) {
                c.what.add("parent " + rec.parent + " -> " + parent);
                rec.parent = parent;
            }
        } else if (namesExact && in.names > 0 && rec.nlink != in.names) {
            c.what.add("nlink " + rec.nlink + " -> " + in.names);
            rec.nlink = in.names;
        }
        if (in.mapIntact && rec.blocks != in.ownedBlocks) {
            c.what.add("blocks " + rec.blocks + " -> " + in.ownedBlocks);
            rec.blocks = in.ownedBlocks;
        }
    }

    /** Bytes no reader looks at, which the format says are zero: unknown flags, inline slack. */
    private void fixFields(Change c) {
        InodeRecord rec = c.record;
        int unknown = rec.flags & ~InodePass.KNOWN_FLAGS;
        if (unknown != 0) {
            rec.flags &= ~unknown;
            c.what.add("unknown flag bits 0x" + Integer.toHexString(unknown) + " cleared");
        }
        if ((rec.flags & InodeRecord.FLAG_INLINE_TARGET) != 0) {
            MemorySegment inline = MemorySegment.ofArray(rec.inline);
            if (!InodePass.allZero(inline, rec.size, InodeRecord.INLINE_BYTES - rec.size)) {
                inline.asSlice(rec.size).fill((byte) 0);
                c.what.add("inline area past the target zeroed");
            }
        }
    }

    /** Rebuilds the orphan list from the orphans kept, in inode order, and the fs info block. */
    private void relinkOrphans(List<Change> orphans) {
        for (int i = 0; i < orphans.size(); i++) {
            InodeRecord rec = orphans.get(i).record;
            long next = i + 1 < orphans.size() ? orphans.get(i + 1).info.ino : 0;
            long prev = i > 0 ? orphans.get(i - 1).info.ino : 0;
            if ((rec.flags & InodeRecord.FLAG_ORPHAN) == 0 || rec.orphanNext != next || rec.orphanPrev != prev) {
                rec.flags |= InodeRecord.FLAG_ORPHAN;
                rec.orphanNext = next;
                rec.orphanPrev = prev;
                orphans.get(i).what.add("orphan list links set to next " + next + ", previous " + prev);
            }
        }
        long head = orphans.isEmpty() ? 0 : orphans.getFirst().info.ino;
        MemorySegment img = Arena.ofAuto().allocate(Geometry.BLOCK_SIZE, 8);
        BlockHeader.init(img, BlockHeader.FSINFO, head, 0, 0);
        BlockHeader.seal(img);
        if (img.mismatch(view.block(Geometry.FSINFO_BLOCK)) != -1) {
            fsinfoImage.put(Geometry.FSINFO_BLOCK, img);
            repairs.add("fs info block rewritten: orphan list head " + (r.orphans().fsinfoValid() ? r.orphans().head() + " -> " : "") + head);
        }
    }

    private void fixInodeBitmap() {
        LongBits used = new LongBits(g.inodeCount());
        used.set(0);
        for (InodeInfo in : r.inodes().all()) {
            if (!freed.contains(in.ino)) {
                used.set(in.ino);
            }
        }
        rewriteBitmap(r.inodeBitmap(), used, false, inodeBitmapImages);
    }

    /**
     * The block bitmap becomes metadata area plus every claimed block. Freeing unclaimed blocks
     * is only safe when every owner is known; otherwise bits are only added, never cleared.
     */
    private void fixBlockBitmap() {
        String unknownOwners = unknownOwners();
        LongBits used = r.ownership().referenced().copy();
        if (unknownOwners == null) {
            for (long ino : freed) {
                InodeRecord rec = record(ino);
                if (rec != null) {
                    FoundBlockMap map = BlockMapReader.read(view, ino, rec, p -> { });
                    for (Extent e : map.extents()) {
                        used.clearRange(e.physical(), e.physicalEnd());
                    }
                    for (long c : map.chain()) {
                        used.clearRange(c, c + 1);
                    }
                    for (long c : map.xattrChain()) {
                        used.clearRange(c, c + 1);
                    }
                }
            }
        } else if (r.leaked() > 0) {
            f.problem("not repaired: " + Findings.count(r.leaked(), "leaked block") + " kept allocated, because " + unknownOwners);
        }
        used.setRange(0, g.dataStart(), null);
        rewriteBitmap(r.blockBitmap(), used, unknownOwners != null, blockBitmapImages);
    }

    /** Why some block's owner is unknown, or null when every block's owner is known. */
    private String unknownOwners() {
        for (InodeInfo in : r.inodes().all()) {
            if (in.isDamaged()) {
                return "inode " + in.ino + " is damaged and may own some of them";
            }
            if (!in.mapIntact) {
                return "the block map of inode " + in.ino + " is damaged";
            }
        }
        return r.conflicts().isEmpty() ? null : "some blocks are claimed more than once";
    }

    /** New images of the bitmap blocks whose bits differ from {@code used} (padding set). */
    private void rewriteBitmap(BitmapArea area, LongBits used, boolean keepSetBits, Map<Long, MemorySegment> out) {
        for (int i = 0; i < area.blockCount(); i++) {
            MemorySegment img = Arena.ofAuto().allocate(Geometry.BLOCK_SIZE, 8);
            BlockHeader.init(img, area.magic(), i, 0, 0);
            long set = 0;
            long cleared = 0;
            for (int k = 0; k < BitmapArea.WORDS_PER_BLOCK; k++) {
                long base = (long) i * Bitmap.BITS_PER_BLOCK + 64L * k;
                long pad = area.paddingMask(base);
                long want = pad | (base < area.items() ? used.word((int) (base >>> 6)) & ~pad : 0);
                if (area.isValid(i)) {
                    long disk = area.word(i, k);
                    if (keepSetBits) {
                        want |= disk;
                    }
                    set += Long.bitCount(want & ~disk);
                    cleared += Long.bitCount(disk & ~want);
                }
                Le.putLong(img, BlockHeader.SIZE + 8L * k, want);
            }
            BlockHeader.seal(img);
            long home = area.firstBlock() + i;
            if (!area.isValid(i)) {
                out.put(home, img);
                repairs.add(area.name() + " block " + i + " rebuilt from the inodes");
            } else if (set + cleared > 0) {
                out.put(home, img);
                repairs.add(area.name() + " block " + i + ": " + Findings.count(set, "bit") + " set, " + Findings.count(cleared, "bit")
                        + " cleared");
            }
        }
    }

    private InodeRecord record(long ino) {
        MemorySegment blk = view.block(g.inodeBlock(ino));
        try {
            return InodeRecord.decode(blk, (ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE, ino);
        } catch (DaxException e) {
            return null; // it decoded in the check; the view has not changed since
        }
    }

    private void writeRecord(long ino, InodeRecord rec) {
        MemorySegment img = inodeImages.computeIfAbsent(g.inodeBlock(ino), this::copyOf);
        rec.encode(img, (ino % InodeRecord.PER_BLOCK) * InodeRecord.SIZE);
    }

    private MemorySegment copyOf(long block) {
        MemorySegment img = Arena.ofAuto().allocate(Geometry.BLOCK_SIZE, 8);
        MemorySegment.copy(view.block(block), 0, img, 0, Geometry.BLOCK_SIZE);
        return img;
    }
}
