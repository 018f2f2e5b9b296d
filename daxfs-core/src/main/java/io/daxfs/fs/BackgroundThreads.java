package io.daxfs.fs;

/** Stopping the volume's background threads (the evictor, the background free) at unmount. */
final class BackgroundThreads {
    private BackgroundThreads() {
    }

    /**
     * Interrupts {@code t}, whose loop has been told to stop, and waits for it to end, however
     * often the caller is interrupted meanwhile (unmount must not go on while it runs); the
     * caller's interrupt status is restored afterwards.
     */
    static void stopAndJoin(Thread t) {
        t.interrupt();
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
