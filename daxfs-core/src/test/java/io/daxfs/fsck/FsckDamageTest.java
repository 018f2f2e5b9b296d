package io.daxfs.fsck;

import io.daxfs.api.Internals;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FileType;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirBlock;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Le;
import io.daxfs.media.Superblock;
import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each kind of damage, made alone on a clean image (with valid checksums unless the checksum is
 * the damage), is reported with its own message naming the inode or block.
 */
class FsckDamageTest {
    private TestImages.Image img;
    private ImageEditor ed;
    private long a;
    private long f1;
    private long f2;

    @BeforeEach
    void setUp() throws Exception {
        img = TestImages.small();
        ed = new ImageEditor(img.device().segment());
        a = img.ino("/a");
        f1 = img.ino("/a/f1");
        f2 = img.ino("/a/f2");
    }

    @Test
    void leakedBlock() throws Exception {
        long b = ed.freeDataBlock();
        ed.setBlockUsed(b, true);
        assertOnly("block " + b + ": marked in use in the block bitmap but no inode owns it (1 block leaked)");
    }

    @Test
    void blockInUseButMarkedFree() throws Exception {
        long b = ed.firstBlockOf(f1);
        ed.setBlockUsed(b, false);
        assertOnly("block " + b + " (data of inode " + f1 + "): in use, but marked free in the block bitmap");
    }

    @Test
    void metadataBlockMarkedFree() throws Exception {
        ed.setBlockUsed(5, false);
        assertOnly("block 5: metadata area, but marked free in the block bitmap");
    }

    @Test
    void damagedBitmapBlock() throws Exception {
        long b = ed.g.blockBitmapStart();
        ed.block(b).set(ValueLayout.JAVA_BYTE, 100, (byte) 0x5A);
        assertOnly("block bitmap block 0 (block " + b + "): checksum mismatch");
    }

    @Test
    void inodeChecksum() throws Exception {
        MemorySegment blk = ed.block(ed.g.inodeBlock(f1));
        long off = ImageEditor.recordOffset(f1) + 40;
        blk.set(ValueLayout.JAVA_BYTE, off, (byte) (blk.get(ValueLayout.JAVA_BYTE, off) ^ 1));
        FsckReport r = check();
        assertHas(r, "inode " + f1 + ": checksum mismatch");
        assertHas(r, "directory " + a + ": entry 'f1' points to damaged inode " + f1);
    }

    @Test
    void inodeMarkedFreeInTheBitmap() throws Exception {
        ed.setInodeUsed(f1, false);
        assertOnly("inode " + f1 + ": in use, but marked free in the inode bitmap");
    }

    @Test
    void wrongLinkCount() throws Exception {
        InodeRecord r = ed.inode(f1);
        r.nlink = 3;
        ed.putInode(f1, r);
        assertOnly("inode " + f1 + " (regular file): nlink is 3 but 1 directory entry names it");
    }

    @Test
    void wrongDirectoryLinkCount() throws Exception {
        InodeRecord r = ed.inode(a);
        r.nlink = 7;
        ed.putInode(a, r);
        assertOnly("directory " + a + ": nlink is 7, expected 3 (2 + 1 subdirectories)");
    }

    @Test
    void wrongBlocksCount() throws Exception {
        InodeRecord r = ed.inode(f1);
        r.blocks = 9;
        ed.putInode(f1, r);
        assertOnly("inode " + f1 + " (regular file): blocks field says 9 but it owns 1 (1 mapped, 0 extent blocks)");
    }

    /** The first of f2's two xattr blocks (TestImages.small gives it a 5000-byte value). */
    private long firstXattrBlock() throws Exception {
        InodeRecord r = ed.inode(f2);
        assertEquals(2, r.xattrBlockCount);
        return r.xattrHead;
    }

    @Test
    void xattrBlockChecksum() throws Exception {
        long b = firstXattrBlock();
        ed.block(b).set(ValueLayout.JAVA_BYTE, 200, (byte) 0x5A);
        FsckReport r = check();
        assertHas(r, "inode " + f2 + " xattr block #0 (block " + b + "): checksum mismatch");
    }

    @Test
    void xattrBlockOfAnotherInode() throws Exception {
        long b = firstXattrBlock();
        BlockHeader.setA(ed.block(b), f1);
        BlockHeader.seal(ed.block(b));
        FsckReport r = check();
        assertHas(r, "inode " + f2 + " xattr block #0 (block " + b + "): belongs to inode " + f1);
    }

