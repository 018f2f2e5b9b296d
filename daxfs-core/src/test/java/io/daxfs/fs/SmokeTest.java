package io.daxfs.fs;

import io.daxfs.api.Internals;
import io.daxfs.api.*;
import io.daxfs.types.*;
import io.daxfs.device.MemoryDevice;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.*;

class SmokeTest {
    @Test
    void formatWriteRemountRead() throws Exception {
        MemoryDevice dev = MemoryDevice.allocate(64 << 20);
        DaxFileSystem fs = Internals.format(dev, FormatOptions.DEFAULT);
        fs.mkdir("/d");
        try (DaxFile f = fs.open("/d/a", StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            f.write(0, MemorySegment.ofArray("hello".getBytes()));
            f.fsync();
        }
        assertEquals(5, fs.stat("/d/a").size());
        Internals.volume(fs).journal().checkpoint();
        MemorySegment copy = MemorySegment.ofArray(new byte[(int) dev.size()]);
        MemorySegment.copy(dev.segment(), 0, copy, 0, dev.size());
        fs.close();
        try (DaxFileSystem fs2 = Internals.mount(MemoryDevice.copyOf(copy), MountOptions.DEFAULT)) {
            assertEquals(5, fs2.stat("/d/a").size());
            byte[] b = new byte[5];
            try (DaxFile f = fs2.open("/d/a")) {
                assertEquals(5, f.read(0, b, 0, 5));
            }
            assertEquals("hello", new String(b));
            assertEquals(1, fs2.readdir("/d").size());
        }
    }
}
