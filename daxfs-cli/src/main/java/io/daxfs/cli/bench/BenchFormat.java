package io.daxfs.cli.bench;

import java.time.Duration;
import java.util.Locale;

/** Cell formatting and option conversion shared by the `bench sync`, `stall` and `alloc` tables. */
final class BenchFormat {
    private BenchFormat() {
    }

    /** Three significant digits or more, with k/M/G for large values. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (v >= 1e9) {
            return String.format(Locale.ROOT, "%.2fG", v / 1e9);
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        }
        if (v >= 1e4) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.1f" : "%.2f", v);
    }

    /** Nanoseconds as microseconds with one decimal; "-" for a missing value (negative). */
    static String micros(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.1f", nanos / 1e3);
    }

    /** Nanoseconds as milliseconds with one decimal. */
    static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }

    /** A ratio with two decimals; "-" when there is none (NaN). */
    static String ratio(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    /** A number of seconds as typed: "3", "0.5". */
    static String plain(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** Seconds from an option; IllegalArgumentException (a usage error) for a negative or non-finite value. */
    static Duration seconds(double s) {
        if (!(s >= 0) || Double.isInfinite(s)) {
            throw new IllegalArgumentException("seconds must be a finite number >= 0: " + s);
        }
        return Duration.ofNanos((long) (s * 1e9));
    }
}
