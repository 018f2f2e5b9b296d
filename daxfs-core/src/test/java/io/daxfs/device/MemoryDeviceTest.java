package io.daxfs.device;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory devices: the device contract, and how they are made (sizes, copies). */
class MemoryDeviceTest extends DeviceContract {
    @Override
    protected Device create(long size) {
        return MemoryDevice.allocate(size);
    }

    @Test
    void allocateRoundsUpToPagesAndIsZero() {
        try (MemoryDevice d = MemoryDevice.allocate(10_000)) {
            assertEquals(12_288, d.size());
            assertEquals(-1, d.segment().mismatch(MemorySegment.ofArray(new byte[12_288])));
            assertFalse(d.isReadOnly());
            assertTrue(d.isSynchronous());
        }
    }

    @Test
    void allocateRejectsNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> MemoryDevice.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> MemoryDevice.allocate(-4096));
    }

    @Test
    void copyOfCopiesAndPads() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocate(5000);
            for (long i = 0; i < 5000; i++) {
                image.set(JAVA_BYTE, i, (byte) (i * 7 + 1));
            }
            try (MemoryDevice d = MemoryDevice.copyOf(image)) {
                assertEquals(8192, d.size());
                assertEquals(-1, MemorySegment.mismatch(image, 0, 5000, d.segment(), 0, 5000));
                assertEquals(-1, d.segment().asSlice(5000).mismatch(MemorySegment.ofArray(new byte[8192 - 5000])));
                // A copy, not a view: changing the source leaves the device alone.
                image.set(JAVA_BYTE, 0, (byte) 99);
                assertEquals(1, d.segment().get(JAVA_BYTE, 0));
            }
        }
    }
}
