package io.daxfs.fsck;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;
import io.daxfs.device.Device;
import io.daxfs.device.Devices;
import io.daxfs.journal.JournalScan;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirBlock;
import io.daxfs.media.Extent;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Le;
import io.daxfs.media.Superblock;
import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import static io.daxfs.fsck.FsckDamageTest.assertHas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What --repair fixes is fixed (a second check is clean), and what it must not touch it leaves alone. */
class FsckRepairTest {
    @Test
    void fixesBitmapsCountsAndLinks() throws Exception {
        TestImages.Image img = TestImages.small();
        ImageEditor ed = new ImageEditor(img.device().segment());
        long a = img.ino("/a");
        long f1 = img.ino("/a/f1");
        long f2 = img.ino("/a/f2");
        long leaked = ed.freeDataBlock();
        long missing = ed.firstBlockOf(f1);
        ed.setBlockUsed(leaked, true);
        ed.setBlockUsed(missing, false);
        ed.setInodeUsed(f1, false);
        InodeRecord r1 = ed.inode(f1);
        r1.nlink = 3;
        ed.putInode(f1, r1);
        InodeRecord r2 = ed.inode(f2);
        r2.blocks = 9; // it owns 3: a data block and two xattr blocks
        ed.putInode(f2, r2);
        InodeRecord ra = ed.inode(a);
        ra.nlink = 7;
        ed.putInode(a, ra);

        FsckReport r = Fsck.check(img.device(), true, ProgressListener.NONE);
        assertEquals(6, r.problems().size(), r.problems().toString());
        assertTrue(r.repairs().contains("inode " + f1 + " (regular file): nlink 3 -> 1"), r.repairs().toString());
        assertTrue(r.repairs().contains("inode " + f2 + " (regular file): blocks 9 -> 3"), r.repairs().toString());
        assertTrue(r.repairs().contains("inode " + a + " (directory): nlink 7 -> 3"), r.repairs().toString());
        assertTrue(r.repairs().contains("block bitmap block 0: 1 bit set, 1 bit cleared"), r.repairs().toString());
        assertTrue(r.repairs().contains("inode bitmap block 0: 1 bit set, 0 bits cleared"), r.repairs().toString());
        assertClean(img.device());
        assertEquals(Fsck.check(img.device(), false, ProgressListener.NONE).blocksInUse(), r.blocksInUse(),
                "the counts describe what is in use, leak excluded");
        try (DaxFileSystem fs = Internals.mount(img.device(), MountOptions.DEFAULT)) {
            assertEquals(1, fs.stat("/a/f1").nlink());
            byte[] b = new byte[3];
            try (DaxFile f = fs.open("/a/f1")) {
                f.read(0, b, 0, 3);
            }
            assertEquals("one", new String(b, StandardCharsets.UTF_8));
        }
    }

    @Test
    void removesEntriesToFreeInodesAndCorrectsEntryTypes() throws Exception {
        TestImages.Image img = TestImages.small();
        ImageEditor ed = new ImageEditor(img.device().segment());
        long a = img.ino("/a");
        long f2 = img.ino("/a/f2");
        long f2block = ed.firstBlockOf(f2);
        ed.putInode(f2, new InodeRecord());
        ed.setInodeUsed(f2, false);
        ed.setBlockUsed(f2block, false);
        MemorySegment dir = ed.block(ed.firstBlockOf(a));
        for (int off = DirBlock.FIRST; off < Geometry.BLOCK_SIZE; off += DirBlock.recLen(dir, off)) {
            if (DirBlock.ino(dir, off) == img.ino("/a/f1")) {
                DirBlock.retarget(dir, off, img.ino("/a/f1"), DirBlock.typeCode(FileType.SYMLINK));
            }
        }
        BlockHeader.seal(dir);

        FsckReport r = Fsck.check(img.device(), true, ProgressListener.NONE);
        assertHas(r, "directory " + a + ": entry 'f2' points to free inode " + f2);
        assertTrue(r.repairs().contains("directory " + a + ": entry 'f2' removed (it pointed to free inode " + f2 + ")"),
                r.repairs().toString());
        assertTrue(r.repairs().contains("directory " + a + ": entry 'f1' now says regular file (its type said symlink)"),
                r.repairs().toString());
        assertClean(img.device());
        try (DaxFileSystem fs = Internals.mount(img.device(), MountOptions.DEFAULT)) {
            assertEquals(List.of("b", "f1"), fs.readdir("/a").stream().map(e -> e.name()).sorted().toList());
        }
    }

