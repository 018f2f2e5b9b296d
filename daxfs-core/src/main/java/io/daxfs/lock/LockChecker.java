package io.daxfs.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Checks lock order and ownership at run time when the system property {@code daxfs.lockcheck}
 * is true (the tests set it); otherwise every hook is a constant-false branch the JIT removes.
 *
 * <p>Per thread it keeps the stack of held checked locks. It reports:
 * <ul>
 * <li>an inversion: acquiring a lock at a level not deeper than one already held (same level
 *     only for {@link LockLevel#nestable()} levels);</li>
 * <li>an unlock of a lock the thread does not hold;</li>
 * <li>a lock still held by a thread that has ended ({@link #checkDeadThreads}).</li>
 * </ul>
 * A violation throws {@link LockViolation} in the offending thread and is also recorded, so a
 * test whose worker thread swallowed it still fails ({@link #drainViolations}).
 */
public final class LockChecker {
    public static final boolean ENABLED = Boolean.getBoolean("daxfs.lockcheck");

    private static final Map<Thread, List<Held>> HELD = new ConcurrentHashMap<>();
    private static final List<String> VIOLATIONS = new CopyOnWriteArrayList<>();

    private record Held(Object lock, LockLevel level, String name) {
    }

    private LockChecker() {
    }

    /** Thrown at the point of a lock-order or ownership violation. */
    public static final class LockViolation extends AssertionError {
        LockViolation(String msg) {
            super(msg);
        }
    }

    static void beforeAcquire(Object lock, LockLevel level, String name, boolean reentrant) {
        List<Held> held = HELD.computeIfAbsent(Thread.currentThread(), t -> new ArrayList<>());
        for (Held h : held) {
            if (h.lock == lock) {
                if (reentrant) {
                    return;
                }
                violation("re-acquiring " + name + " which this thread already holds (self-deadlock)");
            }
        }
        for (Held h : held) {
            int c = h.level.compareTo(level);
            if (c > 0 || (c == 0 && !level.nestable())) {
                violation("lock order inversion: acquiring " + name + " (" + level + ") while holding "
                        + h.name + " (" + h.level + ")");
            }
        }
    }

    static void acquired(Object lock, LockLevel level, String name) {
        HELD.computeIfAbsent(Thread.currentThread(), t -> new ArrayList<>()).add(new Held(lock, level, name));
    }

    static void released(Object lock, String name) {
        List<Held> held = HELD.get(Thread.currentThread());
        if (held != null) {
            for (int i = held.size() - 1; i >= 0; i--) {
                if (held.get(i).lock == lock) {
                    held.remove(i);
                    if (held.isEmpty()) {
                        HELD.remove(Thread.currentThread());
                    }
                    return;
                }
            }
        }
        violation("unlock of " + name + " by a thread that does not hold it");
    }

    /** Records a violation for every ended thread that still held a checked lock. */
    public static void checkDeadThreads() {
        for (Map.Entry<Thread, List<Held>> e : HELD.entrySet()) {
            if (!e.getKey().isAlive() && !e.getValue().isEmpty()) {
                VIOLATIONS.add("thread " + e.getKey().getName() + " ended holding " + e.getValue().stream().map(Held::name).toList());
                HELD.remove(e.getKey());
            }
        }
    }

    /** Locks the current thread holds (names), for assertions at the end of a test. */
    public static List<String> heldByCurrentThread() {
        List<Held> held = HELD.get(Thread.currentThread());
        return held == null ? List.of() : held.stream().map(Held::name).toList();
    }

    /** Returns and clears the violations recorded so far. */
    public static List<String> drainViolations() {
        List<String> out = new ArrayList<>(VIOLATIONS);
        VIOLATIONS.clear();
        return out;
    }

    private static void violation(String msg) {
        String full = msg + " [thread " + Thread.currentThread().getName() + "]";
        VIOLATIONS.add(full);
        throw new LockViolation(full);
    }
}
