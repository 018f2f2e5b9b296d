package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.MountOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An image is locked by its mount: one read-write mount, or any number of read-only ones. */
class ImageLockTest {
    @Test
    void aSecondReadWriteMountIsRefusedUntilTheFirstCloses(@TempDir Path dir) throws Exception {
        Path img = dir.resolve("a.img");
        DaxFileSystem.format(img, 16 << 20).close();
        try (DaxFileSystem fs = DaxFileSystem.mount(img)) {
            fs.mkdir("/x");
            DaxException e = assertThrows(DaxException.class, () -> DaxFileSystem.mount(img));
            assertEquals(Errno.EBUSY, e.errno());
            assertEquals(Errno.EBUSY, assertThrows(DaxException.class,
                    () -> DaxFileSystem.mount(img, MountOptions.DEFAULT.withReadOnly(true))).errno());
            assertEquals(Errno.EBUSY, assertThrows(DaxException.class,
                    () -> DaxFileSystem.fsck(img, false, io.daxfs.types.ProgressListener.NONE)).errno());
        }
        try (DaxFileSystem fs = DaxFileSystem.mount(img)) {
            assertTrue(fs.exists("/x"));
        }
    }

    @Test
    void readOnlyMountsShareTheImage(@TempDir Path dir) throws Exception {
        Path img = dir.resolve("b.img");
        DaxFileSystem.format(img, 16 << 20).close();
        MountOptions ro = MountOptions.DEFAULT.withReadOnly(true);
        try (DaxFileSystem a = DaxFileSystem.mount(img, ro); DaxFileSystem b = DaxFileSystem.mount(img, ro)) {
            assertTrue(DaxFileSystem.fsck(img, false, io.daxfs.types.ProgressListener.NONE).clean());
            assertEquals(Errno.EBUSY, assertThrows(DaxException.class, () -> DaxFileSystem.mount(img)).errno());
        }
    }
}
