package io.daxfs.device;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every {@link Device} promises, whatever the backend: a segment of exactly {@code size()}
 * bytes, page-aligned, in which reads see writes; {@code persist} refuses ranges outside the
 * device with an IndexOutOfBoundsException; a read-only device refuses stores and never changes
 * the medium; {@code close} may be called again, and the segment dies with the device (except
 * for a device made to outlive its close, which says so with {@link #segmentSurvivesClose()});
 * {@code describe} is one line.
 *
 * <p>Each backend's test extends this class and says how to make its devices; its own tests
 * cover what only that backend does. A backend without a read-only mode has the read-only case
 * skipped, with the reason in the report, rather than passed.
 */
public abstract class DeviceContract {
    /** The size of the contract's devices: two pages, so a range can straddle a page boundary. */
    protected static final long SIZE = 8192;

    private final List<Device> made = new ArrayList<>();

    /** A fresh read-write device of exactly {@code size} bytes (a multiple of 4096), all zeros. */
    protected abstract Device create(long size) throws Exception;

    /**
     * A read-only device over a medium holding {@code image} (its length a multiple of 4096), or
     * null when the backend has no read-only mode. {@link #mediumAfterReadOnlyUse()} then tells
     * what the medium holds after the device is closed.
     */
    protected Device createReadOnly(byte[] image) throws Exception {
        return null;
    }

    /** The medium of the last {@link #createReadOnly} device, read without the device. */
    protected byte[] mediumAfterReadOnlyUse() throws Exception {
        throw new UnsupportedOperationException("no read-only mode");
    }

    /** True for a device whose close leaves the segment usable (a test device kept for inspection). */
    protected boolean segmentSurvivesClose() {
        return false;
    }

    /** Releases what a device holds beyond its close (for devices whose close does not). */
    protected void dispose(Device device) throws Exception {
        device.close();
    }

    private Device device() throws Exception {
        Device d = create(SIZE);
        made.add(d);
        return d;
    }

    @AfterEach
    final void disposeDevices() throws Exception {
        for (Device d : made) {
            dispose(d);
        }
        made.clear();
    }

    @Test
    void theSegmentIsTheWholeDevicePageAlignedAndZero() throws Exception {
        Device d = device();
        assertEquals(SIZE, d.size());
        assertEquals(d.size(), d.segment().byteSize());
        assertEquals(0, d.size() % 4096, "a whole number of pages");
        assertEquals(0, d.segment().address() % 4096, "page-aligned");
        assertEquals(-1, d.segment().mismatch(MemorySegment.ofArray(new byte[(int) SIZE])), "a fresh device reads zeros");
        assertFalse(d.isReadOnly());
        assertFalse(d.segment().isReadOnly());
    }

    @Test
    void readsSeeWritesBeforeAndAfterPersist() throws Exception {
        Device d = device();
        byte[] pattern = new byte[3000];
        new SplittableRandom(5).nextBytes(pattern);
        long across = SIZE / 2 - 1000; // straddles the page boundary
        MemorySegment.copy(pattern, 0, d.segment(), JAVA_BYTE, across, pattern.length);
        d.segment().set(JAVA_LONG, 0, 0x1122334455667788L);
        d.segment().set(JAVA_LONG, SIZE - 8, 42L);
        assertArrayEquals(pattern, bytes(d, across, pattern.length));
        d.persist(across, pattern.length);
        d.persist(0, 8);
        d.persist(SIZE - 8, 8);
        d.persist(0, SIZE);
        d.fence();
        assertArrayEquals(pattern, bytes(d, across, pattern.length));
        assertEquals(0x1122334455667788L, d.segment().get(JAVA_LONG, 0));
        assertEquals(42L, d.segment().get(JAVA_LONG, SIZE - 8));
        assertEquals(0L, d.segment().get(JAVA_LONG, 4096 - 1024), "untouched bytes stay zero");
    }

    @Test
    void persistAcceptsEveryRangeInsideTheDeviceAndRefusesTheRest() throws Exception {
        Device d = device();
        d.persist(0, SIZE);
        d.persist(SIZE, 0);
        d.persist(0, 0);
        d.persist(SIZE - 1, 1);
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(SIZE - 4096, 4097));
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(SIZE - 192, 200));
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(SIZE - 1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(SIZE, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(-1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(-8, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(0, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(Long.MAX_VALUE, 2));
    }

    @Test
    void aReadOnlyDeviceRefusesStoresAndLeavesTheMediumAlone() throws Exception {
        byte[] image = new byte[(int) SIZE];
        new SplittableRandom(3).nextBytes(image);
        Device d = createReadOnly(image);
        assumeTrue(d != null, getClass().getSimpleName() + ": this backend has no read-only mode");
        made.add(d);
        assertTrue(d.isReadOnly());
        assertTrue(d.segment().isReadOnly());
        assertEquals(SIZE, d.size());
        assertArrayEquals(image, bytes(d, 0, (int) SIZE), "reads see the medium");
        assertThrows(IllegalArgumentException.class, () -> d.segment().set(JAVA_LONG, 0, 1L));
        assertThrows(IllegalArgumentException.class,
                () -> MemorySegment.copy(MemorySegment.ofArray(new byte[64]), 0, d.segment(), 0, 64));
        d.persist(0, SIZE); // nothing to write back: not an error
        d.fence();
        assertThrows(IndexOutOfBoundsException.class, () -> d.persist(SIZE, 1), "the range is still checked");
        d.close();
        assertArrayEquals(image, mediumAfterReadOnlyUse());
    }

    @Test
    void closeMayBeRepeatedAndTheSegmentDiesWithTheDevice() throws Exception {
        Device d = device();
        MemorySegment s = d.segment();
        s.set(JAVA_LONG, 64, 42L);
        d.close();
        d.close();
        if (segmentSurvivesClose()) {
            assertEquals(42L, s.get(JAVA_LONG, 64), "kept for inspection after close");
            s.set(JAVA_LONG, 64, 43L);
            assertEquals(43L, d.segment().get(JAVA_LONG, 64));
        } else {
            assertThrows(IllegalStateException.class, () -> s.get(JAVA_LONG, 64));
            assertThrows(IllegalStateException.class, () -> d.segment().get(JAVA_LONG, 0));
        }
    }

    @Test
    void describeIsOneLineBeforeAndAfterClose() throws Exception {
        Device d = device();
        assertOneLine(d.describe());
        d.close();
        assertOneLine(assertDoesNotThrow(d::describe));
    }

    private static void assertOneLine(String s) {
        assertFalse(s.isBlank(), "describe() is empty");
        assertFalse(s.contains("\n") || s.contains("\r"), "describe() is not one line: " + s);
    }

    private static byte[] bytes(Device d, long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(d.segment(), JAVA_BYTE, offset, b, 0, length);
        return b;
    }
}
