package io.daxfs.dax;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.api.DaxMapping;
import io.daxfs.api.DaxPin;
import io.daxfs.api.Internals;
import io.daxfs.device.Device;
import io.daxfs.device.RecordingDevice;
import io.daxfs.fs.VolumeFormatter;
import io.daxfs.lock.LockChecker;
import io.daxfs.mm.PageRefs;
import io.daxfs.testutil.RetainedDevice;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxFaultException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.types.DaxStats;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.MountOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.daxfs.fixture.FsFixture.filled;
import static io.daxfs.fixture.FsFixture.pattern;
import static io.daxfs.fixture.FsFixture.read;
import static io.daxfs.fixture.FsFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The races of docs/RACES.md that need the whole file system (R5-R7, R8 at the layout break,
 * R9, R11, R13-R21; the entry-lock-only ones are in {@link EntryLocksTest}), each forced
 * deterministically over a real mounted file system. Each test names its catalogue entry in
 * its display name, and the entry lists the test.
 *
 * <p>Interleavings are made with the {@link DaxHooks} points ({@link ScriptedHooks}) and
 * latches, never with sleeps: a thread that must be stopped at a point is gated there
 * ({@link ScriptedHooks#gate}); "thread X is blocked" is seen through a hook (an entry-lock
 * sleep, a layout-break wait) or, where no hook exists (the invalidate lock), by polling the
 * thread's state with a deadline ({@link #awaitParked}). Every wait is bounded, so a regression
 * fails instead of hanging the build.
 *
 * <p>White-box: the tests look at entries, page references and device offsets behind the API,
 * through {@link Internals}.
 */
class MappingRacesTest {
    static final int BLOCK = 4096;
    /** st_blocks units (512 bytes) per 4 KiB block. */
    static final long SECTORS_PER_BLOCK = BLOCK / 512;
    static final long MIB = 1 << 20;
    static final long TIMEOUT_SECONDS = ScriptedHooks.TIMEOUT_SECONDS;

    private final ScriptedHooks script = new ScriptedHooks();
    /** Closed after the test, last first; worker threads add to it too. */
    private final List<AutoCloseable> cleanup = new CopyOnWriteArrayList<>();
    /** The device of the hooked file system; a {@link RetainedDevice} where the test remounts. */
    private Device device;
    private DaxFileSystem fs;

    @AfterEach
    void releaseEverything() throws Exception {
        script.openAll(); // a failed test must not leave a thread gated in a hook
        for (AutoCloseable c : cleanup.reversed()) {
            try {
                c.close();
            } catch (Exception | Error e) {
                // the test already failed or the file system is gone; unmount comes next
            }
        }
        if (fs != null) {
            fs.close();
        }
    }

    // ================================================================== R5 Stale zero page after write()

    @Test
    @Timeout(30)
    @DisplayName("R5: write() allocating while a read fault holds the entry waits for it, and mapped reads then see the data")
    void r5_writeAllocatingWhileAReadFaultHoldsTheEntryWaitsForItAndMappedReadsSeeTheData() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 4 * BLOCK);
        DaxMapping m = map(f, 0, 4 * BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES);

        // R's read fault holds the entry lock of page 1 and has not asked for the block yet.
        script.gate("faultLocked:R");
        Worker<Long> r = Worker.start("R", () -> m.getLong(BLOCK + 8));
        script.awaitEvent("faultLocked:R");
        assertTrue(Entry.isEmpty(script.entry("faultLocked:R")), "R holds a fresh placeholder");

        // W's write allocates the block, then its invalidation of clean entries must wait for R.
        byte[] data = pattern(BLOCK, 5);
        Worker<Integer> w = Worker.start("W", () -> f.write(BLOCK, data, 0, BLOCK));
        script.awaitEvent("sleep:W");
        assertFalse(w.isDone(), "write() cannot finish while the read fault holds the entry");

        script.open("faultLocked:R");
        long seen = r.result();
        assertEquals(BLOCK, (int) w.result());
        long expected = longAt(data, 8);
        assertTrue(seen == 0 || seen == expected, "R saw the fresh block (zeroed or written), got " + seen);

        // The fault asked for the block after W had allocated it: no zero page was installed.
        EntryIndex idx = index(f);
        assertTrue(Entry.isReal(idx.load(1)), "page 1 maps the block: " + Entry.describe(idx.load(1)));
        assertEquals(expected, m.getLong(BLOCK + 8), "a later mapped read sees the data");
        assertArrayEquals(data, mapped(m, BLOCK, BLOCK));
    }

    @Test
    @Timeout(30)
    @DisplayName("R5: write() waits for a locked ZERO entry, then removes the stale zero page")
    void r5_writeWaitsForTheLockedZeroEntryAndThenRemovesTheStaleZeroPage() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 4 * BLOCK);
        DaxMapping reader = map(f, 0, 4 * BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES);
        assertEquals(0, reader.getLong(BLOCK), "a read of the hole maps the zero page");
        EntryIndex idx = index(f);
        assertTrue(Entry.isZero(idx.load(1)));

        // A copy-on-write fault of a private mapping locks the ZERO entry (and leaves it ZERO).
        DaxMapping priv = map(f, 0, 4 * BLOCK, DaxMapMode.PRIVATE, DaxMapOption.NO_HUGE_PAGES);
        script.gate("faultLocked:P");
        Worker<Void> p = Worker.start("P", () -> {
            priv.setLong(BLOCK, 7);
            return null;
        });
        script.awaitEvent("faultLocked:P");
        assertTrue(Entry.isZero(script.entry("faultLocked:P")), "P holds the ZERO entry locked");

        byte[] data = pattern(BLOCK, 6);
        Worker<Integer> w = Worker.start("W", () -> f.write(BLOCK, data, 0, BLOCK));
        script.awaitEvent("sleep:W");
        assertFalse(w.isDone(), "write()'s invalidation waits for the locked ZERO entry");

        script.open("faultLocked:P");
        p.result();
        assertEquals(BLOCK, (int) w.result());

        assertFalse(Entry.isZero(idx.load(1)), "write() removed the ZERO entry: " + Entry.describe(idx.load(1)));
        assertArrayEquals(data, mapped(reader, BLOCK, BLOCK), "the reader's stale zero page is gone");
        assertEquals(7, priv.getLong(BLOCK), "the private copy keeps its store");
        // W copies its bytes into unwritten blocks and marks them written before it invalidates,
        // so when P, let go, looks the page up, the page already holds W's data.
        assertEquals(longAt(data, 8), priv.getLong(BLOCK + 8), "and the file page as it was when P copied it");
    }

    // ================================================================== R6 Two write faults on one hole

    @Test
    @Timeout(30)
    @DisplayName("R6: simultaneous write faults on one hole serialise, and the second never re-zeroes")
    void r6_simultaneousWriteFaultsOnOneHoleSerialiseAndTheSecondNeverReZeroes() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 4 * BLOCK);
        DaxMapping a = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        DaxMapping b = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        long x = 0x1111_2222_3333_4444L;
        long y = 0x5555_6666_7777_8888L;

        script.gate("faultLocked:A");
        script.gate("faultLocked:B");
        Worker<Void> fa = Worker.start("A", () -> {
            a.setLong(BLOCK, x);
            return null;
        });
        script.awaitEvent("faultLocked:A");
        assertTrue(Entry.isEmpty(script.entry("faultLocked:A")));

        Worker<Void> fb = Worker.start("B", () -> {
            b.setLong(BLOCK + 8, y);
            return null;
        });
        script.awaitEvent("sleep:B");
        assertFalse(fb.isDone(), "the second write fault waits on the entry lock");

        // A allocates (a zeroed block), installs it and stores, while B is still waiting or gated.
        script.open("faultLocked:A");
        fa.result();
        script.awaitEvent("faultLocked:B");
        long seenByB = script.entry("faultLocked:B");
        assertTrue(Entry.isReal(seenByB), "B finds A's block, not a hole: " + Entry.describe(seenByB));
        script.open("faultLocked:B");
        fb.result();

        assertEquals(x, a.getLong(BLOCK), "the first fault's data survived the second");
        assertEquals(y, a.getLong(BLOCK + 8));
        assertEquals(x, b.getLong(BLOCK));
        byte[] page = read(f, BLOCK, BLOCK);
        assertEquals(x, longAt(page, 0));
        assertEquals(y, longAt(page, 8));
        for (int i = 16; i < BLOCK; i++) {
            assertEquals(0, page[i], "rest of the block is zero at " + i);
        }
        assertEquals(SECTORS_PER_BLOCK, f.stat().blocks(), "one block, allocated once");
    }

    // ================================================================== R7 Hole punch vs I/O into a pinned mapped buffer

    @Test
    @Timeout(30)
    @DisplayName("R7: a punch waits for I/O into a pinned mapped buffer, and the block is not reused meanwhile")
    void r7_punchWaitsForIoFromAPinnedMappedBufferAndTheBlockIsNotReusedMeanwhile() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        byte[] before = pattern(4 * BLOCK, 70);
        write(f, 0, before);
        f.fsync();
        DaxMapping m = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        MemorySegment window = m.window(BLOCK);
        long devOff = deviceOffset(window);
        DaxPin pin = pin(m, BLOCK, BLOCK); // the buffer of an in-flight direct I/O
        assertEquals(1, pin.pages());
        long free0 = freeBlocks();

        Worker<Void> t = Worker.start("T", () -> {
            f.punchHole(BLOCK, BLOCK);
            return null;
        });
        script.awaitEvent("layoutBusy:T");
        awaitParked(t);
        assertFalse(t.isDone(), "the punch waits for the pinned page");
        assertThrows(IllegalStateException.class, () -> window.get(ValueLayout.JAVA_BYTE, 0),
                "the range was unmapped before the busy scan");

        // Meanwhile the block is still the file's: not freed, and not handed to anyone else.
        assertEquals(free0, freeBlocks());
        Internals.volume(fs).journal().checkpoint();
        DaxFile g = fs.open("/g", CREATE, READ, WRITE);
        long gSize = fillFreeSpace(g, 71);
        assertTrue(gSize > 0);
        // The in-flight I/O completes into the pinned page (a DMA: device memory, no window).
        byte[] io = pattern(BLOCK, 72);
        MemorySegment.copy(MemorySegment.ofArray(io), 0, Internals.device(fs).segment(), devOff, BLOCK);
        verifyFill(g, gSize, 71);
        assertArrayEquals(io, deviceBytes(devOff, BLOCK), "the I/O landed in the file's own block");
        g.close();
        fs.unlink("/g");

        pin.close();
        t.result();
        assertEquals(1, fs.stats().layoutBreakWaits());
        byte[] after = read(f, 0, 4 * BLOCK);
        assertArrayEquals(slice(before, 0, BLOCK), slice(after, 0, BLOCK));
        assertArrayEquals(new byte[BLOCK], slice(after, BLOCK, BLOCK), "the punched block reads zero");
        assertArrayEquals(slice(before, 2 * BLOCK, 2 * BLOCK), slice(after, 2 * BLOCK, 2 * BLOCK));
        assertEquals(3 * SECTORS_PER_BLOCK, f.stat().blocks());
    }

    // ================================================================== R8 Busy scan skipping a locked entry

    @Test
    @Timeout(30)
    @DisplayName("R8: a layout break waits for an entry that writeback holds, then finds its page pinned")
    void r8_aLayoutBreakWaitsForAnEntryWritebackHoldsAndThenSeesItsPin() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        write(f, 0, pattern(4 * BLOCK, 80));
        f.fsync();
        DaxMapping m = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        m.setLong(3 * BLOCK, 88); // dirty: writeback will lock this entry
        long devOff = deviceOffset(m.window(3 * BLOCK));
        DaxPin pin = pin(m, 3 * BLOCK, 8); // and I/O into it is in flight
        EntryIndex idx = index(f);

        // S's fsync holds the entry lock of page 3 while it flushes the page.
        script.gate("writebackFlushing:S");
        Worker<Void> s = Worker.start("S", () -> {
            f.fsync();
            return null;
        });
        script.awaitEvent("writebackFlushing:S");
        assertTrue(Entry.isLocked(idx.load(3)), "writeback holds the entry");

        // T's punch has unmapped the range; its busy scan meets the locked entry and must wait on it.
        Worker<Void> t = Worker.start("T", () -> {
            f.punchHole(0, 4 * BLOCK);
            return null;
        });
        script.awaitEvent("sleep:T");
        assertFalse(t.isDone(), "the scan waits for the locked entry instead of skipping it");
        assertFalse(script.happened("layoutBusy:T"));

        // Writeback lets go; the scan looks at that same entry and finds the pin.
        script.open("writebackFlushing:S");
        script.awaitEvent("layoutBusy:T");
        awaitParked(t);
        assertFalse(t.isDone(), "the punch waits for the pinned page");
        assertTrue(Entry.isReal(idx.load(3)), "the pinned page keeps its entry: " + Entry.describe(idx.load(3)));
        assertEquals(88, Internals.device(fs).segment().get(ValueLayout.JAVA_LONG_UNALIGNED, devOff),
                "and its block keeps its data");

        pin.close();
        t.result();
        s.result(); // its data persist waited for T's I/O lock
        assertEquals(1, fs.stats().layoutBreakWaits());
        assertEquals(0, f.stat().blocks());
        assertArrayEquals(new byte[4 * BLOCK], read(f, 0, 4 * BLOCK));
    }

    // ================================================================== R9 Unmapped but still pinned

    @Test
    @Timeout(30)
    @DisplayName("R9: truncate waits for a pinned page that nothing maps any more")
    void r9_truncateWaitsForAPinnedPageThatIsNoLongerMapped() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        write(f, 0, pattern(4 * BLOCK, 90));
        DaxMapping m = f.map(0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        m.setLong(2 * BLOCK, 99);
        long devOff = deviceOffset(m.window(2 * BLOCK));
        long pfn = devOff >>> 12;
        DaxPin pin = pin(m, 2 * BLOCK, 8);
        m.close(); // unmapped: every window revoked; only the pin holds the page
        PageRefs refs = Internals.dax(fs).pageRefs();
        assertEquals(0, refs.mapcount(pfn), "no mapping left");
        assertTrue(refs.isBusy(pfn, PageRefs.ORDER_4K), "but still pinned");

        Worker<Void> t = Worker.start("T", () -> {
            f.truncate(BLOCK);
            return null;
        });
        script.awaitEvent("layoutBusy:T");
        awaitParked(t);
        assertFalse(t.isDone(), "truncate waits although nothing maps the page");
        assertEquals(99, Internals.device(fs).segment().get(ValueLayout.JAVA_LONG_UNALIGNED, devOff), "the pinned block keeps its data");

        pin.close();
        t.result();
        assertEquals(BLOCK, f.size());
        assertEquals(1, fs.stats().layoutBreakWaits());
        assertEquals(SECTORS_PER_BLOCK, f.stat().blocks());
    }

    // ================================================================== R11 A fault between a punch's unmap and its block free

    @Test
    @Timeout(30)
    @DisplayName("R11: no fault can map the range between a punch's unmap and its block free")
    void r11_aFaultCannotMapTheRangeBetweenThePunchsInvalidateAndItsBlockFree() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        byte[] data = pattern(8 * BLOCK, 110);
        write(f, 0, data);
        DaxMapping m = map(f, 0, 8 * BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES);
        assertEquals(longAt(data, 3 * BLOCK), m.getLong(3 * BLOCK));

        // P's punch holds the I/O and invalidate locks exclusive; it has unmapped the range and
        // deleted its entry, and is about to free the block.
        script.gate("deleteWake:P");
        Worker<Void> p = Worker.start("P", () -> {
            f.punchHole(3 * BLOCK, BLOCK);
            return null;
        });
        script.awaitEvent("deleteWake:P");
        long faults0 = fs.stats().faults4k();

        Worker<Long> fault = Worker.start("F", () -> m.getLong(3 * BLOCK));
        awaitParked(fault);
        assertFalse(fault.isDone(), "the fault waits for the invalidate lock");
        assertEquals(faults0, fs.stats().faults4k(), "the fault has not started resolving the page");
        assertEquals(Entry.ABSENT, index(f).load(3), "no entry can appear in the punched range");

        script.open("deleteWake:P");
        p.result();
        assertEquals(0, fault.result(), "after the punch, the fault sees the hole");
        assertEquals(0, m.getLong(3 * BLOCK + 8));
        assertEquals(longAt(data, 2 * BLOCK), m.getLong(2 * BLOCK));
        assertEquals(longAt(data, 4 * BLOCK), m.getLong(4 * BLOCK));
        assertEquals(7 * SECTORS_PER_BLOCK, f.stat().blocks());
    }

    // ================================================================== R13 Private-mapping 2 MiB / 4 KiB collision

    @Test
    @Timeout(30)
    @DisplayName("R13: a private copy-on-write fault waits for a private 2 MiB read fault, then copies its page")
    void r13_privateCowFaultWaitsForAPrivatePmdReadFaultThenSplitsIt() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = hugeFile();
        byte[] data = read(f, 0, (int) (2 * MIB));
        DaxMapping p = map(f, 0, 2 * MIB, DaxMapMode.PRIVATE);

        script.gate("faultLocked:A");
        Worker<Long> a = Worker.start("A", () -> p.getLong(100 * BLOCK));
        script.awaitEvent("faultLocked:A");
        assertTrue(Entry.isPmd(script.entry("faultLocked:A")), "A's 2 MiB read fault holds a PMD entry");

        Worker<Void> b = Worker.start("B", () -> {
            p.setLong(7 * BLOCK, -5);
            return null;
        });
        script.awaitEvent("sleep:B"); // the 4 KiB copy-on-write fault waits on the PMD entry
        assertFalse(b.isDone());

        script.open("faultLocked:A");
        assertEquals(longAt(data, 100 * BLOCK), a.result());
        b.result();
        script.awaitEvent("wake:B"); // the loser woke and retried

        assertEquals(1, fs.stats().faults2m(), "A mapped 2 MiB");
        assertEquals(1, fs.stats().copyOnWriteFaults());
        checkPrivateView(f, p, data);
    }

    @Test
    @Timeout(30)
    @DisplayName("R13: a private 2 MiB read fault over a locked copy-on-write entry falls back, and both succeed")
    void r13_privatePmdReadFaultOverALockedCowEntryFallsBackAndBothSucceed() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = hugeFile();
        byte[] data = read(f, 0, (int) (2 * MIB));
        DaxMapping p = map(f, 0, 2 * MIB, DaxMapMode.PRIVATE);

        script.gate("faultLocked:B");
        Worker<Void> b = Worker.start("B", () -> {
            p.setLong(7 * BLOCK, -5);
            return null;
        });
        script.awaitEvent("faultLocked:B");
        assertFalse(Entry.isPmd(script.entry("faultLocked:B")), "the copy-on-write fault holds a 4 KiB entry");

        // A's 2 MiB read fault meets the 4 KiB entry: CONFLICT, fall back, no sleep.
        Worker<Long> a = Worker.start("A", () -> p.getLong(100 * BLOCK));
        assertEquals(longAt(data, 100 * BLOCK), a.result(), "A completes while B still holds its entry");
        assertFalse(script.happened("sleep:A"), "A never slept on the smaller entry");
        assertEquals(1L, fs.stats().fallbacks().get("CONFLICT"));

        script.open("faultLocked:B");
        b.result();
        assertEquals(1, fs.stats().copyOnWriteFaults());
        checkPrivateView(f, p, data);
    }

    /** A file whose first 2 MiB is one aligned device run with a pattern, fsynced. */
    private DaxFile hugeFile() throws Exception {
        DaxFile f = file("/f", 0);
        f.allocate(0, 2 * MIB, false);
        write(f, 0, pattern((int) (2 * MIB), 130));
        f.fsync();
        try (DaxMapping probe = f.map(0, 2 * MIB, DaxMapMode.READ_ONLY)) {
            assertEquals(2 * MIB, probe.window(0).byteSize(), "the file's first 2 MiB can be one huge page");
        }
        // The race starts from an empty entry index and zero counters: remount.
        remount();
        DaxFile g = fs.open("/f", READ, WRITE);
        cleanup.add(g);
        return g;
    }

    private void checkPrivateView(DaxFile f, DaxMapping p, byte[] data) throws Exception {
        assertEquals(-5, p.getLong(7 * BLOCK), "the private copy holds the store");
        byte[] view = mapped(p, 0, (int) (2 * MIB));
        byte[] expected = data.clone();
        MemorySegment.ofArray(expected).set(ValueLayout.JAVA_LONG_UNALIGNED, 7 * BLOCK, -5);
        assertArrayEquals(expected, view, "the private view: the file plus its own store");
        assertArrayEquals(data, read(f, 0, (int) (2 * MIB)), "the file is unchanged");
        try (DaxMapping s = f.map(0, 2 * MIB, DaxMapMode.READ_ONLY)) {
            assertArrayEquals(data, mapped(s, 0, (int) (2 * MIB)), "a shared view sees the file");
        }
    }

    // ================================================================== R14 Synchronous write fault vs power failure

    @Test
    @Timeout(30)
    @DisplayName("R14: a synchronous write fault's store survives a crash without fsync once its line is flushed")
    void r14_aSyncWriteFaultsStoreSurvivesACrashWithoutFsyncOnceItsLineIsFlushed() throws Exception {
        RecordingDevice rec = RecordingDevice.allocate(64 * MIB);
        mountWithHooks(rec);
        DaxFile f = file("/f", 8 * BLOCK);
        f.fsync(); // the file itself is durable; its blocks are not allocated yet
        long commits0 = fs.stats().syncFaultCommits();

        DaxMapping m = map(f, 0, 8 * BLOCK, DaxMapMode.READ_WRITE_SYNC, DaxMapOption.NO_HUGE_PAGES);
        long value = 0x0DDC0FFEE0DDF00DL;
        m.setLong(3 * BLOCK + 64, value); // a synchronous write fault, then the store
        assertEquals(commits0 + 1, fs.stats().syncFaultCommits(), "the fault committed the new block's metadata");
        long devOff = deviceOffset(m.window(3 * BLOCK)) + 64;
        rec.persist(devOff, 8); // the application flushes just its store's line (clwb + sfence)

        // Power fails: nothing else was written back.
        try (DaxFileSystem crashed = Internals.mountAfterPowerFailure(rec);
             DaxFile g = crashed.open("/f", READ)) {
            assertEquals(8 * BLOCK, g.size());
            assertEquals(SECTORS_PER_BLOCK, g.stat().blocks(), "the block allocated by the fault is reachable");
            byte[] page = read(g, 3 * BLOCK, BLOCK);
            assertEquals(value, longAt(page, 64), "the flushed store is there");
            for (int i = 0; i < BLOCK; i++) {
                if (i < 64 || i >= 72) {
                    assertEquals(0, page[i], "the rest of the block is zero at " + i);
                }
            }
        }
    }

    // ================================================================== R15 A store during fsync's flush

    @Test
    @Timeout(30)
    @DisplayName("R15: a store during writeback's flush waits and re-dirties, so the next fsync flushes it")
    void r15_aStoreDuringWritebacksFlushWaitsAndRedirtiesSoTheNextFsyncFlushesIt() throws Exception {
        RecordingDevice rec = RecordingDevice.allocate(64 * MIB);
        mountWithHooks(rec);
        DaxFile f = file("/f", 4 * BLOCK);
        DaxMapping m = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        m.setLong(BLOCK, 7);
        f.fsync(); // the block and its zeroing are durable: from now on only writeback persists this page
        m.setLong(BLOCK, 1);
        long devOff = deviceOffset(m.window(BLOCK));
        EntryIndex idx = index(f);
        assertTrue(idx.getMark(1, EntryIndex.Mark.DIRTY), "a store after writeback dirties the entry again");
        long flushes0 = fs.stats().writebackFlushes();

        // S's fsync holds the entry lock, has cleared TOWRITE and write-protected the page.
        script.gate("writebackFlushing:S");
        Worker<Void> s = Worker.start("S", () -> {
            f.fsync();
            return null;
        });
        script.awaitEvent("writebackFlushing:S");
        assertFalse(idx.getMark(1, EntryIndex.Mark.TOWRITE));
        assertTrue(idx.getMark(1, EntryIndex.Mark.DIRTY), "DIRTY is cleared only after the flush");

        // W's store hits the write-protected page, faults, and waits for the entry lock.
        Worker<Void> w = Worker.start("W", () -> {
            m.setLong(BLOCK, 2);
            return null;
        });
        script.awaitEvent("sleep:W");
        assertFalse(w.isDone(), "the store waits for writeback");

        script.open("writebackFlushing:S");
        s.result();
        w.result();
        assertEquals(flushes0 + 1, fs.stats().writebackFlushes());
        assertTrue(idx.getMark(1, EntryIndex.Mark.DIRTY), "the racing store re-dirtied the entry");
        assertEquals(1, durableLong(rec, devOff), "the first fsync flushed the value before the racing store, not after");
        assertEquals(2, m.getLong(BLOCK));

        f.fsync();
        assertEquals(flushes0 + 2, fs.stats().writebackFlushes(), "the next fsync flushed the page again");
        assertFalse(idx.getMark(1, EntryIndex.Mark.DIRTY));
        assertEquals(2, durableLong(rec, devOff), "and the racing store is durable");
    }

    // ================================================================== R16 Unbalanced locking on a failing fault

    @Test
    @Timeout(30)
    @DisplayName("R16: a fault failing midway releases its locks, so the next fault and a truncate complete")
    void r16_aFaultFailingMidwayReleasesItsLocksSoTheNextFaultAndTruncateComplete() throws Exception {
        mountWithHooks(RetainedDevice.allocate(8 * MIB));
        DaxFile fill = file("/fill", 0);
        fillFreeSpace(fill, 160);
        DaxFile f = file("/f", 4 * MIB);
        DaxMapping huge = map(f, 0, 4 * MIB, DaxMapMode.READ_WRITE);
        DaxMapping small = map(f, 0, 4 * MIB, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);

        // Write faults that fail after taking the invalidate lock and an entry lock (ENOSPC from
        // the block allocation), on the 2 MiB path and on the 4 KiB path, each in its own thread.
        Worker<Errno> f2m = Worker.start("F2M", () -> faultErrno(() -> huge.setLong(3 * BLOCK, 1)));
        assertEquals(Errno.ENOSPC, f2m.result());
        Worker<Errno> f4k = Worker.start("F4K", () -> faultErrno(() -> small.setLong(2 * MIB + 5 * BLOCK, 1)));
        assertEquals(Errno.ENOSPC, f4k.result());
        f2m.join();
        f4k.join();

        EntryIndex idx = index(f);
        for (long i = idx.nextEntry(0, EntryIndex.MAX_INDEX); i >= 0; ) {
            long e = idx.load(i);
            assertFalse(Entry.isLocked(e), "entry " + i + " left locked: " + Entry.describe(e));
            i = idx.nextEntry(i + Entry.pages(e), EntryIndex.MAX_INDEX);
        }

        // The next faults on the same pages and a truncate of the same file complete.
        assertEquals(0L, Worker.start("R2M", () -> huge.getLong(3 * BLOCK)).result());
        assertEquals(0L, Worker.start("R4K", () -> small.getLong(2 * MIB + 5 * BLOCK)).result());
        Worker.start("T", () -> {
            f.truncate(BLOCK);
            return null;
        }).result();
        assertEquals(Errno.SIGBUS, Worker.start("BUS2", () -> faultErrno(() -> small.getLong(BLOCK))).result());
        fill.close();
        fs.unlink("/fill");
        checkpoint();
        Worker.start("W", () -> {
            small.setLong(8, 5);
            return null;
        }).result();
        assertEquals(5, small.getLong(8), "with space again, the write fault succeeds");
        Worker.start("T2", () -> {
            f.truncate(0);
            return null;
        }).result();

        if (LockChecker.ENABLED) {
            LockChecker.checkDeadThreads();
            assertEquals(List.of(), LockChecker.drainViolations(), "the lock checker saw no unbalanced locking");
            assertEquals(List.of(), LockChecker.heldByCurrentThread());
        }
    }

    // ================================================================== R17 Stale data exposed after a fallback

    @Test
    @Timeout(30)
    @DisplayName("R17: write faults on holes after 2 MiB fallbacks never expose another file's old bytes")
    void r17_writeFaultsOnHolesAfterFallbacksNeverExposeAnotherFilesOldBytes() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        // Fill the free space with a marker, in 256 KiB files, then free every other one: the
        // free space is 64-block runs full of marker bytes, none 2 MiB long.
        byte marker = (byte) 0xA5;
        byte[] chunk = filled(256 * 1024, marker);
        List<String> markers = new ArrayList<>();
        try {
            for (int i = 0; ; i++) {
                String name = "/m" + i;
                try (DaxFile mf = fs.open(name, CREATE, WRITE)) {
                    markers.add(name);
                    if (mf.write(0, chunk, 0, chunk.length) < chunk.length) {
                        break;
                    }
                }
            }
        } catch (DaxException e) {
            assertEquals(Errno.ENOSPC, e.errno());
        }
        assertTrue(markers.size() > 100);
        fs.sync();
        for (int i = 0; i < markers.size(); i += 2) {
            fs.unlink(markers.get(i));
        }
        checkpoint(); // the freed marker blocks are reusable now

        long size = 8 * MIB;
        DaxFile f = file("/f", size);
        byte[] expected = new byte[(int) size];
        try (DaxMapping hugeMap = f.map(0, 6 * MIB, DaxMapMode.READ_WRITE);
             DaxMapping small = f.map(6 * MIB, 2 * MIB, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES)) {
            // 2 MiB attempts: the allocation comes back shorter than 2 MiB, the fault falls back.
            for (long off : new long[]{5 * BLOCK + 3, 2 * MIB + 300 * BLOCK + 17, 4 * MIB + 511 * BLOCK + 4095}) {
                hugeMap.setByte(off, (byte) 0x3C);
                expected[(int) off] = 0x3C;
            }
            // 4 KiB faults.
            for (long off : new long[]{7, 3 * BLOCK + 100, 200 * BLOCK + 8}) {
                small.setByte(off, (byte) 0x5A);
                expected[(int) (6 * MIB + off)] = 0x5A;
            }
            DaxStats st = fs.stats();
            assertTrue(st.fallbacks().get("PARTIAL") > 0, "2 MiB faults fell back after a short allocation: " + st);
            assertEquals(0, st.faults2m());
            assertTrue(f.stat().blocks() > 6 * SECTORS_PER_BLOCK, "fallbacks allocated more than the pages written");

            byte[] viaMap = new byte[(int) size];
            hugeMap.copyTo(0, MemorySegment.ofArray(viaMap).asSlice(0, 6 * MIB));
            small.copyTo(0, MemorySegment.ofArray(viaMap).asSlice(6 * MIB, 2 * MIB));
            assertNoMarker(expected, viaMap, "mapped reads");
        }
        assertNoMarker(expected, read(f, 0, (int) size), "read()");
        remount();
        try (DaxFile g = fs.open("/f", READ)) {
            assertNoMarker(expected, read(g, 0, (int) size), "read() after remount");
        }
    }

    private static void assertNoMarker(byte[] expected, byte[] got, String how) {
        for (int i = 0; i < got.length; i++) {
            if (got[i] != expected[i]) {
                fail(how + ": byte " + i + " (page " + (i >>> 12) + ") is " + got[i] + ", expected " + expected[i]);
            }
        }
    }

    // ================================================================== R18 Access through a revoked window

    @Test
    @Timeout(30)
    @DisplayName("R18: a window looked up before a punch is dead before its block can go to another file, and the accessors refault")
    void r18_aWindowRevokedBetweenLookupAndAccessNeverReachesTheBlocksNextOwner() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        byte[] data = pattern(4 * BLOCK, 180);
        write(f, 0, data);
        f.fsync();
        DaxMapping m = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);

        // A has looked up the window of page 1 (lookups take no lock) and has not used it yet.
        MemorySegment seen = m.window(BLOCK);
        long devOff = deviceOffset(seen);
        long block = devOff >>> 12;
        assertEquals(longAt(data, BLOCK + 8), seen.get(ValueLayout.JAVA_LONG_UNALIGNED, 8));

        // T punches the page; once checkpointed the block is free, and G's one-block write (best
        // fit: the one-block gap the punch left) takes it.
        Worker.start("T", () -> {
            f.punchHole(BLOCK, BLOCK);
            return null;
        }).result();
        checkpoint();
        var allocator = Internals.volume(fs).blockAllocator();
        assertFalse(allocator.inUse(block), "no page reference kept the punched block from being freed");
        DaxFile g = file("/g", 0);
        byte[] gData = pattern(BLOCK, 181);
        write(g, 0, gData);
        assertTrue(allocator.inUse(block), "the punched block now belongs to /g");
        assertArrayEquals(gData, deviceBytes(devOff, BLOCK));

        // A's access through the window it looked up fails: it can neither read nor overwrite G's data.
        assertThrows(IllegalStateException.class, () -> seen.get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
        assertThrows(IllegalStateException.class, () -> seen.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, -1L));
        assertArrayEquals(gData, read(g, 0, BLOCK));

        // The mapping's accessors refault: the hole reads zero, the rest of the slot the file's data.
        assertEquals(0, m.getLong(BLOCK + 8));
        assertEquals(longAt(data, 0), m.getLong(0));
        assertEquals(longAt(data, 2 * BLOCK), m.getLong(2 * BLOCK));
        assertTrue(fs.stats().revocations() > 0);
    }

    // ================================================================== R19 A pin racing a layout break

    @Test
    @Timeout(30)
    @DisplayName("R19: a pin taken after a layout break unmapped the page faults and waits, instead of pinning the block being freed")
    void r19_aPinAfterTheLayoutBreaksUnmapWaitsForTheBreakInsteadOfPinningTheDoomedBlock() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        byte[] data = pattern(4 * BLOCK, 190);
        write(f, 0, data);
        f.fsync();
        // P's mapping is read-only, so writeback (which revokes only writable windows) leaves it alone.
        DaxMapping p = map(f, 0, 4 * BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES);
        assertEquals(longAt(data, BLOCK), p.getLong(BLOCK), "P's window of page 1 is installed");
        long pfn = deviceOffset(p.window(BLOCK)) >>> 12;
        DaxMapping w = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        w.setLong(3 * BLOCK, 33); // dirty: writeback will hold page 3's entry

        // S's fsync holds the entry lock of page 3.
        script.gate("writebackFlushing:S");
        Worker<Void> s = Worker.start("S", () -> {
            f.fsync();
            return null;
        });
        script.awaitEvent("writebackFlushing:S");

        // T's punch of pages 0-3 waits on page 3 in its busy scan: it has unmapped the whole range
        // and found page 1 idle already.
        Worker<Void> t = Worker.start("T", () -> {
            f.punchHole(0, 4 * BLOCK);
            return null;
        });
        script.awaitEvent("sleep:T");

        // P pins page 1 now: it finds no window, so it faults, and the fault waits for T.
        Worker<DaxPin> pinner = Worker.start("P", () -> pin(p, BLOCK, 8));
        awaitParked(pinner);
        assertFalse(pinner.isDone(), "the pin waits for the layout break");
        assertFalse(Internals.dax(fs).pageRefs().isBusy(pfn, PageRefs.ORDER_4K), "the block about to be freed is not pinned");

        script.open("writebackFlushing:S");
        t.result();
        DaxPin got = pinner.result();
        s.result();
        assertEquals(0, got.pages(), "after the punch page 1 is a hole: there is no block to pin");
        assertEquals(0, fs.stats().layoutBreakWaits(), "the break never met a busy page");
        assertEquals(0, f.stat().blocks());
        assertEquals(0, p.getLong(BLOCK));
    }

    // ================================================================== R28 A segment being stitched vs a truncate

    @Test
    @Timeout(30)
    @DisplayName("R28: a segment whose page was faulted in and then truncated away holds nothing and maps nothing of the freed block")
    void r28_aSegmentWhosePageIsTruncatedBetweenFaultAndHoldFaultsAgainAndNeverReachesTheFreedBlock() throws Exception {
        mountWithHooks(io.daxfs.device.MemoryDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        write(f, 0, pattern(4 * BLOCK, 280));
        f.fsync();
        long block = firstBlock(f);
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
        cleanup.add(arena::close);

        // M's segment build has faulted page 0 in; it has not taken its hold yet.
        script.gate("segmentFaulted:M");
        Worker<MemorySegment> m = Worker.start("M", () -> f.mapSegment(0, 4 * BLOCK, DaxMapMode.READ_ONLY, arena));
        script.awaitEvent("segmentFaulted:M");
        assertEquals(1, Internals.dax(fs).pageRefs().mapcount(block), "M's builder has page 0 installed");

        // T truncates the file away: its layout break revokes M's entry, and the block is freed.
        f.truncate(0);
        assertTrue(Internals.dax(fs).pageRefs().isIdle(block, PageRefs.ORDER_4K), "nothing holds the freed block");

        script.open("segmentFaulted:M");
        AssertionError failed = assertThrows(AssertionError.class, m::result);
        DaxException e = assertInstanceOf(DaxException.class, failed.getCause());
        assertEquals(Errno.SIGBUS, e.errno(), "M faults again and finds the file gone: " + e.getMessage());
        assertTrue(Internals.dax(fs).pageRefs().isIdle(block, PageRefs.ORDER_4K), "M took no hold on the freed block");
    }

    // ================================================================== R29 A segment's arena closed while it is being stitched

    @Test
    @Timeout(30)
    @DisplayName("R29: an arena closed between the JDK's mapping and the stitching leaves the freed address space alone")
    void r29_anArenaClosedBeforeTheStitchingLeavesTheAddressSpaceTheJdkGaveBackAlone() throws Exception {
        mountWithHooks(io.daxfs.device.MemoryDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        write(f, 0, pattern(4 * BLOCK, 290));
        long block = firstBlock(f);
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();

        // M has the carrier mapped for the arena, its cleanup registered, and is about to stitch.
        script.gate("segmentCarried:M");
        Worker<MemorySegment> m = Worker.start("M", () -> f.mapSegment(0, 4 * BLOCK, DaxMapMode.READ_ONLY, arena));
        script.awaitEvent("segmentCarried:M");
        long address = script.entry("segmentCarried:M");
        assertTrue(mapped(address), "the JDK has the range mapped");

        // T closes the arena: the cleanup runs (nothing is stitched yet), then the JDK unmaps.
        arena.close();
        assertFalse(mapped(address), "the JDK gave the range back");
        assertTrue(Internals.dax(fs).pageRefs().isIdle(block, PageRefs.ORDER_4K), "the cleanup released M's holds");

        script.open("segmentCarried:M");
        IllegalStateException failed = assertThrows(IllegalStateException.class, m::result, "M finds its arena closed");
        assertTrue(failed.getMessage().contains("arena was closed"), failed.getMessage());
        assertFalse(mapped(address), "M mapped nothing over the address space the JDK gave back");
    }

    @Test
    @Timeout(30)
    @DisplayName("R29: closing a confined arena, whose first cleanup is the JDK's unmap, maps nothing over the range afterwards")
    void r29_closingAConfinedArenaLeavesTheRangeTheJdkUnmappedAlone() throws Exception {
        mountWithHooks(io.daxfs.device.MemoryDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        write(f, 0, pattern(4 * BLOCK, 291));
        long block = firstBlock(f);
        // C maps in a fresh confined arena (the JDK's unmap is then its first cleanup, which a
        // confined arena runs before all others) and closes it.
        Worker<Long> c = Worker.start("C", () -> {
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                MemorySegment s = f.mapSegment(0, 4 * BLOCK, DaxMapMode.READ_WRITE, arena);
                assertEquals(longAt(pattern(4 * BLOCK, 291), 8), s.get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
                return script.entry("segmentCarried:C");
            }
        });
        long address = c.result();
        assertFalse(mapped(address), "nothing was mapped over the range after the JDK unmapped it");
        assertTrue(Internals.dax(fs).pageRefs().isIdle(block, PageRefs.ORDER_4K), "the holds are released");
    }

    // ================================================================== R30 A segment's arena closed between two runs of the stitching

    @Test
    @Timeout(30)
    @DisplayName("R30: an arena closed between two mmaps of the stitching still gets the segment's pages released by its cleanup")
    void r30_anArenaClosedBetweenTwoRunsOfTheStitchingHasItsCleanupReleaseTheHoldsTheFailedStitchKept() throws Exception {
        mountWithHooks(io.daxfs.device.MemoryDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        // Blocks 0 and 2 written, block 1 a hole: the read-only segment is stitched in two runs.
        write(f, 0, pattern(BLOCK, 300));
        write(f, 2 * BLOCK, pattern(BLOCK, 301));
        long block = firstBlock(f);
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();

        // M has mapped its first run, under the segment's monitor.
        script.gate("segmentRunMapped:M");
        Worker<MemorySegment> m = Worker.start("M", () -> f.mapSegment(0, 3 * BLOCK, DaxMapMode.READ_ONLY, arena));
        script.awaitEvent("segmentRunMapped:M");
        long address = script.entry("segmentCarried:M");

        // T closes the arena; its cleanup is about to take the monitor M holds.
        script.gate("segmentReleasing:T");
        Worker<Void> t = Worker.start("T", () -> {
            arena.close();
            return null;
        });
        script.awaitEvent("segmentReleasing:T");

        // M's second mmap finds the arena closed; its detach cannot cover the range and keeps the holds.
        script.open("segmentRunMapped:M");
        assertThrows(IllegalStateException.class, m::result, "M finds its arena closed");
        assertFalse(Internals.dax(fs).pageRefs().isIdle(block, PageRefs.ORDER_4K),
                "the range could not be covered, so its pages are still held");

        // T's cleanup runs after the detach: the arena is closed, so it releases what the detach kept.
        script.open("segmentReleasing:T");
        t.result();
        assertTrue(Internals.dax(fs).pageRefs().isIdle(block, PageRefs.ORDER_4K), "the cleanup released M's holds");
        assertFalse(mapped(address), "the JDK gave the range back");
    }

    /** The device block of file block 0, read through a mapping closed again at once. */
    private long firstBlock(DaxFile f) throws Exception {
        try (DaxMapping probe = f.map(0, BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES)) {
            return deviceOffset(probe.window(0)) >>> 12;
        }
    }

    /** True when {@code address} lies in a mapping of this process (/proc/self/maps). */
    private static boolean mapped(long address) throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            if (Long.compareUnsigned(Long.parseUnsignedLong(range[0], 16), address) <= 0
                    && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0) {
                return true;
            }
        }
        return false;
    }

    // ================================================================== R20 Synchronous fault's commit vs a waiting write()

    @Test
    @Timeout(30)
    @DisplayName("R20: a synchronous write fault commits with its entry locked while write() to the same page waits for that entry")
    void r20_aSyncWriteFaultCommitsWhileAWriterWaitsForItsEntryHoldingNoJournalHandle() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 4 * BLOCK);
        f.fsync();
        DaxMapping m = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE_SYNC, DaxMapOption.NO_HUGE_PAGES);
        long commits0 = fs.stats().syncFaultCommits();

        // S's synchronous write fault holds the entry lock of page 1 and has not asked for the block.
        script.gate("faultLocked:S");
        Worker<Void> s = Worker.start("S", () -> {
            m.setLong(BLOCK + 16, 0x5E);
            return null;
        });
        script.awaitEvent("faultLocked:S");
        assertTrue(Entry.isEmpty(script.entry("faultLocked:S")), "S holds a fresh placeholder");

        // W's write() allocates the block, then its zero-page invalidation waits for S's entry.
        byte[] data = pattern(BLOCK, 200);
        Worker<Integer> w = Worker.start("W", () -> f.write(BLOCK, data, 0, BLOCK));
        script.awaitEvent("sleep:W");
        assertFalse(w.isDone());

        // S finds W's block (W copied its bytes and marked the block written before it began to
        // wait) and commits, which waits for every open journal handle: W holds none. W, woken by
        // S's unlock, is held until S's store is done, so that the outcome is fixed.
        script.gate("wake:W");
        script.open("faultLocked:S");
        s.result();
        script.awaitEvent("wake:W");
        script.open("wake:W");
        assertEquals(BLOCK, (int) w.result(), "write() finished after the fault");
        assertEquals(commits0 + 1, fs.stats().syncFaultCommits(), "the fault committed with its entry lock held");
        assertTrue(Entry.isReal(index(f).load(1)));
        byte[] expected = data.clone();
        java.nio.ByteBuffer.wrap(expected).order(java.nio.ByteOrder.nativeOrder()).putLong(16, 0x5E);
        assertArrayEquals(expected, read(f, BLOCK, BLOCK), "the fault's store landed on write()'s bytes");
        assertArrayEquals(expected, mapped(m, BLOCK, BLOCK));
        assertEquals(SECTORS_PER_BLOCK, f.stat().blocks(), "one block, allocated once");
    }

    // ================================================================== R21 A layout break waiting for a pin vs the pin owner's faults

    @Test
    @Timeout(30)
    @DisplayName("R21: a layout break waiting for a pin lets the pin's owner fault, and rescans once the pin goes")
    void r21_aLayoutBreakWaitsForAPinWithoutTheInvalidateLockSoThePinOwnerCanFault() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        byte[] data = pattern(4 * BLOCK, 210);
        write(f, 0, data);
        f.fsync();
        DaxMapping m = map(f, 0, 4 * BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES);
        DaxPin pin = pin(m, BLOCK, 8); // P's I/O buffer

        Worker<Void> t = Worker.start("T", () -> {
            f.punchHole(BLOCK, BLOCK);
            return null;
        });
        script.awaitEvent("layoutBusy:T");
        awaitParked(t);
        assertFalse(t.isDone(), "the punch waits for the pinned page");

        // To finish its I/O, P reads its buffer and the page after it. The break unmapped both
        // (the whole 2 MiB slot), so both are faults, served while the break waits.
        long faults0 = fs.stats().faults4k();
        Worker<long[]> p = Worker.start("P", () -> new long[] {m.getLong(BLOCK), m.getLong(2 * BLOCK)});
        long[] got = p.result();
        assertEquals(longAt(data, BLOCK), got[0], "the pinned page still shows the file's data");
        assertEquals(longAt(data, 2 * BLOCK), got[1]);
        assertEquals(faults0 + 2, fs.stats().faults4k());
        assertFalse(t.isDone());

        pin.close();
        t.result();
        assertEquals(1, fs.stats().layoutBreakWaits());
        assertEquals(0, m.getLong(BLOCK), "the rescan unmapped the window P faulted in, and the block is gone");
        assertEquals(longAt(data, 2 * BLOCK), m.getLong(2 * BLOCK));
        assertEquals(3 * SECTORS_PER_BLOCK, f.stat().blocks());
    }

    // ================================================================== helpers

    private long freeBlocks() {
        return fs.statfs().freeBlocks();
    }

    /** Commits and checkpoints, so that every deferred free has been released. */
    private void checkpoint() throws DaxException {
        fs.sync();
        Internals.volume(fs).journal().checkpoint();
    }

    /** Formats {@code device} and mounts it with the hooks: the test's file system. */
    private void mountWithHooks(Device device) throws Exception {
        this.device = device;
        VolumeFormatter.format(device, FormatOptions.DEFAULT);
        fs = Internals.mount(device, MountOptions.DEFAULT, script);
    }

    /** Unmounts and mounts the same device again: fresh DAX state (indexes, counters). */
    private void remount() throws Exception {
        for (AutoCloseable c : cleanup.reversed()) {
            try {
                c.close();
            } catch (DaxException e) {
                // closed already
            }
        }
        cleanup.clear();
        fs.close();
        fs = null;
        fs = Internals.mount(device, MountOptions.DEFAULT, script);
    }

    private DaxFile file(String path, long size) throws Exception {
        DaxFile f = fs.open(path, CREATE, READ, WRITE);
        cleanup.add(f);
        if (size > 0) {
            f.truncate(size);
        }
        return f;
    }

    private DaxMapping map(DaxFile f, long pos, long len, DaxMapMode mode, DaxMapOption... options) throws Exception {
        DaxMapping m = f.map(pos, len, mode, options);
        cleanup.add(m);
        return m;
    }

    private DaxPin pin(DaxMapping m, long off, long len) throws Exception {
        DaxPin p = m.pin(off, len);
        cleanup.add(p);
        return p;
    }

    private EntryIndex index(DaxFile f) {
        EntryIndex idx = Internals.dax(fs).indexOf(Internals.openFile(f).inode());
        assertNotNull(idx, "the file was never mapped");
        return idx;
    }

    /** The device offset a window shows (windows are re-scoped slices of the device segment). */
    private long deviceOffset(MemorySegment window) {
        long off = window.address() - Internals.device(fs).segment().address();
        assertTrue(off >= 0 && off < Internals.device(fs).size(), "a device window");
        return off;
    }

    private byte[] deviceBytes(long off, int len) {
        return Internals.device(fs).segment().asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
    }

    private static long durableLong(RecordingDevice rec, long off) {
        return rec.durableImage().get(ValueLayout.JAVA_LONG_UNALIGNED, off);
    }

    private static byte[] mapped(DaxMapping m, long off, int len) {
        byte[] b = new byte[len];
        m.copyTo(off, MemorySegment.ofArray(b));
        return b;
    }

    private static long longAt(byte[] b, int off) {
        return MemorySegment.ofArray(b).get(ValueLayout.JAVA_LONG_UNALIGNED, off);
    }

    private static byte[] slice(byte[] b, int off, int len) {
        return Arrays.copyOfRange(b, off, off + len);
    }

    private static Errno faultErrno(Runnable access) {
        return assertThrows(DaxFaultException.class, access::run).errno();
    }

    /** Writes a seeded pattern to {@code f} until the file system is full; returns the size written. */
    private static long fillFreeSpace(DaxFile f, long seed) {
        int chunk = 1 << 20;
        long pos = 0;
        try {
            for (;;) {
                byte[] data = pattern(chunk, seed + pos);
                long n = f.write(pos, data, 0, chunk);
                pos += n;
                if (n < chunk) {
                    return pos;
                }
            }
        } catch (DaxException e) {
            assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
            return pos;
        }
    }

    private static void verifyFill(DaxFile f, long size, long seed) throws DaxException {
        int chunk = 1 << 20;
        for (long pos = 0; pos < size; pos += chunk) {
            int n = (int) Math.min(chunk, size - pos);
            assertArrayEquals(slice(pattern(chunk, seed + pos), 0, n), read(f, pos, n), "fill file intact at " + pos);
        }
    }

    /**
     * Waits, up to the timeout, until {@code a}'s thread is parked (blocked on a lock with no
     * hook of its own, such as the invalidate lock). The last resort the brief allows: a state
     * poll with a deadline, no sleep.
     */
    private static void awaitParked(Worker<?> a) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            Thread.State s = a.thread().getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.BLOCKED) {
                return;
            }
            if (a.isDone()) {
                fail(a.thread().getName() + " finished instead of blocking");
            }
            Thread.onSpinWait();
        }
        fail(a.thread().getName() + " never blocked (state " + a.thread().getState() + ")");
    }
}
