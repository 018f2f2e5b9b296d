package io.daxfs.api;

import io.daxfs.types.MountOptions;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * fsync, fdatasync and sync: they succeed, and what they cover is durable: a later mount of the
 * image finds it. (That it survives a power failure as well takes a device that records what is
 * durable, which the API does not reach: io.daxfs.fs.PowerFailureTest.)
 */
class SyncSpec extends FsSpec {

    @Test
    void fsyncFdatasyncAndSyncSucceedInEveryState() throws Exception {
        try (DaxFile f = fs.open("/empty", CREATE, WRITE)) {
            assertDoesNotThrow(f::fsync);
            assertDoesNotThrow(f::fdatasync);
        }
        writeFile("/f", pattern(10_000, 1));
        try (DaxFile r = fs.open("/f", READ)) {
            assertDoesNotThrow(r::fsync, "a read-only handle may be synced");
            assertDoesNotThrow(r::fdatasync);
            assertDoesNotThrow(r::fsync, "syncing twice is harmless");
        }
        assertDoesNotThrow(fs::sync);
        assertDoesNotThrow(fs::sync);
        assertArrayEquals(pattern(10_000, 1), readFile("/f"));
    }

    @Nested
    class ImageFiles {
        @TempDir
        Path dir;

        @Test
        void dataPersistsAcrossUnmountAndMount() throws Exception {
            Path image = dir.resolve("fs.img");
            byte[] big = pattern(5 << 20, 6);
            try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
                a.mkdir("/d");
                try (DaxFile f = a.open("/d/big", CREATE, WRITE)) {
                    write(f, 0, big);
                    f.fsync();
                }
                try (DaxFile f = a.open("/d/small", CREATE, WRITE)) {
                    write(f, 0, utf8("small"));
                    // no fsync: unmount makes it durable
                }
            }
            try (DaxFileSystem b = DaxFileSystem.mount(image)) {
                try (DaxFile f = b.open("/d/big")) {
                    assertArrayEquals(big, readAll(f));
                }
                try (DaxFile f = b.open("/d/small", APPEND)) {
                    write(f, 0, utf8("+more"));
                }
            }
            try (DaxFileSystem c = DaxFileSystem.mount(image); DaxFile f = c.open("/d/small")) {
                assertArrayEquals(utf8("small+more"), readAll(f));
            }
        }

        @Test
        void manyMountCyclesAccumulateChanges() throws Exception {
            Path image = dir.resolve("cycles.img");
            DaxFileSystem.format(image, 64L << 20).close();
            for (int i = 0; i < 5; i++) {
                try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                    assertEquals(i, m.readdir("/").size());
                    try (DaxFile f = m.open("/f" + i, CREATE_NEW, WRITE)) {
                        write(f, 0, pattern(1000 * (i + 1), i));
                    }
                }
            }
            try (DaxFileSystem m = DaxFileSystem.mount(image)) {
                for (int i = 0; i < 5; i++) {
                    try (DaxFile f = m.open("/f" + i)) {
                        assertArrayEquals(pattern(1000 * (i + 1), i), readAll(f));
                    }
                }
            }
        }

        @Test
        void syncOnAReadOnlyMountIsANoOp() throws Exception {
            Path image = dir.resolve("ro.img");
            try (DaxFileSystem a = DaxFileSystem.format(image, 64L << 20)) {
                try (DaxFile f = a.open("/f", CREATE, WRITE)) {
                    write(f, 0, utf8("ro"));
                }
            }
            try (DaxFileSystem ro = DaxFileSystem.mount(image, MountOptions.DEFAULT.withReadOnly(true));
                 DaxFile f = ro.open("/f")) {
                assertDoesNotThrow(f::fsync);
                assertDoesNotThrow(f::fdatasync);
                assertDoesNotThrow(ro::sync);
                assertArrayEquals(utf8("ro"), readAll(f));
            }
        }
    }
}
