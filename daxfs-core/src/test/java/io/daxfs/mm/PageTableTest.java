package io.daxfs.mm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page table: what installs count, what a change of entries retires, and when references go. */
class PageTableTest {
    static final long MIB = 1 << 20;
    static final int PAGE = 4096;

    final MemorySegment device = Arena.ofAuto().allocate(16 * MIB, 2 * MIB);
    final PageRefs refs = new PageRefs(16 * MIB / PAGE);
    final ZeroPage zero = new ZeroPage();
    final LongAdder revocations = new LongAdder();

    PageTable shared(long start, long len, boolean writable) {
        return new PageTable(start, len, true, writable, device, refs, zero, revocations, 1);
    }

    @Test
    void aPageEntryShowsItsDevicePageAndHoldsOneReferenceAndMapcount() {
        PageTable m = shared(0, 4 * MIB, true);
        device.set(ValueLayout.JAVA_LONG, 7L * PAGE, 77);
        m.installPage(3, PageTable.Kind.DEVICE, 7, PageRefs.ORDER_4K, false);
        MemorySegment w = m.window(3L * PAGE, false);
        assertEquals(PAGE, w.byteSize());
        assertEquals(77, w.get(ValueLayout.JAVA_LONG, 0));
        assertNull(m.window(3L * PAGE, true), "a read fault installs no right to store");
        assertThrows(IllegalArgumentException.class, () -> w.set(ValueLayout.JAVA_LONG, 0, 1), "read-only");
        assertEquals(1, refs.refcount(7));
        assertEquals(1, refs.mapcount(7));
        PageTable.Epoch before = m.epoch();
        m.installPage(3, PageTable.Kind.DEVICE, 7, PageRefs.ORDER_4K, true);
        assertNotNull(m.window(3L * PAGE, true));
        assertEquals(1, refs.refcount(7), "upgrading to writable takes no second reference");
        assertSame(before, m.epoch(), "an install or upgrade makes no new epoch");
        assertEquals(0, revocations.sum());
    }

    @Test
    void revocationClosesTheEpochBeforeDroppingTheReference() {
        PageTable m = shared(0, 4 * MIB, true);
        m.installPage(3, PageTable.Kind.DEVICE, 7, PageRefs.ORDER_4K, true);
        MemorySegment w = m.window(3L * PAGE, true);
        PageTable.Epoch old = m.epoch();
        assertEquals(1, m.revoke(0, 4, false));
        assertThrows(IllegalStateException.class, () -> w.get(ValueLayout.JAVA_BYTE, 0));
        assertFalse(old.isAlive());
        assertTrue(m.epoch().isAlive());
        assertEquals(0, m.entry(m.epoch(), 3L * PAGE));
        assertNull(m.window(3L * PAGE, false));
        assertTrue(refs.isIdle(7, PageRefs.ORDER_4K));
        assertEquals(1, revocations.sum(), "one epoch retired");
    }

    @Test
    void oneRevocationOfManyEntriesRetiresOneEpoch() {
        PageTable m = shared(0, 16 * MIB, true);
        for (long slot = 0; slot < 8; slot++) {
            m.installHuge(slot * 512, PageTable.Kind.DEVICE, slot * 512, true);
        }
        m.installPage(4 * 512 + 9, PageTable.Kind.DEVICE, 9, PageRefs.ORDER_4K, false);
        assertEquals(8, m.revoke(0, 8 * 512, true));
        assertEquals(2, revocations.sum(), "the 4 KiB install replaced one 2 MiB entry (one epoch), the truncate one more");
        for (long slot = 0; slot < 8; slot++) {
            assertTrue(refs.isIdle(slot * 512, PageRefs.ORDER_2M));
        }
    }

    @Test
    void aHugeEntryCountsOnTheFolioAndReplacesThePageEntriesOfItsSlot() {
        PageTable m = shared(0, 4 * MIB, true);
        m.installPage(520, PageTable.Kind.DEVICE, 1000, PageRefs.ORDER_4K, false);
        MemorySegment small = m.window(520L * PAGE, false);
        m.installHuge(512, PageTable.Kind.DEVICE, 1024, false);
        MemorySegment huge = m.window(512L * PAGE, false);
        assertEquals(2 * MIB, huge.byteSize());
        assertFalse(small.scope().isAlive(), "the slot's 4 KiB entries were removed first, in a new epoch");
        assertTrue(refs.isIdle(1000, PageRefs.ORDER_4K));
        assertEquals(1, refs.mapcount(1024), "one mapcount on the folio head");
        assertFalse(refs.isIdle(1024 + 511, PageRefs.ORDER_4K), "a tail page of a mapped folio is not idle");
        m.close();
        assertTrue(refs.isIdle(1024, PageRefs.ORDER_2M));
    }

    @Test
    void writeProtectTakesAwayStoresButKeepsReadsAndReferences() {
        PageTable m = shared(0, 8 * MIB, true);
        m.installPage(1, PageTable.Kind.DEVICE, 11, PageRefs.ORDER_4K, false);
        m.installPage(600, PageTable.Kind.DEVICE, 12, PageRefs.ORDER_4K, true);
        MemorySegment rw = m.window(600L * PAGE, true);
        assertEquals(1, m.writeProtect(0, 2048));
        assertFalse(rw.scope().isAlive(), "the epoch with the right to store is closed");
        assertNull(m.window(600L * PAGE, true), "a store faults");
        assertNotNull(m.window(600L * PAGE, false), "a read does not");
        assertEquals(1, refs.refcount(12));
        assertEquals(0, m.writeProtect(0, 2048), "nothing left to protect: no new epoch");
        assertEquals(1, revocations.sum());
    }

