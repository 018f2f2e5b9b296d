package io.daxfs.device;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * There is no device-DAX hardware here, so these tests exercise everything around it: sysfs
 * parsing against fake sysfs trees, device detection against real character-device nodes made
 * with mknod (when permitted), and the open/mmap/munmap path against a node equivalent to
 * /dev/zero and against ordinary files.
 *
 * <p>The device contract runs on mappings of ordinary files made by the same code that maps a
 * device ({@link DevDaxDevice#map}), with the persistence domain of an ADR platform, so
 * {@code persist} runs the generated cache write-back. It needs neither hardware nor mknod, so
 * it always runs; where the write-back code cannot be generated (not x86) a read-write map
 * fails, and so does the contract, loudly.
 */
class DevDaxDeviceTest extends DeviceContract {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    private int files;
    private Path readOnlyFile;

    @Override
    protected Device create(long size) throws Exception {
        Path file = tmp.resolve("contract-" + files++);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
        return DevDaxDevice.map(file, infoFor(size), false);
    }

    @Override
    protected Device createReadOnly(byte[] image) throws Exception {
        readOnlyFile = tmp.resolve("contract-ro");
        Files.write(readOnlyFile, image);
        return DevDaxDevice.map(readOnlyFile, infoFor(image.length), true);
    }

    @Override
    protected byte[] mediumAfterReadOnlyUse() throws IOException {
        return Files.readAllBytes(readOnlyFile);
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static Errno errnoOf(Executable e) {
        return assertThrows(DaxException.class, e::run).errno();
    }

    private interface Executable {
        void run() throws Exception;
    }

    // ---- sysfs ----

    @Test
    void readsSizeAndAlignFromTheDaxBus() throws Exception {
        Path sys = tmp.resolve("sys");
        write(sys.resolve("bus/dax/devices/dax0.0/size"), "16909336576\n");
        write(sys.resolve("bus/dax/devices/dax0.0/align"), "2097152\n");
        DevDaxDevice.SysfsInfo info = DevDaxDevice.readSysfs(sys, "dax0.0");
        assertEquals(16909336576L, info.size());
        assertEquals(2097152L, info.align());
        assertEquals(16909336576L, info.mapLength());
        assertNull(info.persistenceDomain(), "no NVDIMM region above the device");
    }

    @Test
    void fallsBackToTheDaxClassAndToPageAlignment() throws Exception {
        Path sys = tmp.resolve("sys");
        write(sys.resolve("class/dax/dax1.0/size"), "8388608\n");
        DevDaxDevice.SysfsInfo info = DevDaxDevice.readSysfs(sys, "dax1.0");
        assertEquals(8388608L, info.size());
        assertEquals(4096L, info.align());
    }

    @Test
    void mapLengthIsRoundedDownToTheAlignment() throws Exception {
        Path sys = tmp.resolve("sys");
        write(sys.resolve("bus/dax/devices/dax0.0/size"), String.valueOf(5 * 2 * MIB + 4096));
        write(sys.resolve("bus/dax/devices/dax0.0/align"), String.valueOf(2 * MIB));
        assertEquals(10 * MIB, DevDaxDevice.readSysfs(sys, "dax0.0").mapLength());
    }

    @Test
    void findsThePersistenceDomainOfTheEnclosingRegion() throws Exception {
        // Shaped like the real tree: bus/dax/devices/daxN.M is a symlink into the region's subtree.
        Path sys = tmp.resolve("sys");
        Path region = sys.resolve("devices/platform/ndbus0/region0");
        write(region.resolve("persistence_domain"), "memory_controller\n");
        write(region.resolve("dax0.1/dax0.0/size"), String.valueOf(4 * MIB));
        write(region.resolve("dax0.1/dax0.0/align"), String.valueOf(2 * MIB));
        Files.createDirectories(sys.resolve("bus/dax/devices"));
        Files.createSymbolicLink(sys.resolve("bus/dax/devices/dax0.0"),
                Path.of("../../../devices/platform/ndbus0/region0/dax0.1/dax0.0"));
        assertEquals("memory_controller", DevDaxDevice.readSysfs(sys, "dax0.0").persistenceDomain());

        write(region.resolve("persistence_domain"), "\n");
        assertEquals("none", DevDaxDevice.readSysfs(sys, "dax0.0").persistenceDomain());
    }

    @Test
    void sysfsErrors() throws Exception {
        Path sys = tmp.resolve("sys");
        Files.createDirectories(sys.resolve("bus/dax/devices/dax0.0")); // no size attribute
        DaxException missing = assertThrows(DaxException.class, () -> DevDaxDevice.readSysfs(sys, "dax0.0"));
        assertEquals(Errno.ENODEV, missing.errno());
        assertTrue(missing.getMessage().contains("dax0.0"), missing.getMessage());

        write(sys.resolve("bus/dax/devices/dax0.1/size"), "lots\n");
        assertEquals(Errno.EINVAL, errnoOf(() -> DevDaxDevice.readSysfs(sys, "dax0.1")));

        write(sys.resolve("bus/dax/devices/dax0.2/size"), "0\n");
        assertEquals(Errno.EINVAL, errnoOf(() -> DevDaxDevice.readSysfs(sys, "dax0.2")));

        write(sys.resolve("bus/dax/devices/dax0.3/size"), String.valueOf(4 * MIB));
        write(sys.resolve("bus/dax/devices/dax0.3/align"), "3000\n");
        assertEquals(Errno.EINVAL, errnoOf(() -> DevDaxDevice.readSysfs(sys, "dax0.3")));

        write(sys.resolve("bus/dax/devices/dax0.4/size"), String.valueOf(MIB));
        write(sys.resolve("bus/dax/devices/dax0.4/align"), String.valueOf(2 * MIB));
        assertEquals(Errno.EINVAL, errnoOf(() -> DevDaxDevice.readSysfs(sys, "dax0.4")), "smaller than one alignment unit");
    }

    // ---- detection ----

    /** Makes a character device node with the numbers of /dev/zero (1:5), or skips the test. */
    private static void mknodZero(Path node) throws Exception {
        Files.createDirectories(node.getParent());
        Process p = new ProcessBuilder("mknod", node.toString(), "c", "1", "5").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assumeTrue(p.waitFor() == 0, "mknod not permitted here");
    }

    @Test
    void detectsOnlyCharacterDevicesNamedDaxUnderDev() throws Exception {
        Path dev = tmp.resolve("dev");
        mknodZero(dev.resolve("dax0.0"));
        mknodZero(dev.resolve("zero"));
        mknodZero(tmp.resolve("elsewhere/dax0.0"));
        Files.writeString(dev.resolve("dax1.0"), "a regular file");
        Files.createDirectories(dev.resolve("dax2.0"));
        Files.createSymbolicLink(dev.resolve("pmem-fast"), Path.of("dax0.0"));

        assertTrue(DevDaxDevice.isDevDax(dev.resolve("dax0.0"), dev));
        assertTrue(DevDaxDevice.isDevDax(dev.resolve("pmem-fast"), dev), "a symlink to a dax node counts");
        assertFalse(DevDaxDevice.isDevDax(dev.resolve("zero"), dev), "wrong name");
        assertFalse(DevDaxDevice.isDevDax(dev.resolve("dax1.0"), dev), "regular file");
        assertFalse(DevDaxDevice.isDevDax(dev.resolve("dax2.0"), dev), "directory");
        assertFalse(DevDaxDevice.isDevDax(dev.resolve("dax3.0"), dev), "absent");
        assertFalse(DevDaxDevice.isDevDax(tmp.resolve("elsewhere/dax0.0"), dev), "not under /dev");
    }

    @Test
    void realDevEntriesThatAreNotDevDax() {
        assertFalse(DevDaxDevice.isDevDax(Path.of("/dev/zero")));
        assertFalse(DevDaxDevice.isDevDax(Path.of("/dev/dax-does-not-exist.9")));
        assertFalse(DevDaxDevice.isDevDax(Path.of("/dev")));
    }

    // ---- open, mmap, munmap ----

    @Test
    void opensAndMapsThroughTheWholePath() throws Exception {
        Path dev = tmp.resolve("dev");
        mknodZero(dev.resolve("dax0.0"));
        Path sys = tmp.resolve("sys");
        write(sys.resolve("bus/dax/devices/dax0.0/size"), String.valueOf(4 * MIB + 4096));
        write(sys.resolve("bus/dax/devices/dax0.0/align"), String.valueOf(2 * MIB));
        write(sys.resolve("bus/dax/devices/persistence_domain"), "cpu_cache\n");

        DevDaxDevice d = DevDaxDevice.open(dev.resolve("dax0.0"), false, dev, sys);
        try {
            assertEquals(4 * MIB, d.size(), "rounded down to the 2 MiB alignment");
            assertTrue(d.isSynchronous());
            assertFalse(d.isReadOnly());
            assertTrue(d.describe().contains("cpu_cache"), d.describe());
            assertEquals(0L, d.segment().get(JAVA_LONG, 4 * MIB - 8));
            // A shared mapping of the zero device is shared memory: stores stick.
            byte[] pattern = new byte[3000];
            new Random(5).nextBytes(pattern);
            MemorySegment.copy(pattern, 0, d.segment(), JAVA_BYTE, 2 * MIB - 1000, pattern.length);
            d.persist(2 * MIB - 1000, pattern.length);
            d.persist(0, d.size());
            d.fence();
            byte[] back = new byte[pattern.length];
            MemorySegment.copy(d.segment(), JAVA_BYTE, 2 * MIB - 1000, back, 0, back.length);
            assertArrayEquals(pattern, back);
            assertThrows(IndexOutOfBoundsException.class, () -> d.persist(4 * MIB - 8, 16));
        } finally {
            d.close();
            d.close();
        }
        assertThrows(IllegalStateException.class, () -> d.segment().get(JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, () -> d.persist(0, 64), "no write-back into unmapped memory");
    }

    @Test
    void openErrors() throws Exception {
        Path dev = tmp.resolve("dev");
        Path sys = tmp.resolve("sys");
        Files.createDirectories(sys);
        assertEquals(Errno.ENOENT, errnoOf(() -> DevDaxDevice.open(dev.resolve("dax0.0"), false, dev, sys)));
        Files.createDirectories(dev);
        Files.writeString(dev.resolve("dax1.0"), "not a device");
        assertEquals(Errno.ENODEV, errnoOf(() -> DevDaxDevice.open(dev.resolve("dax1.0"), false, dev, sys)));
        mknodZero(dev.resolve("dax0.0"));
        assertEquals(Errno.ENODEV, errnoOf(() -> DevDaxDevice.open(dev.resolve("dax0.0"), true, dev, sys)),
                "a node without sysfs attributes");
        assertEquals(Errno.ENOENT, errnoOf(() -> DevDaxDevice.open(Path.of("/dev/dax-does-not-exist.9"), true)));
        assertEquals(Errno.ENODEV, errnoOf(() -> DevDaxDevice.open(Path.of("/dev/zero"), true)));
    }

    private static DevDaxDevice.SysfsInfo infoFor(long size) {
        return new DevDaxDevice.SysfsInfo("test", size, 4096, "memory_controller");
    }

    private static boolean mapped(Path file) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.endsWith(file.toString()));
    }

    @Test
    void mapsAFileSharedAndUnmapsOnClose() throws Exception {
        Path file = tmp.resolve("backing-" + System.nanoTime());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(MIB);
        }
        DevDaxDevice d = DevDaxDevice.map(file, infoFor(MIB), false);
        assertTrue(mapped(file), "the mapping shows in /proc/self/maps");
        d.segment().set(JAVA_LONG, 4096, 0x0102030405060708L);
        d.persist(4096, 8);
        d.close();
        assertFalse(mapped(file), "close must munmap");
        // MAP_SHARED: the store reached the file itself.
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            f.seek(4096);
            assertEquals(0x0102030405060708L, Long.reverseBytes(f.readLong()));
        }
    }

    @Test
    void readOnlyMappingRejectsStoresWithAnException() throws Exception {
        Path file = tmp.resolve("ro-backing");
        byte[] content = new byte[2 * 4096];
        new Random(9).nextBytes(content);
        Files.write(file, content);
        try (DevDaxDevice d = DevDaxDevice.map(file, infoFor(content.length), true)) {
            assertTrue(d.isReadOnly());
            assertTrue(d.segment().isReadOnly());
            assertEquals(content[100], d.segment().get(JAVA_BYTE, 100));
            // A store to a PROT_READ page would kill the JVM; the read-only segment stops it first.
            assertThrows(IllegalArgumentException.class, () -> d.segment().set(JAVA_BYTE, 100, (byte) 0));
            d.persist(0, d.size());
            assertTrue(d.describe().contains("read-only"));
        }
        assertArrayEquals(content, Files.readAllBytes(file));
    }

    @Test
    void mapReportsErrno() throws Exception {
        assertEquals(Errno.ENOENT, errnoOf(() -> DevDaxDevice.map(tmp.resolve("nothing"), infoFor(4096), true)));
        assertEquals(Errno.EISDIR, errnoOf(() -> DevDaxDevice.map(tmp, infoFor(4096), false)));
        // mmap of a directory opened read-only: the kernel says ENODEV.
        assertEquals(Errno.ENODEV, errnoOf(() -> DevDaxDevice.map(tmp, infoFor(4096), true)));
        // EACCES cannot be provoked as root (these tests run as root here); check its translation.
        assertEquals(Errno.EACCES, Errno.ofCode(13));
        assertEquals(Errno.ENXIO, Errno.ofCode(6));
        assertNull(Errno.ofCode(4095));
    }
}
