package io.daxfs.mm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page table: what installs count, what revocation removes and when references go. */
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
    void aPageWindowShowsItsDevicePageAndHoldsOneReferenceAndMapcount() {
        PageTable m = shared(0, 4 * MIB, true);
        device.set(ValueLayout.JAVA_LONG, 7L * PAGE, 77);
        MemorySegment w = m.installPage(3, PageTable.Kind.DEVICE, 7, PageRefs.ORDER_4K, false);
        assertEquals(PAGE, w.byteSize());
        assertEquals(77, m.readWindow(3L * PAGE).get(ValueLayout.JAVA_LONG, 0));
        assertNull(m.writeWindow(3L * PAGE), "a read fault installs no write window");
        assertThrows(IllegalArgumentException.class, () -> w.set(ValueLayout.JAVA_LONG, 0, 1), "read-only");
        assertEquals(1, refs.refcount(7));
        assertEquals(1, refs.mapcount(7));
        m.installPage(3, PageTable.Kind.DEVICE, 7, PageRefs.ORDER_4K, true);
        assertNotNull(m.writeWindow(3L * PAGE));
        assertEquals(1, refs.refcount(7), "upgrading to writable takes no second reference");
    }

    @Test
    void revocationClosesTheWindowBeforeDroppingItsReference() {
        PageTable m = shared(0, 4 * MIB, true);
        MemorySegment w = m.installPage(3, PageTable.Kind.DEVICE, 7, PageRefs.ORDER_4K, true);
        assertEquals(1, m.revoke(0, 4, false));
        assertThrows(IllegalStateException.class, () -> w.get(ValueLayout.JAVA_BYTE, 0));
        assertNull(m.readWindow(3L * PAGE));
        assertTrue(refs.isIdle(7, PageRefs.ORDER_4K));
        assertEquals(1, revocations.sum());
    }

    @Test
    void aHugeWindowCountsOnTheFolioAndReplacesPageWindowsOfItsSlot() {
        PageTable m = shared(0, 4 * MIB, true);
        MemorySegment small = m.installPage(520, PageTable.Kind.DEVICE, 1000, PageRefs.ORDER_4K, false);
        MemorySegment huge = m.installHuge(512, PageTable.Kind.DEVICE, 1024, false);
        assertEquals(2 * MIB, huge.byteSize());
        assertFalse(small.scope().isAlive(), "the slot's 4 KiB windows were revoked first");
        assertTrue(refs.isIdle(1000, PageRefs.ORDER_4K));
        assertEquals(1, refs.mapcount(1024), "one mapcount on the folio head");
        assertTrue(refs.isIdle(1024 + 511, PageRefs.ORDER_4K) == false, "a tail page of a mapped folio is not idle");
        m.close();
        assertTrue(refs.isIdle(1024, PageRefs.ORDER_2M));
    }

    @Test
    void writeProtectRevokesOnlySlotsWithWriteWindows() {
        PageTable m = shared(0, 8 * MIB, true);
        MemorySegment ro = m.installPage(1, PageTable.Kind.DEVICE, 11, PageRefs.ORDER_4K, false);
        MemorySegment rw = m.installPage(600, PageTable.Kind.DEVICE, 12, PageRefs.ORDER_4K, true);
        assertEquals(1, m.writeProtect(0, 2048));
        assertTrue(ro.scope().isAlive());
        assertFalse(rw.scope().isAlive());
    }

    @Test
    void aPinIsTakenOnlyWhileTheWindowIsThere() {
        PageTable m = shared(0, 4 * MIB, true);
        assertEquals(-1, m.pin(3), "no window: fault first");
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
    void privateCopiesSurviveWindowRefreshesButNotALayoutBreak() {
        PageTable p = new PageTable(0, 4 * MIB, false, true, device, refs, zero, revocations, 2);
        device.set(ValueLayout.JAVA_LONG, 9L * PAGE, 5);
        MemorySegment copy = p.installCopy(2, device.asSlice(9L * PAGE, PAGE));
        copy.set(ValueLayout.JAVA_LONG, 0, 6);
        assertEquals(5, device.get(ValueLayout.JAVA_LONG, 9L * PAGE), "the device page is untouched");
        p.revoke(0, 512, false);
        assertNotNull(p.copyOf(2), "a revocation that only refreshes windows keeps the copy");
        assertEquals(6, p.installCopy(2, null).get(ValueLayout.JAVA_LONG, 0));
        p.revoke(0, 512, true);
        assertNull(p.copyOf(2), "a layout break discards it");
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
        assertThrows(IllegalStateException.class, () -> m.installPage(1031, PageTable.Kind.DEVICE, 6, 0, false));
    }
}
