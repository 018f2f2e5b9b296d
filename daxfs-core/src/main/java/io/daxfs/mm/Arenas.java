package io.daxfs.mm;

import java.lang.foreign.Arena;
import java.util.concurrent.locks.LockSupport;

/** Closing the shared Arenas behind windows. */
final class Arenas {
    private Arenas() {
    }

    /**
     * Closes {@code arena}, waiting while the JDK reports it acquired. A window's Arena is
     * acquired while the JDK itself does I/O on it (say, a FileChannel writing from a window's
     * ByteBuffer view): the same situation as Linux's in-flight I/O from a mapped buffer, a
     * transient pin, so revocation waits for it to end rather than fail. Nothing in daxfs
     * acquires these Arenas, so the wait is bounded by that I/O.
     */
    static void close(Arena arena) {
        for (int spins = 0; ; spins++) {
            try {
                arena.close();
                return;
            } catch (IllegalStateException e) {
                if (!arena.scope().isAlive()) {
                    return; // already closed
                }
                if (spins < 64) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(Math.min(1_000_000L, 1_000L << Math.min(spins - 64, 10)));
                }
            }
        }
    }
}