    @Test
    void freesTheOrphansOfACrashedImage() throws Exception {
        RetainedDevice dev = RetainedDevice.allocate(TestImages.SIZE);
        RetainedDevice crashed;
        long orphan;
        try (DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT)) {
            TestImages.workload(fs);
            try (DaxFile open = fs.open("/orphan", StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                open.write(0, new byte[40_000], 0, 40_000);
                orphan = fs.stat("/orphan").ino();
                fs.unlink("/orphan");
                Internals.volume(fs).journal().commit();
                crashed = RetainedDevice.copyOf(dev.segment());
            }
        }
        assertTrue(Fsck.check(crashed, false, ProgressListener.NONE).clean(), "an orphan list is no damage");
        FsckReport r = Fsck.check(crashed, true, ProgressListener.NONE);
        assertEquals(List.of(), r.problems());
        assertTrue(r.journalReplayed());
        assertTrue(r.repairs().contains("freed orphan inode " + orphan + " (regular file) and its 10 blocks"), r.repairs().toString());
        assertTrue(r.repairs().contains("fs info block rewritten: orphan list head " + orphan + " -> 0"), r.repairs().toString());
        assertClean(crashed);
        ImageEditor ed = new ImageEditor(crashed.segment());
        MemorySegment rec = ed.block(ed.g.inodeBlock(orphan)).asSlice(ImageEditor.recordOffset(orphan), InodeRecord.SIZE);
        assertEquals(-1, rec.mismatch(MemorySegment.ofArray(new byte[InodeRecord.SIZE])), "the orphan's record is zeroed");
        try (DaxFileSystem fs = Internals.mount(crashed, MountOptions.DEFAULT)) {
            assertEquals(2, fs.stat("/a/f1").nlink());
            assertFalse(fs.exists("/orphan"));
        }
    }

    @Test
    void rebuildsABrokenOrphanList() throws Exception {
        TestImages.Image img = TestImages.small();
        ImageEditor ed = new ImageEditor(img.device().segment());
        long f1 = img.ino("/a/f1");
        long f2 = img.ino("/a/f2");
        ed.removeEntry(img.ino("/a"), "f1");
        ed.removeEntry(img.ino("/a"), "f2");
        for (long[] link : new long[][]{{f1, f2, f2}, {f2, f1, f1}}) {
            InodeRecord r = ed.inode(link[0]);
            r.nlink = 0;
            r.flags |= InodeRecord.FLAG_ORPHAN;
            r.orphanNext = link[1];
            r.orphanPrev = link[2];
            ed.putInode(link[0], r);
        }
        ed.setOrphanHead(f1);
        FsckReport r = Fsck.check(img.device(), true, ProgressListener.NONE);
        assertFalse(r.problems().isEmpty());
        assertTrue(r.problems().stream().noneMatch(p -> p.startsWith("not repaired")), r.problems().toString());
        assertTrue(r.repairs().contains("freed orphan inode " + f1 + " (regular file) and its 1 block"), r.repairs().toString());
        assertClean(img.device());
    }

    @Test
    void cleanImageIsLeftUntouched() throws Exception {
        RetainedDevice dev = TestImages.small().device();
        byte[] before = TestImages.snapshot(dev.segment()).toArray(ValueLayout.JAVA_BYTE);
        FsckReport r = Fsck.check(dev, true, ProgressListener.NONE);
        assertTrue(r.clean());
        assertEquals(List.of(), r.repairs());
        assertTrue(Arrays.equals(before, dev.segment().toArray(ValueLayout.JAVA_BYTE)));
    }

