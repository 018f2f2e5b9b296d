package io.daxfs.crash;

import io.daxfs.api.Internals;
import io.daxfs.types.DaxException;
import io.daxfs.device.RecordingDevice;
import io.daxfs.testutil.RetainedDevice;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A crash during recovery: mounts a crash image on a recording device (journal replay, orphan
 * cleanup) and unmounts it, and checks the crash images at every persistence point of that
 * recovery against the same model, since recovery must not change what the file system holds.
 * Checks run on their own thread: the recovering thread holds its file system's locks.
 */
final class RecoveryCrashes implements AutoCloseable {
    private final CrashChecker checker;
    private final ExecutorService checkThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "recovery-check");
        t.setDaemon(true);
        return t;
    });
    private long recoveries;
    private long images;

    RecoveryCrashes(FsModel model) {
        this.checker = new CrashChecker(model);
    }

    long recoveries() {
        return recoveries;
    }

    long images() {
        return images;
    }

    /** Recovers {@code image}, checking each of its persistence points; returns the problems, each with where it happened. */
    List<String> check(MemorySegment image, long seed) {
        recoveries++;
        List<String> problems = new ArrayList<>();
        try (RecordingDevice dev = RecordingDevice.over(image); Arena arena = Arena.ofShared()) {
            dev.onPersist(new RecordingDevice.PersistListener() {
                @Override
                public void beforePersist(long point, long offset, long length) {
                    long s = seed * 7919 + point;
                    MemorySegment crash = dev.crashImage(s, arena);
                    run(crash, "recovery point " + point + " (before), crash image seed " + s, problems);
                }

                @Override
                public void persisted(long point) {
                    run(dev.durableImage(), "recovery point " + point + ", durable image", problems);
                }
            });
            try {
                Internals.mount(RetainedDevice.view(dev), CrashChecker.MOUNT).close();
            } catch (DaxException | RuntimeException e) {
                problems.add("recovery failed: " + CrashChecker.describe(e));
            }
        }
        return problems;
    }

    private void run(MemorySegment image, String where, List<String> problems) {
        images++;
        Future<List<String>> f = checkThread.submit(() -> checker.check(image, false));
        try {
            for (String p : f.get()) {
                problems.add(where + ": " + p);
            }
        } catch (ExecutionException e) {
            problems.add(where + ": checker threw " + CrashChecker.describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        checkThread.shutdown();
        checker.free();
    }
}
