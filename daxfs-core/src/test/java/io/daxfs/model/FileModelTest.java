package io.daxfs.model;

import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model's own semantics, on small hand-checked cases. */
class FileModelTest {
    private static final int B = FileModel.BLOCK;

    private static byte[] bytes(FileModel m, long pos, int n) {
        byte[] b = new byte[n];
        m.get(pos, b, 0, n);
        return b;
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    @Test
    void writeAcrossBlocksAllocatesThemAndGrowsTheSize() {
        FileModel m = new FileModel(1 << 20);
        m.write(B - 2, filled(5, 7), 0, 5);
        assertEquals(B + 3, m.size());
        assertFalse(m.isAllocated(0) == false);
        assertTrue(m.isAllocated(1));
        assertFalse(m.isAllocated(2));
        assertArrayEquals(new byte[]{0, 7, 7, 7, 7, 7, 0}, bytes(m, B - 3, 7));
        assertEquals(-1, m.mismatch(B - 2, filled(5, 7), 0, 5));
        assertEquals(B + 1, m.mismatch(B - 2, new byte[]{7, 7, 7, 9, 7}, 0, 5));
    }

    @Test
    void shrinkZeroesAndFreesButGrowKeepsBlocksPastEof() {
        FileModel m = new FileModel(1 << 20);
        m.write(0, filled(3 * B, 1), 0, 3 * B);
        m.allocate(10 * B, B, true); // beyond EOF
        m.truncate(20 * B); // grow: keeps everything
        assertTrue(m.isAllocated(10));
        m.truncate(B + 5); // shrink: frees from block 2 on
        assertEquals(2, m.allocatedBlocks());
        assertFalse(m.isAllocated(10));
        m.truncate(3 * B);
        assertArrayEquals(filled(5, 1), bytes(m, B, 5));
        assertArrayEquals(new byte[10], bytes(m, B + 5, 10), "bytes past a shrink read zero after growing again");
    }

    @Test
    void punchFreesOnlyWholeBlocksAndZeroesTheRest() {
        FileModel m = new FileModel(1 << 20);
        m.write(0, filled(4 * B, 3), 0, 4 * B);
        m.punchHole(100, 2 * B); // [100, 8292): block 1 whole, blocks 0 and 2 partly
        assertTrue(m.isAllocated(0));
        assertFalse(m.isAllocated(1));
        assertTrue(m.isAllocated(2));
        assertArrayEquals(new byte[]{3, 0}, bytes(m, 99, 2));
        assertArrayEquals(new byte[]{0, 3}, bytes(m, 2 * B + 99, 2));
        assertEquals(4 * B, m.size());
        m.punchHole(3 * B, Long.MAX_VALUE / 2); // far past the capacity
        assertFalse(m.isAllocated(3));
    }

    @Test
    void collapseAndInsertShiftBytesAndBlocks() {
        FileModel m = new FileModel(1 << 20);
        for (int b = 0; b < 6; b++) {
            m.write((long) b * B, filled(B, b + 1), 0, B);
        }
        m.punchHole(3 * B, B); // blocks: A A A . A A
        m.collapseRange(B, 2 * B); // removes blocks 1, 2 -> 1 . 5 6
        assertEquals(4L * B, m.size());
        assertArrayEquals(new byte[]{1, 0, 5, 6}, new byte[]{bytes(m, 0, 1)[0], bytes(m, B, 1)[0], bytes(m, 2 * B, 1)[0], bytes(m, 3 * B, 1)[0]});
        assertFalse(m.isAllocated(1));
        assertTrue(m.isAllocated(2));
        m.insertRange(2 * B, 3 * B); // 1 . . . . 5 6
        assertEquals(7L * B, m.size());
        assertEquals(5, bytes(m, 5 * B, 1)[0]);
        assertEquals(0, bytes(m, 2 * B, 1)[0]);
        assertEquals(3, m.allocatedBlocks());
        assertEquals(2, m.allocatedRuns());
    }

    @Test
    void seekFollowsBlocks() {
        FileModel m = new FileModel(1 << 20);
        m.truncate(10 * B + 10);
        assertEquals(-1, m.seekData(0));
        assertEquals(5, m.seekHole(5));
        m.allocate(3 * B, 2 * B, true);
        assertEquals(3 * B, m.seekData(10));
        assertEquals(3 * B + 7, m.seekData(3 * B + 7));
        assertEquals(5 * B, m.seekHole(3 * B + 7));
        m.allocate(10 * B, B, true); // the last, partial block
        assertEquals(10 * B + 10, m.seekHole(10 * B + 1), "EOF is a hole");
        assertEquals(10 * B, m.seekData(5 * B + 1));
    }

    @Test
    void unknownBlocksMustBeLearntBeforeSeeking() {
        FileModel m = new FileModel(1 << 20);
        m.truncate(8 * B);
        m.allocate(B, B, true);
        m.allocateFailed(0, 4 * B);
        assertEquals(3, m.unknownBlocks()); // 0, 2, 3; block 1 was allocated
        assertTrue(m.hasUnknownBelow(8 * B));
        assertThrows(IllegalStateException.class, () -> m.seekData(0));
        m.learn(0, true);
        m.learn(2, true);
        m.learn(3, false);
        assertEquals(0, m.seekData(0));
        assertEquals(3 * B, m.seekHole(0));
    }

    @Test
    void shiftMovesRuns() {
        BitSet b = new BitSet();
        b.set(0, 3);
        b.set(5, 7);
        FileModel.shift(b, 5, -2); // drop [3,5), move [5,..) down 2
        BitSet want = new BitSet();
        want.set(0, 5);
        assertEquals(want, b);
        FileModel.shift(b, 1, 3);
        want.clear();
        want.set(0);
        want.set(4, 8);
        assertEquals(want, b);
    }
}
