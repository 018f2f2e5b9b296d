package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DaxFaultException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.DaxMapOption;
import io.daxfs.types.DaxStats;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.MountOptions;

import io.daxfs.dax.DaxHooks;
import io.daxfs.dax.Entry;
import io.daxfs.dax.EntryIndex;
import io.daxfs.device.Device;
import io.daxfs.device.MemoryDevice;
import io.daxfs.device.RecordingDevice;
import io.daxfs.fs.VolumeFormatter;
import io.daxfs.lock.LockChecker;
import io.daxfs.mm.PageRefs;
import io.daxfs.testutil.RetainedDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The historical DAX races of model section 11 that need the whole file system (5, 6, 7, 9, 11,
 * 13-17; the entry-lock-only ones are in {@code io.daxfs.dax.EntryLocksTest}), each forced
 * deterministically over a real mounted file system. Interleavings are made with the
 * {@link DaxHooks} points and latches, never with sleeps: a thread that must be stopped at a
 * point is gated there ({@link Script#gate}); "thread X is blocked" is seen through a hook
 * (an entry-lock sleep, a layout-break wait) or, where no hook exists (the invalidate lock), by
 * polling the thread's state with a deadline. Every wait is bounded, so a regression fails
 * instead of hanging the build.
 */
class MappingRacesSpec extends FsSpec {
    static final long MIB = 1 << 20;
    static final long TIMEOUT_SECONDS = 10;

    private final Script script = new Script();
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    /** The device of the hooked file system; a {@link RetainedDevice} where the test remounts. */
    private Device device;

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
    }

    // ================================================================== race 5

    @Test
    @Timeout(30)
    void race5_writeAllocatingWhileAReadFaultHoldsTheEntryWaitsForItAndMappedReadsSeeTheData() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 4 * BLOCK);
        DaxMapping m = map(f, 0, 4 * BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES);

        // R's read fault holds the entry lock of page 1 and has not asked for the block yet.
        script.gate("faultLocked:R");
        Actor<Long> r = Actor.start("R", () -> m.getLong(BLOCK + 8));
        script.await("faultLocked:R");
        assertTrue(Entry.isEmpty(script.entry("faultLocked:R")), "R holds a fresh placeholder");

        // W's write allocates the block, then its invalidation of clean entries must wait for R.
        byte[] data = pattern(BLOCK, 5);
        Actor<Integer> w = Actor.start("W", () -> f.write(BLOCK, data, 0, BLOCK));
        script.await("sleep:W");
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
    void race5_writeWaitsForTheLockedZeroEntryAndThenRemovesTheStaleZeroPage() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 4 * BLOCK);
        DaxMapping reader = map(f, 0, 4 * BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES);
        assertEquals(0, reader.getLong(BLOCK), "a read of the hole maps the zero page");
        EntryIndex idx = index(f);
        assertTrue(Entry.isZero(idx.load(1)));

        // A copy-on-write fault of a private mapping locks the ZERO entry (and leaves it ZERO).
        DaxMapping priv = map(f, 0, 4 * BLOCK, DaxMapMode.PRIVATE, DaxMapOption.NO_HUGE_PAGES);
        script.gate("faultLocked:P");
        Actor<Void> p = Actor.start("P", () -> {
            priv.setLong(BLOCK, 7);
            return null;
        });
        script.await("faultLocked:P");
        assertTrue(Entry.isZero(script.entry("faultLocked:P")), "P holds the ZERO entry locked");

        byte[] data = pattern(BLOCK, 6);
        Actor<Integer> w = Actor.start("W", () -> f.write(BLOCK, data, 0, BLOCK));
        script.await("sleep:W");
        assertFalse(w.isDone(), "write()'s invalidation waits for the locked ZERO entry");

        script.open("faultLocked:P");
        p.result();
        assertEquals(BLOCK, (int) w.result());

        assertFalse(Entry.isZero(idx.load(1)), "write() removed the ZERO entry: " + Entry.describe(idx.load(1)));
        assertArrayEquals(data, mapped(reader, BLOCK, BLOCK), "the reader's stale zero page is gone");
        assertEquals(7, priv.getLong(BLOCK), "the private copy keeps its store");
        assertEquals(0, priv.getLong(BLOCK + 8), "and the file page as it was when P copied it");
    }

    // ================================================================== race 6

    @Test
    @Timeout(30)
    void race6_simultaneousWriteFaultsOnOneHoleSerialiseAndTheSecondNeverReZeroes() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 4 * BLOCK);
        DaxMapping a = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        DaxMapping b = map(f, 0, 4 * BLOCK, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);
        long x = 0x1111_2222_3333_4444L;
        long y = 0x5555_6666_7777_8888L;

        script.gate("faultLocked:A");
        script.gate("faultLocked:B");
        Actor<Void> fa = Actor.start("A", () -> {
            a.setLong(BLOCK, x);
            return null;
        });
        script.await("faultLocked:A");
        assertTrue(Entry.isEmpty(script.entry("faultLocked:A")));

        Actor<Void> fb = Actor.start("B", () -> {
            b.setLong(BLOCK + 8, y);
            return null;
        });
        script.await("sleep:B");
        assertFalse(fb.isDone(), "the second write fault waits on the entry lock");

        // A allocates (a zeroed block), installs it and stores, while B is still waiting or gated.
        script.open("faultLocked:A");
        fa.result();
        script.await("faultLocked:B");
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

    // ================================================================== race 7

    @Test
    @Timeout(30)
    void race7_punchWaitsForIoFromAPinnedMappedBufferAndTheBlockIsNotReusedMeanwhile() throws Exception {
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

        Actor<Void> t = Actor.start("T", () -> {
            f.punchHole(BLOCK, BLOCK);
            return null;
        });
        script.await("layoutBusy:T");
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
        MemorySegment.copy(MemorySegment.ofArray(io), 0, fs.device().segment(), devOff, BLOCK);
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

    // ================================================================== race 9

    @Test
    @Timeout(30)
    void race9_truncateWaitsForAPinnedPageThatIsNoLongerMapped() throws Exception {
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

        Actor<Void> t = Actor.start("T", () -> {
            f.truncate(BLOCK);
            return null;
        });
        script.await("layoutBusy:T");
        awaitParked(t);
        assertFalse(t.isDone(), "truncate waits although nothing maps the page");
        assertEquals(99, fs.device().segment().get(ValueLayout.JAVA_LONG_UNALIGNED, devOff), "the pinned block keeps its data");

        pin.close();
        t.result();
        assertEquals(BLOCK, f.size());
        assertEquals(1, fs.stats().layoutBreakWaits());
        assertEquals(SECTORS_PER_BLOCK, f.stat().blocks());
    }

    // ================================================================== race 11

    @Test
    @Timeout(30)
    void race11_aFaultCannotMapTheRangeBetweenThePunchsInvalidateAndItsBlockFree() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = file("/f", 0);
        byte[] data = pattern(8 * BLOCK, 110);
        write(f, 0, data);
        DaxMapping m = map(f, 0, 8 * BLOCK, DaxMapMode.READ_ONLY, DaxMapOption.NO_HUGE_PAGES);
        assertEquals(longAt(data, 3 * BLOCK), m.getLong(3 * BLOCK));

        // P's punch holds the I/O and invalidate locks exclusive; it has unmapped the range and
        // deleted its entry, and is about to free the block.
        script.gate("deleteWake:P");
        Actor<Void> p = Actor.start("P", () -> {
            f.punchHole(3 * BLOCK, BLOCK);
            return null;
        });
        script.await("deleteWake:P");
        long faults0 = fs.stats().faults4k();

        Actor<Long> fault = Actor.start("F", () -> m.getLong(3 * BLOCK));
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

    // ================================================================== race 13

    @Test
    @Timeout(30)
    void race13_privateCowFaultWaitsForAPrivatePmdReadFaultThenSplitsIt() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = hugeFile();
        byte[] data = read(f, 0, (int) (2 * MIB));
        DaxMapping p = map(f, 0, 2 * MIB, DaxMapMode.PRIVATE);

        script.gate("faultLocked:A");
        Actor<Long> a = Actor.start("A", () -> p.getLong(100 * BLOCK));
        script.await("faultLocked:A");
        assertTrue(Entry.isPmd(script.entry("faultLocked:A")), "A's 2 MiB read fault holds a PMD entry");

        Actor<Void> b = Actor.start("B", () -> {
            p.setLong(7 * BLOCK, -5);
            return null;
        });
        script.await("sleep:B"); // the 4 KiB copy-on-write fault waits on the PMD entry
        assertFalse(b.isDone());

        script.open("faultLocked:A");
        assertEquals(longAt(data, 100 * BLOCK), a.result());
        b.result();
        script.await("wake:B"); // the loser woke and retried

        assertEquals(1, fs.stats().faults2m(), "A mapped 2 MiB");
        assertEquals(1, fs.stats().copyOnWriteFaults());
        checkPrivateView(f, p, data);
    }

    @Test
    @Timeout(30)
    void race13_privatePmdReadFaultOverALockedCowEntryFallsBackAndBothSucceed() throws Exception {
        mountWithHooks(RetainedDevice.allocate(64 * MIB));
        DaxFile f = hugeFile();
        byte[] data = read(f, 0, (int) (2 * MIB));
        DaxMapping p = map(f, 0, 2 * MIB, DaxMapMode.PRIVATE);

        script.gate("faultLocked:B");
        Actor<Void> b = Actor.start("B", () -> {
            p.setLong(7 * BLOCK, -5);
            return null;
        });
        script.await("faultLocked:B");
        assertFalse(Entry.isPmd(script.entry("faultLocked:B")), "the copy-on-write fault holds a 4 KiB entry");

        // A's 2 MiB read fault meets the 4 KiB entry: CONFLICT, fall back, no sleep.
        Actor<Long> a = Actor.start("A", () -> p.getLong(100 * BLOCK));
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

    // ================================================================== race 14

    @Test
    @Timeout(30)
    void race14_aSyncWriteFaultsStoreSurvivesACrashWithoutFsyncOnceItsLineIsFlushed() throws Exception {
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
        try (DaxFileSystem crashed = Internals.mount(MemoryDevice.copyOf(rec.durableImage()), MountOptions.DEFAULT);
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

    // ================================================================== race 15

    @Test
    @Timeout(30)
    void race15_aStoreDuringWritebacksFlushWaitsAndRedirtiesSoTheNextFsyncFlushesIt() throws Exception {
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
        Actor<Void> s = Actor.start("S", () -> {
            f.fsync();
            return null;
        });
        script.await("writebackFlushing:S");
        assertFalse(idx.getMark(1, EntryIndex.Mark.TOWRITE));
        assertTrue(idx.getMark(1, EntryIndex.Mark.DIRTY), "DIRTY is cleared only after the flush");

        // W's store hits the write-protected page, faults, and waits for the entry lock.
        Actor<Void> w = Actor.start("W", () -> {
            m.setLong(BLOCK, 2);
            return null;
        });
        script.await("sleep:W");
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

    // ================================================================== race 16

    @Test
    @Timeout(30)
    void race16_aFaultFailingMidwayReleasesItsLocksSoTheNextFaultAndTruncateComplete() throws Exception {
        mountWithHooks(RetainedDevice.allocate(8 * MIB));
        DaxFile fill = file("/fill", 0);
        fillFreeSpace(fill, 160);
        DaxFile f = file("/f", 4 * MIB);
        DaxMapping huge = map(f, 0, 4 * MIB, DaxMapMode.READ_WRITE);
        DaxMapping small = map(f, 0, 4 * MIB, DaxMapMode.READ_WRITE, DaxMapOption.NO_HUGE_PAGES);

        // Write faults that fail after taking the invalidate lock and an entry lock (ENOSPC from
        // the block allocation), on the 2 MiB path and on the 4 KiB path, each in its own thread.
        Actor<Errno> f2m = Actor.start("F2M", () -> faultErrno(() -> huge.setLong(3 * BLOCK, 1)));
        assertEquals(Errno.ENOSPC, f2m.result());
        Actor<Errno> f4k = Actor.start("F4K", () -> faultErrno(() -> small.setLong(2 * MIB + 5 * BLOCK, 1)));
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
        assertEquals(0L, Actor.start("R2M", () -> huge.getLong(3 * BLOCK)).result());
        assertEquals(0L, Actor.start("R4K", () -> small.getLong(2 * MIB + 5 * BLOCK)).result());
        Actor.start("T", () -> {
            f.truncate(BLOCK);
            return null;
        }).result();
        assertEquals(Errno.SIGBUS, Actor.start("BUS2", () -> faultErrno(() -> small.getLong(BLOCK))).result());
        fill.close();
        fs.unlink("/fill");
        checkpoint();
        Actor.start("W", () -> {
            small.setLong(8, 5);
            return null;
        }).result();
        assertEquals(5, small.getLong(8), "with space again, the write fault succeeds");
        Actor.start("T2", () -> {
            f.truncate(0);
            return null;
        }).result();

        if (LockChecker.ENABLED) {
            LockChecker.checkDeadThreads();
            assertEquals(List.of(), LockChecker.drainViolations(), "the lock checker saw no unbalanced locking");
            assertEquals(List.of(), LockChecker.heldByCurrentThread());
        }
    }

    // ================================================================== race 17

    @Test
    @Timeout(30)
    void race17_writeFaultsOnHolesAfterFallbacksNeverExposeAnotherFilesOldBytes() throws Exception {
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

    // ================================================================== helpers

    /** Replaces the default file system with one formatted on {@code device}, mounted with the hooks. */
    private void mountWithHooks(Device device) throws Exception {
        fs.close();
        fs = null;
        this.device = device;
        VolumeFormatter.format(device, FormatOptions.DEFAULT);
        fs = DaxFileSystem.mount(device, MountOptions.DEFAULT, script);
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
        fs = DaxFileSystem.mount(device, MountOptions.DEFAULT, script);
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
        long off = window.address() - fs.device().segment().address();
        assertTrue(off >= 0 && off < fs.device().size(), "a device window");
        return off;
    }

    private byte[] deviceBytes(long off, int len) {
        return fs.device().segment().asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
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
        return java.util.Arrays.copyOfRange(b, off, off + len);
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
    private static void awaitParked(Actor<?> a) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            Thread.State s = a.thread.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.BLOCKED) {
                return;
            }
            if (a.isDone()) {
                fail(a.thread.getName() + " finished instead of blocking");
            }
            Thread.onSpinWait();
        }
        fail(a.thread.getName() + " never blocked (state " + a.thread.getState() + ")");
    }

    // ------------------------------------------------------------------ scripted hooks

    /**
     * Hooks naming every call {@code point:thread} (for example {@code sleep:W}). A test waits for
     * an event ({@link #await}) and can hold the thread at it until it {@link #open opens} the
     * gate of the same name. {@code faultLocked} events record the entry the fault holds.
     */
    static final class Script implements DaxHooks {
        private final Map<String, Semaphore> events = new ConcurrentHashMap<>();
        private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
        private final Map<String, Long> entries = new ConcurrentHashMap<>();
        private final List<String> log = new ArrayList<>();

        void gate(String event) {
            gates.put(event, new CountDownLatch(1));
        }

        void open(String event) {
            gates.get(event).countDown();
        }

        void openAll() {
            gates.values().forEach(CountDownLatch::countDown);
        }

        void await(String event) {
            try {
                if (!semaphore(event).tryAcquire(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError("timed out waiting for " + event + "; events: " + log());
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        boolean happened(String event) {
            return semaphore(event).availablePermits() > 0;
        }

        /** The entry recorded by the last {@code faultLocked} event of that name. */
        long entry(String event) {
            Long e = entries.get(event);
            assertNotNull(e, "no entry recorded for " + event);
            return e;
        }

        List<String> log() {
            synchronized (log) {
                return List.copyOf(log);
            }
        }

        private Semaphore semaphore(String event) {
            return events.computeIfAbsent(event, e -> new Semaphore(0));
        }

        private void event(String point, String detail, long entry) {
            String name = point + ":" + Thread.currentThread().getName();
            synchronized (log) {
                log.add(name + " " + detail);
            }
            if (entry != Long.MIN_VALUE) {
                entries.put(name, entry);
            }
            semaphore(name).release();
            CountDownLatch gate = gates.get(name);
            if (gate != null) {
                try {
                    if (!gate.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                        throw new AssertionError("gate " + name + " never opened");
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        }

        private void event(String point, String detail) {
            event(point, detail, Long.MIN_VALUE);
        }

        @Override
        public void beforeSleep(EntryIndex index, long keyIndex, boolean exclusive) {
            event("sleep", "key=" + keyIndex);
        }

        @Override
        public void afterWake(EntryIndex index, long keyIndex) {
            event("wake", "key=" + keyIndex);
        }

        @Override
        public void duringDowngrade(EntryIndex index, long pmdIndex) {
            event("downgrade", "pmd=" + pmdIndex);
        }

        @Override
        public void beforeUnlockWake(EntryIndex index, long keyIndex, boolean all) {
            event(all ? "deleteWake" : "unlockWake", "key=" + keyIndex);
        }

        @Override
        public void faultLocked(EntryIndex index, long pageIndex, long entry) {
            event("faultLocked", "page=" + pageIndex + " " + Entry.describe(entry), entry);
        }

        @Override
        public void layoutBusy(EntryIndex index, long pageIndex) {
            event("layoutBusy", "page=" + pageIndex);
        }

        @Override
        public void writebackFlushing(EntryIndex index, long pageIndex) {
            event("writebackFlushing", "page=" + pageIndex);
        }
    }

    /** A named thread running one task; {@link #result} fails with its stack if it does not finish in time. */
    static final class Actor<T> {
        final Thread thread;
        private final FutureTask<T> task;

        private Actor(String name, Callable<T> body) {
            task = new FutureTask<>(body);
            thread = new Thread(task, name);
            thread.setDaemon(true);
        }

        static <T> Actor<T> start(String name, Callable<T> body) {
            Actor<T> a = new Actor<>(name, body);
            a.thread.start();
            return a;
        }

        boolean isDone() {
            return task.isDone();
        }

        T result() {
            try {
                return task.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                AssertionError err = new AssertionError("actor " + thread.getName() + " did not finish (state "
                        + thread.getState() + "): a hang or lost wakeup");
                err.setStackTrace(thread.getStackTrace());
                throw err;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                if (e.getCause() instanceof Error r) {
                    throw r;
                }
                throw new AssertionError(e.getCause());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        /** Waits for the thread itself to end (after {@link #result}), so the lock checker sees it dead. */
        void join() throws InterruptedException {
            if (!thread.join(java.time.Duration.ofSeconds(TIMEOUT_SECONDS))) {
                fail("actor " + thread.getName() + " did not end");
            }
        }
    }
}
