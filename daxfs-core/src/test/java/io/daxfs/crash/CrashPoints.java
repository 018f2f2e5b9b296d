package io.daxfs.crash;

import io.daxfs.device.RecordingDevice;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Checks crash images at the persistence points of a {@link RecordingDevice} while a
 * {@link ModelFs} workload runs: after every {@code stride}-th point, the durable image (every
 * unpersisted store lost); and just before it, {@code variants} images where a random subset of
 * the unpersisted cache lines survived, including lines of the range being written back (a torn
 * write-back). After every {@code recoveryStride}-th point, the recovery of the durable image is
 * crashed at each of its own points ({@link RecoveryCrashes}). Checks run synchronously in the listener, so the model is exactly as it was when
 * the point happened and memory stays bounded (one image at a time). They run on a separate
 * thread that the listener waits for: the workload thread holds the file system's locks at a
 * persistence point, and the lock-order checker tracks locks per thread.
 */
final class CrashPoints implements RecordingDevice.PersistListener {
    private static final int MAX_FAILURES = 10;

    private final RecordingDevice device;
    private final ModelFs workload;
    private final CrashChecker checker;
    private final long baseSeed;
    private final int variants;
    private final long stride;
    private final long recoveryStride;
    private final RecoveryCrashes recovery;
    private final List<String> failures = new ArrayList<>();
    private final ExecutorService checkThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "crash-check");
        t.setDaemon(true);
        return t;
    });
    private final Arena bufferArena = Arena.ofShared();
    private MemorySegment imageBuffer;
    private volatile boolean enabled = true;
    private long pointsChecked;
    private long durableImages;
    private long crashImages;

    CrashPoints(RecordingDevice device, ModelFs workload, long baseSeed, int variants, long stride, long recoveryStride) {
        this.device = device;
        this.workload = workload;
        this.checker = new CrashChecker(workload.model);
        this.recovery = new RecoveryCrashes(workload.model);
        this.baseSeed = baseSeed;
        this.variants = variants;
        this.stride = stride;
        this.recoveryStride = recoveryStride;
    }

    /** Stops checking (the device keeps no way to remove a listener). */
    void stop() {
        if (!checkThread.isShutdown()) {
            enabled = false;
            checkThread.shutdown();
            bufferArena.close();
            recovery.close();
        }
    }

    List<String> failures() {
        return failures;
    }

    CrashChecker checker() {
        return checker;
    }

    String summary() {
        return pointsChecked + " persistence points checked, " + durableImages + " durable images and " + crashImages
                + " random crash images, " + checker.fsckRuns() + " fsck runs"
                + "; " + recovery.recoveries() + " recoveries crashed at " + recovery.images() + " images"
                + "; " + workload.operations() + " operations; " + checker.timing();
    }

    static long seed(long base, long point, int variant) {
        return base * 1_000_003L + point * 31 + variant;
    }

    private Arena recycled() {
        if (imageBuffer == null) {
            imageBuffer = bufferArena.allocate(device.size(), 4096);
        }
        return recycling(imageBuffer);
    }

    /**
     * An arena whose every allocation is this one buffer: lets {@code RecordingDevice.crashImage}
     * build image after image in the same memory. Only one allocation may be live at a time.
     */
    private static Arena recycling(MemorySegment buffer) {
        return new Arena() {
            @Override
            public MemorySegment allocate(long byteSize, long byteAlignment) {
                if (byteSize > buffer.byteSize() || buffer.address() % byteAlignment != 0) {
                    throw new IllegalArgumentException("recycled buffer cannot hold " + byteSize + " bytes");
                }
                return buffer.asSlice(0, byteSize);
            }

            @Override
            public MemorySegment.Scope scope() {
                return buffer.scope();
            }

            @Override
            public void close() {
                // The buffer outlives the images built in it.
            }
        };
    }

    private boolean active(long point) {
        return enabled && failures.size() < MAX_FAILURES && point % stride == 0;
    }

    @Override
    public void beforePersist(long point, long offset, long length) {
        if (!active(point)) {
            return;
        }
        for (int v = 0; v < variants; v++) {
            long seed = seed(baseSeed, point, v);
            try {
                MemorySegment image = device.crashImage(seed, recycled());
                crashImages++;
                record(onCheckThread(() -> checker.check(image, false)), "before point " + point + " (write-back of ["
                        + offset + ", +" + length + ")), crash image seed " + seed);
            } catch (RuntimeException | Error e) {
                record(List.of("checker threw " + CrashChecker.describe(e)), "before point " + point + ", seed " + seed);
            }
        }
    }

    @Override
    public void persisted(long point) {
        if (!active(point)) {
            return;
        }
        pointsChecked++;
        durableImages++;
        try {
            MemorySegment image = device.durableImage();
            record(onCheckThread(() -> checker.check(image, true)), "after point " + point + ", durable image");
            if (recoveryStride > 0 && point % recoveryStride == 0) {
                record(onCheckThread(() -> recovery.check(image, seed(baseSeed, point, 99))),
                        "after point " + point + ", durable image, crash during its recovery");
            }
        } catch (RuntimeException | Error e) {
            record(List.of("checker threw " + CrashChecker.describe(e)), "after point " + point + ", durable image");
        }
    }

    private List<String> onCheckThread(Supplier<List<String>> check) {
        try {
            return checkThread.submit(check::get).get();
        } catch (ExecutionException e) {
            return List.of("checker threw " + CrashChecker.describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void record(List<String> problems, String where) {
        if (!problems.isEmpty()) {
            String f = where + ", during " + workload.currentOp() + ":\n    " + String.join("\n    ", problems);
            failures.add(f);
            System.out.println("CRASH CHECK FAILURE " + f);
        }
    }
}