    @Test
    void zeroPageEntriesAreClearedInPlaceUnlessAWindowOntoThemIsOut() {
        PageTable m = shared(0, 4 * MIB, true);
        m.installPage(5, PageTable.Kind.ZERO, 0, 0, false);
        PageTable.Epoch e = m.epoch();
        assertEquals(PageTable.ZERO, m.entry(e, 5L * PAGE));
        m.revoke(5, 6, false);
        assertSame(e, m.epoch(), "no window was out: cleared in place");
        assertEquals(0, m.entry(e, 5L * PAGE));
        m.installPage(5, PageTable.Kind.ZERO, 0, 0, false);
        MemorySegment w = m.window(5L * PAGE, false);
        assertEquals(0, w.get(ValueLayout.JAVA_LONG, 8));
        m.revoke(5, 6, false);
        assertNotSame(e, m.epoch(), "a window onto the zero page was out: the epoch closes");
        assertFalse(w.scope().isAlive());
    }

    @Test
    void aLayoutBreakRemovesEveryEntryOfTheSlotsItTouchesAndOnlyTheCopiesOfItsRange() {
        PageTable m = shared(0, 4 * MIB, true);
        m.installPage(3, PageTable.Kind.DEVICE, 515, PageRefs.ORDER_2M, true);  // 4 KiB pages of one 2 MiB folio
        m.installPage(300, PageTable.Kind.DEVICE, 812, PageRefs.ORDER_2M, true);
        m.installPage(600, PageTable.Kind.DEVICE, 9, PageRefs.ORDER_4K, true);  // the next slot
        m.revoke(3, 4, true);
        assertEquals(0, m.entry(m.epoch(), 300L * PAGE), "the break deletes the whole 2 MiB index entry: no entry of its slot outlives it");
        assertTrue(refs.isIdle(512, PageRefs.ORDER_2M));
        assertNotNull(m.window(600L * PAGE, false), "a slot the range does not touch keeps its entries");
        m.revoke(0, 512, false);
        assertEquals(0, m.entry(m.epoch(), 3L * PAGE));

        PageTable p = new PageTable(0, 4 * MIB, false, true, device, refs, zero, revocations, 2);
        p.installCopy(2, null);
        p.installCopy(7, null);
        p.revoke(2, 3, true);
        assertFalse(p.hasCopy(2));
        assertTrue(p.hasCopy(7), "a copy outside the range stays");
        assertNotNull(p.window(7L * PAGE, true), "and so does its entry");
        p.close();
    }

    @Test
    void aPinIsTakenOnlyWhileTheEntryIsThere() {
        PageTable m = shared(0, 4 * MIB, true);
        assertEquals(-1, m.pin(3), "no entry: fault first");
        m.installPage(3, PageTable.Kind.DEVICE, 7, PageRefs.ORDER_4K, false);
        assertEquals(7L << 1, m.pin(3));
        m.revoke(0, 512, false);
        assertTrue(refs.isBusy(7, PageRefs.ORDER_4K), "unmapped but pinned is busy");
        refs.unpin(7, PageRefs.ORDER_4K);
        assertTrue(refs.isIdle(7, PageRefs.ORDER_4K));
        m.installPage(4, PageTable.Kind.ZERO, 0, 0, false);
        assertEquals(-2, m.pin(4), "the zero page is not a device page");
    }

    @Test
    void privateCopiesSurviveEntryRefreshesButNotALayoutBreak() {
        PageTable p = new PageTable(0, 4 * MIB, false, true, device, refs, zero, revocations, 2);
        device.set(ValueLayout.JAVA_LONG, 9L * PAGE, 5);
        p.installCopy(2, device.asSlice(9L * PAGE, PAGE));
        MemorySegment copy = p.window(2L * PAGE, true);
        copy.set(ValueLayout.JAVA_LONG, 0, 6);
        assertEquals(5, device.get(ValueLayout.JAVA_LONG, 9L * PAGE), "the device page is untouched");
        p.revoke(0, 512, false);
        assertTrue(p.hasCopy(2), "a revocation that only refreshes entries keeps the copy");
        assertEquals(6, p.window(2L * PAGE, false).get(ValueLayout.JAVA_LONG, 0));
        p.revoke(0, 512, true);
        assertFalse(p.hasCopy(2), "a layout break discards it");
        assertFalse(copy.scope().isAlive(), "and no window onto it is left");
        assertNull(p.window(2L * PAGE, false));
        p.close();
    }

    @Test
    void aClosedMappingRefusesInstallsAndHoldsNoReferences() {
        PageTable m = shared(2 * MIB, 4 * MIB, true);
        m.installHuge(512, PageTable.Kind.DEVICE, 2048, true);
        m.installPage(1030, PageTable.Kind.DEVICE, 5, PageRefs.ORDER_4K, true);
        m.close();
        assertTrue(refs.isIdle(2048, PageRefs.ORDER_2M));
        assertTrue(refs.isIdle(5, PageRefs.ORDER_4K));
        assertFalse(m.epoch().isAlive());
        assertEquals(0, m.entry(m.epoch(), 512L * PAGE));
        assertThrows(IllegalStateException.class, () -> m.installPage(1031, PageTable.Kind.DEVICE, 6, 0, false));
    }
}
