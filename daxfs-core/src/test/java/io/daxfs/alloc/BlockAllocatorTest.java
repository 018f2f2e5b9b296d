package io.daxfs.alloc;

import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.Internals;
import io.daxfs.journal.Journal;
import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The block allocator of a mounted file system: groups, placement of huge requests, the exact
 * metadata reserve under concurrent takers, and frees released only after a checkpoint.
 */
class BlockAllocatorTest {
    private static final long MIB = 1L << 20;
    private DaxFileSystem fs;

    @AfterEach
    void close() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    private BlockAllocator allocator() {
        return Internals.volume(fs).blockAllocator();
    }

    private Journal journal() {
        return Internals.volume(fs).journal();
    }

    private long[] allocate(long want, long goal, boolean huge, long owner) throws DaxException {
        try (Journal.Handle h = journal().begin()) {
            return allocator().allocateData(h, want, goal, huge, owner);
        }
    }

    @Test
    void aLargerDeviceHasSeveralGroupsAndFilesWithoutAGoalStartInDifferentOnes() throws Exception {
        fs = DaxFileSystem.formatMemory(512 * MIB);
        BlockAllocator a = allocator();
        assertTrue(a.groupCount() >= 4, "groups: " + a.groupCount());
        long groupBlocks = BlockAllocator.MIN_GROUP_BLOCKS;
        BitSet groupsUsed = new BitSet();
        for (long owner = 100; owner < 116; owner++) {
            groupsUsed.set((int) (allocate(8, 0, false, owner)[0] / groupBlocks));
        }
        assertTrue(groupsUsed.cardinality() >= 3, "16 files started in " + groupsUsed.cardinality() + " groups");
    }

    @Test
    void aHugeRequestGetsWholeAlignedPieces() throws Exception {
        fs = DaxFileSystem.formatMemory(256 * MIB);
        long[] small = allocate(3, 0, false, 7); // leaves the first run unaligned
        long[] run = allocate(4 * 512, 0, true, 8);
        assertEquals(0, run[0] % 512, "aligned: " + run[0]);
        assertEquals(4 * 512, run[1]);
        assertNotEquals(small[0], run[0]);
    }

    @Test
    void aRequestAtItsGoalContinuesThere() throws Exception {
        fs = DaxFileSystem.formatMemory(64 * MIB);
        long[] first = allocate(10, 0, false, 9);
        long[] next = allocate(10, first[0] + first[1], false, 9);
        assertEquals(first[0] + first[1], next[0]);
    }

