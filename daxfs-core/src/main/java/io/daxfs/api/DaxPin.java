package io.daxfs.api;

import io.daxfs.dax.Vma;

/**
 * Pinned pages of a mapping (the get_user_pages analog): while open, the device pages it holds
 * keep their blocks; a truncate, hole punch, collapse, insert or zero range over them waits
 * until the pin is closed, and unmount waits for every pin. Pin for the duration of an I/O,
 * not for long. Closing twice is harmless.
 */
public final class DaxPin implements AutoCloseable {
    private final Vma vma;
    private final long[] pins;
    private boolean closed;

    DaxPin(Vma vma, long[] pins) {
        this.vma = vma;
        this.pins = pins;
    }

    /** Device pages pinned (zero-page and private-copy pages are not). */
    public int pages() {
        return pins.length;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            vma.unpin(pins);
        }
    }
}
