package io.daxfs.fsck;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.DirIndexNode;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Le;
import io.daxfs.testutil.RetainedDevice;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.MountOptions;
import io.daxfs.types.ProgressListener;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damage to a directory's name index, each kind alone, is reported naming the directory and the
 * node; a repair that removes an entry removes its key too. The image's directory /d has 300
 * names and nodes of at most four keys, so its tree has several levels.
 */
class FsckDirIndexTest {
    private RetainedDevice dev;
    private ImageEditor ed;
    private long d;
    private long victim;

    @BeforeEach
    void setUp() throws Exception {
        System.setProperty("daxfs.test.dirIndexFill", "4");
        dev = RetainedDevice.allocate(TestImages.SIZE);
        try (DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT)) {
            fs.mkdir("/d");
            for (int i = 0; i < 300; i++) {
                fs.open("/d/name-" + i, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            }
            d = fs.stat("/d").ino();
            victim = fs.stat("/d/name-77").ino();
        }
        ed = new ImageEditor(dev.segment());
        assertTrue(Fsck.check(dev, false, ProgressListener.NONE).clean());
    }

    @AfterEach
    void tearDown() {
        System.clearProperty("daxfs.test.dirIndexFill");
    }

    long root() throws Exception {
        return BlockHeader.c(ed.block(ed.firstBlockOf(d)));
    }

    /** The leftmost leaf. */
    long firstLeaf() throws Exception {
        long at = root();
        while (DirIndexNode.level(ed.block(at)) > 0) {
            at = DirIndexNode.child(ed.block(at), 0);
        }
        return at;
    }

    FsckReport check() throws Exception {
        FsckReport r = Fsck.check(dev, false, ProgressListener.NONE);
        assertFalse(r.clean());
        return r;
    }

    @Test
    void aKeyMissingFromALeaf() throws Exception {
        MemorySegment leaf = ed.block(firstLeaf());
        int n = DirIndexNode.count(leaf);
        DirIndexNode.leafRemove(leaf, DirIndexNode.leafKey(leaf, n - 1));
        BlockHeader.seal(leaf);
        FsckDamageTest.assertHas(check(), "directory " + d + ": 1 entry missing from the index");
    }

    @Test
    void aKeyThatNamesNoEntry() throws Exception {
        long at = firstLeaf();
        MemorySegment leaf = ed.block(at);
        long key = DirIndexNode.leafKey(leaf, 0);
        long wrong = key ^ 0x8; // the same hash, another offset: no record starts there
        Le.putLong(leaf, BlockHeader.SIZE, wrong);
        BlockHeader.seal(leaf);
        FsckReport r = check();
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("directory " + d + " index block ")
                && p.contains("(block " + at + "): key " + Long.toUnsignedString(wrong, 16) + " names no entry")), r.problems().toString());
    }

    @Test
    void aRootThatIsNotAnIndexNode() throws Exception {
        MemorySegment first = ed.block(ed.firstBlockOf(d));
        long dataBlock = ed.firstBlockOf(d); // a record block, not a node
        BlockHeader.setC(first, dataBlock);
        BlockHeader.seal(first);
        FsckDamageTest.assertHas(check(), "directory " + d + ": index root " + dataBlock
                + " (named by block 0) is not one of its index blocks");
    }

    @Test
    void aNodeNoLongerReachedFromTheRoot() throws Exception {
        MemorySegment r = ed.block(root());
        long lost = DirIndexNode.child(r, DirIndexNode.count(r) - 1);
        // The root forgets its last child: that subtree and its keys are gone from the index.
        int n = DirIndexNode.count(r);
        Le.putLong(r, BlockHeader.SIZE + 16L * (n - 1), 0);
        Le.putLong(r, BlockHeader.SIZE + 16L * (n - 1) + 8, 0);
        BlockHeader.setC(r, (long) DirIndexNode.level(r) << 32 | (n - 1));
        BlockHeader.seal(r);
        FsckReport rep = check();
        assertTrue(rep.problems().stream().anyMatch(p -> p.matches("directory " + d + ": index block \\d+ \\(block " + lost
                + "\\) is not reached from the root")), rep.problems().toString());
    }

    @Test
    void aDamagedNodeChecksum() throws Exception {
        long at = firstLeaf();
        ed.block(at).set(java.lang.foreign.ValueLayout.JAVA_BYTE, 3000, (byte) 0x7f);
        FsckReport r = check();
        assertTrue(r.problems().stream().anyMatch(p -> p.endsWith("(block " + at + "): checksum mismatch")), r.problems().toString());
    }

    @Test
    void repairRemovesADanglingEntryAndItsKey() throws Exception {
        // The entry's inode is freed behind the file system's back.
        ed.putInode(victim, new InodeRecord());
        ed.setInodeUsed(victim, false);
        FsckReport r = Fsck.check(dev, true, ProgressListener.NONE);
        assertTrue(r.repairs().contains("directory " + d + ": entry 'name-77' removed (it pointed to free inode " + victim + ")"),
                r.repairs().toString());
        FsckReport after = Fsck.check(dev, false, ProgressListener.NONE);
        assertTrue(after.clean(), () -> "after repair: " + after.problems());
        try (DaxFileSystem fs = Internals.mount(dev, MountOptions.DEFAULT)) {
            assertEquals(299, fs.readdir("/d").size());
            fs.open("/d/name-77", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            assertEquals(300, fs.readdir("/d").size());
        }
        assertTrue(Fsck.check(dev, false, ProgressListener.NONE).clean());
    }
}