    @Test
    @Timeout(120)
    void concurrentTakersNeverShareABlockAndLeaveExactlyTheReserve() throws Exception {
        fs = DaxFileSystem.formatMemory(512 * MIB);
        BlockAllocator a = allocator();
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<long[]>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long owner = 1000 + t;
            SplittableRandom rnd = new SplittableRandom(owner);
            results.add(pool.submit(() -> {
                List<long[]> got = new ArrayList<>();
                while (true) {
                    try {
                        boolean huge = rnd.nextInt(4) == 0;
                        got.add(allocate(huge ? 512 * (1 + rnd.nextInt(4)) : 1 + rnd.nextInt(300), 0, huge, owner));
                    } catch (DaxException e) {
                        assertEquals(Errno.ENOSPC, e.errno());
                        return got;
                    }
                }
            }));
        }
        BitSet taken = new BitSet();
        long total = 0;
        for (Future<List<long[]>> f : results) {
            for (long[] r : f.get()) {
                assertEquals(-1, taken.get((int) r[0], (int) (r[0] + r[1])).nextSetBit(0),
                        "run [" + r[0] + ", +" + r[1] + ") overlaps another thread's");
                taken.set((int) r[0], (int) (r[0] + r[1]));
                assertTrue(a.allInUse(r[0], r[1]));
                total += r[1];
            }
        }
        pool.shutdown();
        assertEquals(0, a.availableForData(), "data allocation is refused at the reserve");
        assertTrue(a.freeBlocks() > 0, "the metadata reserve is still free: " + a.freeBlocks());
        try (Journal.Handle h = journal().begin()) {
            a.allocateMeta(h, 0); // metadata may still use it
        }
        assertTrue(total > 0);
    }

    @Test
    void aFreedRunBecomesAllocatableOnlyAfterItsCheckpoint() throws Exception {
        fs = DaxFileSystem.formatMemory(64 * MIB);
        BlockAllocator a = allocator();
        long[] run = allocate(100, 0, false, 3);
        long before = a.availableForData();
        try (Journal.Handle h = journal().begin()) {
            a.free(h, run[0], run[1]);
        }
        assertEquals(before, a.availableForData(), "pending until the checkpoint");
        assertEquals(100, a.pendingBlocks());
        journal().checkpoint();
        assertEquals(before + 100, a.availableForData());
        assertEquals(0, a.pendingBlocks());
        try (Journal.Handle h = journal().begin()) {
            assertThrows(IllegalStateException.class, () -> a.free(h, run[0], run[1]), "double free");
        }
    }

    @Test
    void aFreedDataRunBecomesAllocatableAtItsCommit() throws Exception {
        fs = DaxFileSystem.formatMemory(64 * MIB);
        BlockAllocator a = allocator();
        long[] run = allocate(100, 0, false, 3);
        long before = a.availableForData();
        long checkpoints = journal().checkpointCount();
        try (Journal.Handle h = journal().begin()) {
            a.freeData(h, run[0], run[1]);
        }
        assertEquals(before, a.availableForData(), "pending until the commit");
        assertEquals(100, a.pendingBlocks());
        journal().commit();
        assertEquals(before + 100, a.availableForData());
        assertEquals(0, a.pendingBlocks());
        assertEquals(checkpoints, journal().checkpointCount(), "no checkpoint was needed");
    }

    @Test
    void aSingleBlockRequestGetsTheBlockReleasedLast() throws Exception {
        fs = DaxFileSystem.formatMemory(64 * MIB);
        BlockAllocator a = allocator();
        long[] blocks = new long[3];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = allocate(1, 0, false, 5)[0];
        }
        for (long b : blocks) {
            try (Journal.Handle h = journal().begin()) {
                a.freeData(h, b, 1);
            }
            journal().commit();
        }
        assertEquals(blocks[2], allocate(1, 0, false, 5)[0], "last in, first out");
        assertEquals(blocks[1], allocate(1, 0, false, 5)[0]);
        assertEquals(blocks[0], allocate(1, 0, false, 5)[0]);
    }

    @Test
    void recentBlocksGoBackToTheRunsWhenOnlyTheyCanServeARequest() throws Exception {
        fs = DaxFileSystem.formatMemory(64 * MIB);
        BlockAllocator a = allocator();
        assertEquals(1, a.groupCount());
        // Take every aligned 2 MiB piece and every other block, then give one piece back block by block.
        List<long[]> pieces = new ArrayList<>();
        for (long[] r; (r = tryAllocate(512, 0, true, 6)) != null && r[1] == 512 && r[0] % 512 == 0; ) {
            pieces.add(r);
        }
        while (tryAllocate(1 << 20, 0, false, 6) != null) {
            // drains the rest
        }
        assertEquals(0, a.availableForData());
        long[] piece = pieces.getLast();
        for (long b = piece[0]; b < piece[0] + 512; b++) {
            try (Journal.Handle h = journal().begin()) {
                a.freeData(h, b, 1);
            }
        }
        journal().commit();
        assertEquals(512, a.availableForData(), "every block of the piece is allocatable again");

        // The runs alone hold no aligned piece: the recent blocks merge back into one, and it is handed out whole.
        long[] huge = allocate(512, 0, true, 6);
        assertEquals(piece[0], huge[0]);
        assertEquals(512, huge[1]);

        // The same for a request of several blocks once the runs are empty (metadata may take the reserve too).
        while (true) {
            try (Journal.Handle h = journal().begin()) {
                a.allocateMetaRun(h, 0, 1 << 20);
            } catch (DaxException e) {
                assertEquals(Errno.ENOSPC, e.errno());
                break;
            }
        }
        for (long b = piece[0]; b < piece[0] + 8; b++) {
            try (Journal.Handle h = journal().begin()) {
                a.freeData(h, b, 1);
            }
        }
        journal().commit();
        try (Journal.Handle h = journal().begin()) {
            long[] eight = a.allocateMetaRun(h, 0, 8);
            assertEquals(piece[0], eight[0]);
            assertEquals(8, eight[1], "one run of the eight blocks released one by one");
        }
    }

    private long[] tryAllocate(long want, long goal, boolean huge, long owner) throws DaxException {
        try {
            return allocate(want, goal, huge, owner);
        } catch (DaxException e) {
            assertEquals(Errno.ENOSPC, e.errno());
            return null;
        }
    }
}
