package io.daxfs.dax;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Hooks for interleaving tests (docs/RACES.md says how the race tests use them). Every hook call
 * is an event named {@code point:thread} (for example {@code sleep:B}, {@code faultLocked:R});
 * a test waits for an event with {@link #awaitEvent} and can hold a thread at an event until it
 * {@link #open opens} a gate of the same name. {@code faultLocked} events also record the entry
 * the fault holds ({@link #entry}). Nothing here sleeps for a fixed time; every wait has a
 * timeout so a broken protocol fails instead of hanging.
 */
final class ScriptedHooks implements DaxHooks {
    static final long TIMEOUT_SECONDS = 10;

    private final Map<String, Semaphore> events = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
    private final Map<String, Long> entries = new ConcurrentHashMap<>();
    private final List<String> log = new ArrayList<>();

    /** Makes the thread that reaches {@code event} wait there until {@link #open}. */
    void gate(String event) {
        gates.put(event, new CountDownLatch(1));
    }

    void open(String event) {
        gates.get(event).countDown();
    }

    /** Opens every gate: a failed test must not leave a thread held in a hook. */
    void openAll() {
        gates.values().forEach(CountDownLatch::countDown);
    }

    /** Waits until {@code event} happened once more (each call consumes one occurrence). */
    void awaitEvent(String event) {
        try {
            if (!semaphore(event).tryAcquire(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("timed out waiting for " + event + "; events so far: " + log());
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether {@code event} happened and has not been consumed by {@link #awaitEvent}. */
    boolean happened(String event) {
        return semaphore(event).availablePermits() > 0;
    }

    /** The entry word recorded by the last {@code faultLocked} event of that name. */
    long entry(String event) {
        Long e = entries.get(event);
        if (e == null) {
            throw new AssertionError("no entry recorded for " + event + "; events so far: " + log());
        }
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

    private void event(String point, String detail) {
        event(point, detail, Long.MIN_VALUE);
    }

    /** Records the event (and {@code entry}, unless {@code Long.MIN_VALUE}), then holds the thread if gated. */
    private void event(String point, String detail, long entry) {
        String name = point + ":" + Thread.currentThread().getName();
        synchronized (log) {
            log.add(name + (detail.isEmpty() ? "" : " " + detail));
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

    @Override
    public void beforeSleep(EntryIndex index, long keyIndex, boolean exclusive) {
        event("sleep", "key=" + keyIndex + (exclusive ? " exclusive" : ""));
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

    @Override
    public void segmentFaulted(EntryIndex index, long pageIndex) {
        event("segmentFaulted", "page=" + pageIndex);
    }

    @Override
    public void segmentCarried(EntryIndex index, long address, long length) {
        event("segmentCarried", "address=" + address + " length=" + length, address);
    }

    @Override
    public void segmentRunMapped(EntryIndex index, int run) {
        event("segmentRunMapped", "run=" + run);
    }

    @Override
    public void segmentReleasing(EntryIndex index) {
        event("segmentReleasing", "");
    }

    /** The keys a thread slept on, in order, from the log. */
    List<Long> sleepKeys(String thread) {
        List<Long> keys = new ArrayList<>();
        for (String line : log()) {
            if (line.startsWith("sleep:" + thread + " ")) {
                String k = line.substring(line.indexOf("key=") + 4).split(" ")[0];
                keys.add(Long.parseLong(k));
            }
        }
        return keys;
    }
}
