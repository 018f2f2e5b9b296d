package io.daxfs.fsck;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsckReport;
import io.daxfs.types.ProgressListener;
import io.daxfs.device.MemoryDevice;
import io.daxfs.media.BlockHeader;
import io.daxfs.media.Crc;
import io.daxfs.media.Geometry;
import io.daxfs.media.InodeRecord;
import io.daxfs.media.Le;
import io.daxfs.media.Superblock;
import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Whatever the input, fsck refuses, or reports, or repairs; it never throws anything but
 * DaxException, never hangs, and never writes without being asked to repair.
 */
class FsckRobustnessTest {
    private static final boolean LONG = Boolean.getBoolean("daxfs.test.long");
    private static final long SIZE = 16L << 20;
    /** A cleanly unmounted image after the workload, and one whose last transactions are only in the journal. */
    private static byte[] clean;
    private static byte[] pending;
    /** Data-area blocks of the images that hold metadata (directory, extent and symlink blocks). */
    private static long[] dataMetadata;

    @BeforeAll
    static void images() throws Exception {
        RetainedDevice dev = RetainedDevice.allocate(SIZE);
        try (DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT)) {
            TestImages.workload(fs);
            Internals.volume(fs).journal().checkpoint();
            fs.mkdir("/late");
            TestImages.write(fs, "/late/f", "late");
            try (DaxFile open = fs.open("/orphan", StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                open.write(0, new byte[9000], 0, 9000);
                fs.unlink("/orphan");
                Internals.volume(fs).journal().commit();
                pending = dev.segment().toArray(ValueLayout.JAVA_BYTE);
            }
        }
        clean = dev.segment().toArray(ValueLayout.JAVA_BYTE);
        Geometry g = Superblock.read(MemorySegment.ofArray(clean)).geometry();
        List<Long> meta = new ArrayList<>();
        for (long b = g.dataStart(); b < g.totalBlocks(); b++) {
            int magic = Le.getInt(MemorySegment.ofArray(clean), b << Geometry.BLOCK_SHIFT);
            if (magic == BlockHeader.DIRECTORY || magic == BlockHeader.EXTENTS || magic == BlockHeader.SYMLINK) {
                meta.add(b);
            }
        }
        dataMetadata = meta.stream().mapToLong(Long::longValue).toArray();
        assertTrue(Fsck.check(RetainedDevice.copyOf(MemorySegment.ofArray(pending)), false, ProgressListener.NONE).clean());
    }

    @Test
    void refusesWhatIsNotADaxfs() {
        assertRefused(Errno.EMEDIUMTYPE, RetainedDevice.allocate(SIZE));
        byte[] noise = new byte[(int) SIZE];
        new SplittableRandom(1).nextBytes(noise);
        assertRefused(Errno.EMEDIUMTYPE, RetainedDevice.copyOf(MemorySegment.ofArray(noise)));
        assertRefused(Errno.EMEDIUMTYPE, RetainedDevice.allocate(4096));
    }

