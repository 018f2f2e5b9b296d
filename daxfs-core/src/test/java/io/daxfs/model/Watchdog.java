package io.daxfs.model;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;

/**
 * Runs tasks on their own daemon threads and waits for them, failing with every thread's stack
 * (and the owner of every lock a thread waits for) when the progress counter stops moving for
 * the stall time: a hang becomes a test failure that shows where everyone is stuck.
 */
public final class Watchdog {
    /** A task that may throw. */
    @FunctionalInterface
    public interface Task {
        void run() throws Exception;
    }

    /**
     * The tasks stopped making progress. The hung threads still hold whatever they hold, so the
     * caller must not try to unmount (that would hang too).
     */
    public static final class Hang extends AssertionError {
        Hang(String message) {
            super(message);
        }
    }

    private Watchdog() {
    }

    /**
     * Runs {@code tasks} concurrently. When one fails, {@code onFailure} runs (to stop the others)
     * and, once all have ended, the first failure is thrown with the others suppressed.
     */
    public static void run(String name, Duration stall, LongSupplier progress, Runnable onFailure, List<Task> tasks)
            throws Exception {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Task t = tasks.get(i);
            threads.add(Thread.ofPlatform().daemon().name(name + "-" + i).start(() -> {
                try {
                    t.run();
                } catch (Throwable e) {
                    failures.add(e);
                    onFailure.run();
                }
            }));
        }
        long last = progress.getAsLong();
        long lastChange = System.nanoTime();
        for (Thread t : threads) {
            while (t.isAlive()) {
                t.join(200);
                long p = progress.getAsLong();
                if (p != last) {
                    last = p;
                    lastChange = System.nanoTime();
                } else if (System.nanoTime() - lastChange > stall.toNanos()) {
                    onFailure.run();
                    Hang hang = new Hang(name + ": no progress for " + stall.toSeconds()
                            + " s (hung at " + p + " operations). Threads:\n" + dumpThreads());
                    failures.forEach(hang::addSuppressed);
                    throw hang;
                }
            }
        }
        Throwable first = failures.poll();
        if (first != null) {
            failures.forEach(first::addSuppressed);
            if (first instanceof Exception e) {
                throw e;
            }
            throw (Error) first;
        }
    }

    /** Every live thread's state, stack, the lock it waits for and that lock's owner, and deadlocks. */
    public static String dumpThreads() {
        StringBuilder sb = new StringBuilder();
        try {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long[] deadlocked = mx.findDeadlockedThreads();
            if (deadlocked != null) {
                sb.append("DEADLOCK among thread ids ").append(java.util.Arrays.toString(deadlocked)).append('\n');
            }
            for (ThreadInfo ti : mx.dumpAllThreads(true, true)) {
                sb.append('"').append(ti.getThreadName()).append("\" id=").append(ti.getThreadId()).append(' ')
                        .append(ti.getThreadState());
                if (ti.getLockName() != null) {
                    sb.append(" waiting for ").append(ti.getLockName());
                }
                if (ti.getLockOwnerName() != null) {
                    sb.append(" owned by \"").append(ti.getLockOwnerName()).append("\" id=").append(ti.getLockOwnerId());
                }
                sb.append('\n');
                for (StackTraceElement e : ti.getStackTrace()) {
                    sb.append("    at ").append(e).append('\n');
                }
                for (LockInfo l : ti.getLockedSynchronizers()) {
                    sb.append("    holds ").append(l).append('\n');
                }
            }
            return sb.toString();
        } catch (RuntimeException | LinkageError e) {
            // No management support: plain stacks.
            Thread.getAllStackTraces().forEach((t, st) -> {
                sb.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
                for (StackTraceElement e2 : st) {
                    sb.append("    at ").append(e2).append('\n');
                }
            });
            return sb.toString();
        }
    }
}
