package io.daxfs.cli;

import io.daxfs.types.ProgressListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

import java.time.Duration;

/**
 * Draws a {@link ProgressListener}'s reports as one progress bar on stderr, with the current
 * phase beside it. Draws nothing when no person watches a terminal (scripts and pipes get clean
 * output), and nothing for work that ends within half a second, so quick commands do not flicker.
 *
 * <p>One bar for the whole operation rather than one per phase: the core reports {@code done}
 * and {@code total} for the whole operation under changing phase names, and a single bar also
 * stays readable if a caller counts each phase from zero.
 */
final class TerminalProgress implements ProgressListener, AutoCloseable {
    private static final long SHOW_AFTER_NANOS = Duration.ofMillis(500).toNanos();

    private final boolean enabled;
    private final String task;
    private final String unitName;
    private final long unitSize;
    private final long started = System.nanoTime();
    private ProgressBar bar;

    /** Counts are shown in {@code unitName}s of {@code unitSize} (e.g. "MiB", 1 << 20; or "", 1). */
    TerminalProgress(boolean enabled, String task, String unitName, long unitSize) {
        this.enabled = enabled;
        this.task = task;
        this.unitName = unitName;
        this.unitSize = unitSize;
    }

    /** Progress of {@code task} counted in items (blocks, inodes). */
    static TerminalProgress items(CliEnv env, String task) {
        return new TerminalProgress(env.interactive(), task, "", 1);
    }

    /** Progress of {@code task} counted in bytes, shown in MiB. */
    static TerminalProgress bytes(CliEnv env, String task) {
        return new TerminalProgress(env.interactive(), task, " MiB", 1 << 20);
    }

    @Override
    public void progress(String phase, long done, long total) {
        if (!enabled) {
            return;
        }
        if (bar == null) {
            long elapsed = System.nanoTime() - started;
            if (elapsed < SHOW_AFTER_NANOS) {
                return;
            }
            bar = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setInitialMax(total)
                    .setUnit(unitName, unitSize)
                    .setUpdateIntervalMillis(200)
                    // The work began before the bar appeared; counting that time keeps the ETA honest.
                    .startsFrom(done, Duration.ofNanos(elapsed))
                    .build();
        }
        bar.maxHint(total);
        bar.stepTo(done);
        bar.setExtraMessage(phase);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