    @Test
    void malformedXattrTable() throws Exception {
        long b = firstXattrBlock();
        ed.block(b).set(ValueLayout.JAVA_BYTE, BlockHeader.SIZE, (byte) 9); // namespace of the first entry
        BlockHeader.seal(ed.block(b));
        assertOnly("inode " + f2 + ": extended attributes: entry at 0 has namespace 9 or nonzero reserved bytes");
    }

    @Test
    void xattrChainLongerThanItsCount() throws Exception {
        InodeRecord r = ed.inode(f2);
        r.xattrBlockCount = 1;
        r.blocks -= 1;
        ed.putInode(f2, r);
        FsckReport rep = check();
        assertHas(rep, "inode " + f2 + ": xattr chain continues past its 1 blocks (to block " + BlockHeader.b(ed.block(r.xattrHead)) + ")");
    }

    @Test
    void accessAclThatDisagreesWithTheMode() throws Exception {
        InodeRecord r = ed.inode(a);
        assertEquals(0750, r.mode & 07777, "the ACL set the mode");
        r.mode = (r.mode & ~0777) | 0755;
        ed.putInode(a, r);
        assertOnly("inode " + a + " (directory): access ACL user::rwx,user:1000:r-x,group::r-x,mask::r-x,other::--- disagrees with mode 755");
    }

    @Test
    void crossLinkedBlock() throws Exception {
        long shared = ed.firstBlockOf(f1);
        long own = ed.firstBlockOf(f2);
        InodeRecord r = ed.inode(f2);
        r.setInlineExtents(List.of(new Extent(0, 1, shared)));
        ed.putInode(f2, r);
        FsckReport rep = check();
        assertHas(rep, "block " + shared + " claimed more than once, by: data of inode " + f1 + ", data of inode " + f2);
        assertHas(rep, "block " + own + ": marked in use in the block bitmap but no inode owns it (1 block leaked)");
        assertEquals(2, rep.problems().size(), rep.problems().toString());
    }

    @Test
    void entryPointingToAFreeInode() throws Exception {
        long b = ed.firstBlockOf(f2);
        long x = ed.inode(f2).xattrHead;
        ed.putInode(f2, new InodeRecord());
        ed.setInodeUsed(f2, false);
        ed.setBlockUsed(b, false);
        ed.setBlockUsed(x, false);
        ed.setBlockUsed(x + 1, false); // its two xattr blocks, allocated one after the other
        assertOnly("directory " + a + ": entry 'f2' points to free inode " + f2);
    }

    @Test
    void unreachableInode() throws Exception {
        ed.removeEntry(a, "f2");
        assertOnly("inode " + f2 + " (regular file) with nlink 1 is not reachable from the root directory");
    }

    @Test
    void directoryWithTwoNames() throws Exception {
        long b = img.ino("/a/b");
        MemorySegment root = ed.block(ed.firstBlockOf(1));
        DirBlock.insert(root, "b-again".getBytes(StandardCharsets.UTF_8), b, DirBlock.typeCode(FileType.DIRECTORY));
        BlockHeader.seal(root);
        FsckReport r = check();
        assertHas(r, "directory " + b + " has more than one name: entry 'b' in directory " + a
                + ", and one in directory 1 (a hard link or a cycle)");
        assertHas(r, "directory " + b + ": parent field says " + a + " but it is named in directory 1");
    }

    @Test
    void orphanListCycle() throws Exception {
        ed.removeEntry(a, "f1");
        ed.removeEntry(a, "f2");
        makeOrphan(f1, f2, f2);
        makeOrphan(f2, f1, f1);
        ed.setOrphanHead(f1);
        FsckReport r = check();
        assertHas(r, "orphan list: cycle: inode " + f2 + " links back to inode " + f1);
        assertHas(r, "orphan list: inode " + f1 + " links back to inode " + f2 + ", expected 0");
    }

    @Test
    void orphanWithLinks() throws Exception {
        makeOrphan(f1, 0, 0);
        InodeRecord r = ed.inode(f1);
        r.nlink = 1;
        ed.putInode(f1, r);
        ed.setOrphanHead(f1);
        FsckReport rep = check();
        assertHas(rep, "orphan inode " + f1 + " (regular file): nlink is 1 (an orphan has no links)");
        assertHas(rep, "orphan inode " + f1 + " (regular file) still has a name: entry 'f1' in directory " + a);
    }

