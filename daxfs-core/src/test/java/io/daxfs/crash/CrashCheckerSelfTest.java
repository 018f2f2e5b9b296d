package io.daxfs.crash;

import io.daxfs.api.Internals;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FormatOptions;
import io.daxfs.device.RecordingDevice;
import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash checker must not pass vacuously: each test breaks one promise behind the model's
 * back (or lies to the model) and expects the checker to report it.
 */
class CrashCheckerSelfTest {
    private RecordingDevice dev;
    private DaxFileSystem fs;
    private ModelFs m;
    private CrashChecker checker;

    @BeforeEach
    void setUp() throws Exception {
        dev = RecordingDevice.allocate(8L << 20);
        Internals.format(RetainedDevice.view(dev), FormatOptions.DEFAULT).close();
        fs = Internals.mount(RetainedDevice.view(dev), CrashChecker.MOUNT);
        m = new ModelFs(fs);
        checker = new CrashChecker(m.model);
        m.mkdir("/d");
        m.create("/d/a");
        m.write("/d/a", 0, 10_000);
        m.sync();
    }

    @AfterEach
    void tearDown() throws Exception {
        fs.close();
        checker.free();
        dev.close();
    }

    private List<String> check() {
        return checker.check(dev.durableImage(), true);
    }

    @Test
    void acceptsTheTruth() {
        assertEquals(List.of(), check());
    }

    @Test
    void reportsAnUnsyncedWriteThatWasPromised() throws Exception {
        m.write("/d/a", 100, 50);
        m.model.promiseFile(m.model.entry("/d/a").node(), true); // a lie: no fsync
        List<String> p = check();
        assertTrue(p.toString().contains("/d/a"), p.toString());
    }

    @Test
    void reportsStaleData() throws Exception {
        byte[] marker = new byte[8192];
        Pattern.fillMarker(marker, 0, marker.length, 0);
        try (DaxFile f = fs.open("/d/a", StandardOpenOption.WRITE)) {
            f.write(0, MemorySegment.ofArray(marker)); // behind the model's back
            f.fsync();
        }
        List<String> p = check();
        assertTrue(p.toString().contains("STALE DATA"), p.toString());
    }

    @Test
    void reportsAMissingFile() throws Exception {
        fs.unlink("/d/a");
        fs.sync();
        List<String> p = check();
        assertTrue(p.toString().contains("/d/a: missing"), p.toString());
    }

    @Test
    void reportsAnUnexpectedEntry() throws Exception {
        fs.mkdir("/d/ghost");
        fs.sync();
        List<String> p = check();
        assertTrue(p.toString().contains("/d/ghost"), p.toString());
    }

    @Test
    void reportsAWrongSize() throws Exception {
        try (DaxFile f = fs.open("/d/a", StandardOpenOption.WRITE)) {
            f.truncate(20_000);
            f.fsync();
        }
        List<String> p = check();
        assertTrue(p.toString().contains("size 20000"), p.toString());
    }
}