    @Test
    void rewritesADamagedSuperblockSlot() throws Exception {
        RetainedDevice dev = TestImages.small().device();
        long older = Superblock.slotFor(Superblock.read(dev.segment()).generation() + 1);
        Le.putLong(dev.segment(), (older << Geometry.BLOCK_SHIFT) + 40, 12345);
        FsckReport r = Fsck.check(dev, true, ProgressListener.NONE);
        assertEquals(List.of("superblock slot " + (older == 0 ? "A" : "B") + " (block " + older + "): checksum mismatch"),
                r.problems());
        assertTrue(r.repairs().contains("both superblock slots rewritten"), r.repairs().toString());
        assertClean(dev);
    }

    @Test
    void leavesCrossLinksAndLeaksAloneAndSaysSo() throws Exception {
        TestImages.Image img = TestImages.small();
        ImageEditor ed = new ImageEditor(img.device().segment());
        long f1 = img.ino("/a/f1");
        long f2 = img.ino("/a/f2");
        long shared = ed.firstBlockOf(f1);
        InodeRecord r2 = ed.inode(f2);
        r2.setInlineExtents(List.of(new Extent(0, 1, shared)));
        ed.putInode(f2, r2);
        FsckReport r = Fsck.check(img.device(), true, ProgressListener.NONE);
        assertHas(r, "not repaired: 1 leaked block kept allocated, because some blocks are claimed more than once");
        assertHas(r, "not repaired: block " + shared + " claimed more than once, by: data of inode " + f1 + ", data of inode " + f2);
        assertFalse(Fsck.check(img.device(), false, ProgressListener.NONE).clean());
    }

    @Test
    void leavesFilesNamedInADamagedDirectoryAlone() throws Exception {
        TestImages.Image img = TestImages.small();
        ImageEditor ed = new ImageEditor(img.device().segment());
        long a = img.ino("/a");
        long b = ed.firstBlockOf(a);
        ed.block(b).set(ValueLayout.JAVA_BYTE, 2000, (byte) 0x77);
        FsckReport r = Fsck.check(img.device(), true, ProgressListener.NONE);
        assertHas(r, "not repaired: directory " + a + " block 0 (block " + b + "): checksum mismatch");
        assertEquals(List.of(), r.repairs(), "the files named in the damaged block keep their links and blocks");
        for (String p : new String[]{"/a/f1", "/a/f2"}) {
            assertEquals(1, ed.inode(img.ino(p)).nlink, p);
        }
        assertEquals(2, ed.inode(img.ino("/a/b")).nlink);
    }

    @Test
    void refusesToRepairACorruptJournal() throws Exception {
        RetainedDevice dev = RetainedDevice.allocate(TestImages.SIZE);
        RetainedDevice copy;
        try (DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT)) {
            fs.mkdir("/x");
            Internals.volume(fs).journal().commit();
            copy = RetainedDevice.copyOf(dev.segment());
        }
        Superblock sb = Superblock.read(copy.segment());
        JournalScan.Tx tx = JournalScan.scan(copy.segment(), sb).txs().getFirst();
        JournalScan.ringBlock(copy.segment(), sb.geometry(), tx.imagePos()[0]).set(ValueLayout.JAVA_BYTE, 1000, (byte) 0x42);
        byte[] before = copy.segment().toArray(ValueLayout.JAVA_BYTE);
        FsckReport r = Fsck.check(copy, true, ProgressListener.NONE);
        assertHas(r, "journal: journal transaction " + tx.seq() + " is committed but its contents fail the checksum");
        assertHas(r, "not repaired: the journal is corrupt; replaying it is unsafe and discarding it would lose committed transactions");
        assertTrue(Arrays.equals(before, copy.segment().toArray(ValueLayout.JAVA_BYTE)), "nothing written");
    }

    @Test
    void refusesToRepairAReadOnlyDevice(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("fs.img");
        DaxFileSystem.format(image, TestImages.SIZE).close();
        try (var ro = Devices.open(image, true)) {
            DaxException e = assertThrows(DaxException.class, () -> Fsck.check(ro, true, ProgressListener.NONE));
            assertEquals(Errno.EROFS, e.errno());
        }
        assertTrue(DaxFileSystem.fsck(image, false, ProgressListener.NONE).clean());
        assertTrue(Files.size(image) > 0);
    }

    private static void assertClean(Device dev) throws Exception {
        FsckReport again = Fsck.check(dev, false, ProgressListener.NONE);
        assertEquals(List.of(), again.problems(), "a second check after the repair");
    }
}
