package io.daxfs.testutil;

import io.daxfs.device.Device;
import io.daxfs.device.DeviceContract;
import io.daxfs.device.ImageFileDevice;
import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retained device keeps the device contract in each of its three kinds, except that its
 * segment survives close by design; and what it adds: loading images, freeing, and views that
 * persist through the device behind them.
 */
class RetainedDeviceTest {
    @Nested
    class Allocated extends DeviceContract {
        @Override
        protected Device create(long size) {
            return RetainedDevice.allocate(size);
        }

        @Override
        protected boolean segmentSurvivesClose() {
            return true;
        }
    }

    @Nested
    class Freeable extends DeviceContract {
        @Override
        protected Device create(long size) {
            return RetainedDevice.allocateFreeable(size);
        }

        @Override
        protected boolean segmentSurvivesClose() {
            return true;
        }

        @Override
        protected void dispose(Device device) {
            ((RetainedDevice) device).free();
        }
    }

    /** Views of memory devices, and of a read-only image file for the read-only case. */
    @Nested
    class View extends DeviceContract {
        @TempDir
        Path dir;

        private final Map<Device, Device> owners = new IdentityHashMap<>();
        private Path readOnlyImage;

        private Device viewOf(Device owner) {
            Device view = RetainedDevice.view(owner);
            owners.put(view, owner);
            return view;
        }

        @Override
        protected Device create(long size) {
            return viewOf(MemoryDevice.allocate(size));
        }

        @Override
        protected Device createReadOnly(byte[] image) throws Exception {
            readOnlyImage = dir.resolve("ro.img");
            Files.write(readOnlyImage, image);
            return viewOf(ImageFileDevice.open(readOnlyImage, true));
        }

        @Override
        protected byte[] mediumAfterReadOnlyUse() throws IOException {
            return Files.readAllBytes(readOnlyImage);
        }

        @Override
        protected boolean segmentSurvivesClose() {
            return true;
        }

        @Override
        protected void dispose(Device device) {
            owners.remove(device).close();
        }
    }

    @Test
    void copyOfAndLoadReplaceTheContents() {
        MemorySegment image = MemorySegment.ofArray(new long[1024]);
        image.set(JAVA_LONG, 16, 7L);
        RetainedDevice d = RetainedDevice.copyOf(image);
        assertEquals(8192, d.size());
        assertEquals(7L, d.segment().get(JAVA_LONG, 16));
        image.set(JAVA_LONG, 16, 8L);
        assertEquals(7L, d.segment().get(JAVA_LONG, 16), "a copy, not a view of the image");
        assertSame(d, d.load(image));
        assertEquals(8L, d.segment().get(JAVA_LONG, 16));
        assertThrows(IllegalArgumentException.class, () -> d.load(MemorySegment.ofArray(new long[512])));
    }

    @Test
    void onlyAFreeableDeviceCanBeFreedAndFreeingTwiceIsHarmless() {
        RetainedDevice freeable = RetainedDevice.allocateFreeable(4096);
        MemorySegment s = freeable.segment();
        freeable.free();
        freeable.free();
        assertThrows(IllegalStateException.class, () -> s.get(JAVA_LONG, 0));
        assertThrows(UnsupportedOperationException.class, () -> RetainedDevice.allocate(4096).free());
        try (MemoryDevice owner = MemoryDevice.allocate(4096)) {
            assertThrows(UnsupportedOperationException.class, () -> RetainedDevice.view(owner).free());
        }
    }

    @Test
    void aViewPersistsThroughTheDeviceBehindIt() {
        try (RecordingDevice owner = RecordingDevice.allocate(8192)) {
            RetainedDevice view = RetainedDevice.view(owner);
            assertSame(owner.segment(), view.segment());
            view.segment().set(JAVA_LONG, 4096, 5L);
            view.persist(4096, 8);
            view.fence();
            assertEquals(1, owner.persistencePoints());
            assertEquals(5L, owner.durableImage().get(JAVA_LONG, 4096));
            view.close();
            assertEquals(5L, owner.segment().get(JAVA_LONG, 4096), "closing the view leaves the owner open");
            assertTrue(view.describe().contains(owner.describe()), view.describe());
        }
    }
}
