package io.daxfs.fs;

/**
 * The answer to "where does this file range live" (named after Linux's struct iomap): file blocks {@code [fileBlock, fileBlock +
 * length)} are a {@link State#HOLE}, or live at device blocks {@code [deviceBlock, ...)}, either
 * {@link State#MAPPED} (existing data) or {@link State#NEW} (allocated by this call, already
 * zeroed and the zeroes persisted). This is what the DAX fault path builds on.
 */
public record Iomap(long fileBlock, long length, long deviceBlock, State state) {
    public enum State { HOLE, MAPPED, UNWRITTEN, NEW }

    /** True when the device range starts 2 MiB-aligned and covers 512 blocks: one PMD. */
    public boolean coversHugePage() {
        return state != State.HOLE && (deviceBlock & 511) == 0 && (fileBlock & 511) == 0 && length >= 512;
    }
}