    @Test
    void damagedSuperblockSlotIsReportedAndTheOtherUsed() throws Exception {
        long older = olderSuperblockSlot();
        // A changed UUID cannot come from an interrupted write of this file system's superblock.
        MemorySegment slot = ed.block(older);
        slot.set(ValueLayout.JAVA_BYTE, 20, (byte) (slot.get(ValueLayout.JAVA_BYTE, 20) ^ 0x10));
        assertOnly("superblock slot " + (older == 0 ? "A" : "B") + " (block " + older + "): checksum mismatch");
    }

    @Test
    void tornSuperblockWriteIsNoDamage() throws Exception {
        Superblock newest = Superblock.read(img.device().segment());
        long next = Superblock.slotFor(newest.generation() + 1);
        // The next superblock write reached the slot's first line and then power failed.
        MemorySegment slot = ed.block(next);
        Le.putLong(slot, 40, newest.generation() + 1);
        assertTrue(Fsck.check(img.device(), false, ProgressListener.NONE).clean());
    }

    private long olderSuperblockSlot() throws Exception {
        return Superblock.slotFor(Superblock.read(img.device().segment()).generation() + 1);
    }

    @Test
    void damagedDirectoryBlock() throws Exception {
        long b = ed.firstBlockOf(a);
        ed.block(b).set(ValueLayout.JAVA_BYTE, 2000, (byte) 0x77);
        FsckReport r = check();
        assertHas(r, "directory " + a + " block 0 (block " + b + "): checksum mismatch");
        assertHas(r, "inode " + f1 + " (regular file) with nlink 1 is not reachable from the root directory"
                + " (unless it is named in a damaged directory)");
    }

    @Test
    void directoryRecordChainRunningOffTheBlock() throws Exception {
        long b = ed.firstBlockOf(a);
        MemorySegment blk = ed.block(b);
        int last = DirBlock.FIRST;
        while (last + DirBlock.recLen(blk, last) < Geometry.BLOCK_SIZE) {
            last += DirBlock.recLen(blk, last);
        }
        // The last record ends 8 bytes early: the next "record" would have no room for a header.
        Le.putU16(blk, last + 8, Geometry.BLOCK_SIZE - last - 8);
        BlockHeader.seal(blk);
        FsckReport r = check();
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("directory " + a + " block 0 (block " + b + "): ")),
                r.problems().toString());
    }

    @Test
    void extentChainAndSymlinkBlockDamage() throws Exception {
        RetainedDevice dev = RetainedDevice.allocate(TestImages.SIZE);
        long big;
        long link;
        try (DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT)) {
            TestImages.workload(fs);
            big = fs.stat("/big").ino();
            link = fs.lstat("/a/long-link").ino();
        }
        ImageEditor e = new ImageEditor(dev.segment());
        long chain = e.inode(big).extentHead;
        e.block(chain).set(ValueLayout.JAVA_BYTE, 500, (byte) 0x33);
        long target = e.firstBlockOf(link);
        BlockHeader.setB(e.block(target), 7);
        BlockHeader.seal(e.block(target));
        FsckReport r = Fsck.check(dev, false, ProgressListener.NONE);
        assertHas(r, "inode " + big + " extent block #0 (block " + chain + "): checksum mismatch");
        assertHas(r, "symlink " + link + " target block " + target + ": header says inode " + link + ", length 7 (the inode says length "
                + TestImages.LONG_TARGET.length() + ")");
    }

    private void makeOrphan(long ino, long next, long prev) throws Exception {
        InodeRecord r = ed.inode(ino);
        r.nlink = 0;
        r.flags |= InodeRecord.FLAG_ORPHAN;
        r.orphanNext = next;
        r.orphanPrev = prev;
        ed.putInode(ino, r);
    }

    private FsckReport check() throws Exception {
        byte[] before = ed.bytes();
        FsckReport r = Fsck.check(img.device(), false, ProgressListener.NONE);
        assertTrue(Arrays.equals(before, ed.bytes()), "a check without repair wrote to the image");
        assertFalse(r.clean());
        return r;
    }

    private void assertOnly(String problem) throws Exception {
        FsckReport r = check();
        assertEquals(List.of(problem), r.problems());
    }

    static void assertHas(FsckReport r, String problem) {
        assertTrue(r.problems().contains(problem), "expected \"" + problem + "\" in " + r.problems());
    }

}