    @Test
    void refusesBrokenOrForeignSuperblocks() {
        MemorySegment bothBad = MemorySegment.ofArray(clean.clone());
        bothBad.set(ValueLayout.JAVA_BYTE, 200, (byte) 1);
        bothBad.set(ValueLayout.JAVA_BYTE, Geometry.BLOCK_SIZE + 200, (byte) 1);
        assertRefused(Errno.EUCLEAN, RetainedDevice.copyOf(bothBad));

        MemorySegment otherVersion = MemorySegment.ofArray(clean.clone());
        for (long slot = 0; slot < 2; slot++) {
            MemorySegment sb = otherVersion.asSlice(slot << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
            Le.putInt(sb, 8, Superblock.VERSION + 1);
            Le.putInt(sb, 4092, Crc.of(sb, 0, 4092));
        }
        assertRefused(Errno.EMEDIUMTYPE, RetainedDevice.copyOf(otherVersion));

        // An image cut short: the superblock describes more blocks than the device has.
        assertRefused(Errno.EUCLEAN, RetainedDevice.copyOf(MemorySegment.ofArray(clean).asSlice(0, SIZE / 2)));
    }

    @Test
    void neverWritesWithoutRepair(@TempDir Path dir) throws Exception {
        RetainedDevice unflushed = RetainedDevice.copyOf(MemorySegment.ofArray(pending));
        FsckReport r = Fsck.check(unflushed, false, ProgressListener.NONE);
        assertTrue(r.clean() && r.journalReplayed());
        assertTrue(Arrays.equals(pending, unflushed.segment().toArray(ValueLayout.JAVA_BYTE)), "the journal was not replayed");

        RetainedDevice damaged = RetainedDevice.copyOf(MemorySegment.ofArray(clean));
        ImageEditor ed = new ImageEditor(damaged.segment());
        ed.setBlockUsed(ed.freeDataBlock(), true);
        byte[] before = damaged.segment().toArray(ValueLayout.JAVA_BYTE);
        List<String> problems = Fsck.check(damaged, false, ProgressListener.NONE).problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(Arrays.equals(before, damaged.segment().toArray(ValueLayout.JAVA_BYTE)), "nothing was repaired");

        // Through the path API the image is mapped read-only: any write would fault.
        Path image = dir.resolve("damaged.img");
        Files.write(image, before);
        assertEquals(problems, DaxFileSystem.fsck(image, false, ProgressListener.NONE).problems());
        assertTrue(Arrays.equals(before, Files.readAllBytes(image)));
    }

    @Test
    void garbageWithValidChecksumsNeverCrashes() {
        int seeds = LONG ? 2000 : 150;
        assertTimeoutPreemptively(Duration.ofMinutes(LONG ? 30 : 3), () -> {
            for (int seed = 0; seed < seeds; seed++) {
                fuzzOnce(seed);
            }
        });
    }

    private static void fuzzOnce(long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] base = (seed & 1) == 0 ? clean : pending;
        try (MemoryDevice dev = MemoryDevice.copyOf(MemorySegment.ofArray(base))) {
            Geometry g = Superblock.read(dev.segment()).geometry();
            int targets = 1 + rnd.nextInt(4);
            for (int t = 0; t < targets; t++) {
                corrupt(dev.segment(), g, pickBlock(g, rnd), rnd);
            }
            try {
                Fsck.check(dev, false, ProgressListener.NONE);
                Fsck.check(dev, true, ProgressListener.NONE);
                Fsck.check(dev, false, ProgressListener.NONE);
            } catch (DaxException expected) {
                // Refusals (a superblock destroyed) and read-only outcomes are fine.
            } catch (Throwable e) {
                fail("seed " + seed + ": " + e, e);
            }
        }
    }

    private static long pickBlock(Geometry g, SplittableRandom rnd) {
        return switch (rnd.nextInt(10)) {
            case 0 -> rnd.nextInt(3); // a superblock slot or the fs info block
            case 1 -> g.journalStart() + rnd.nextLong(Math.min(g.journalBlocks(), 64));
            case 2, 3 -> g.inodeBitmapStart() + rnd.nextLong(g.inodeBitmapBlocks() + g.blockBitmapBlocks());
            case 4, 5, 6 -> g.inodeTableStart() + rnd.nextLong(Math.min(g.inodeTableBlocks(), 16));
            default -> dataMetadata[rnd.nextInt(dataMetadata.length)];
        };
    }

    /**
     * Overwrites a few fields of block {@code b} with random values (often small ones, which
     * look like plausible inode and block numbers), then usually fixes the checksums so that the
     * garbage gets past them to the deeper checks.
     */
    private static void corrupt(MemorySegment dev, Geometry g, long b, SplittableRandom rnd) {
        MemorySegment blk = dev.asSlice(b << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
        int edits = 1 + rnd.nextInt(12);
        for (int i = 0; i < edits; i++) {
            int off = rnd.nextInt(Geometry.BLOCK_SIZE / 8) * 8;
            long v = switch (rnd.nextInt(4)) {
                case 0 -> rnd.nextLong();
                case 1 -> rnd.nextLong(g.totalBlocks() + 64);
                case 2 -> rnd.nextLong(g.inodeCount() + 4);
                default -> rnd.nextInt(8) == 0 ? 0 : -1L >>> rnd.nextInt(64);
            };
            if (rnd.nextBoolean()) {
                Le.putInt(blk, off + (rnd.nextBoolean() ? 4 : 0), (int) v);
            } else {
                Le.putLong(blk, off, v);
            }
        }
        if (rnd.nextInt(10) < 7) {
            reseal(blk, g, b);
        }
    }

    private static void reseal(MemorySegment blk, Geometry g, long b) {
        if (b <= Geometry.SUPERBLOCK_B) {
            Le.putInt(blk, 4092, Crc.of(blk, 0, 4092));
        } else if (b >= g.inodeTableStart() && b < g.dataStart()) {
            for (int r = 0; r < InodeRecord.PER_BLOCK; r++) {
                long off = (long) r * InodeRecord.SIZE;
                if (Le.getInt(blk, off) != 0) {
                    Le.putInt(blk, off + 252, Crc.of(blk, off, 252));
                }
            }
        } else {
            BlockHeader.seal(blk);
        }
    }

    private static void assertRefused(Errno errno, RetainedDevice dev) {
        DaxException e = assertThrows(DaxException.class, () -> Fsck.check(dev, false, ProgressListener.NONE));
        assertEquals(errno, e.errno(), e.getMessage());
    }
}
