package io.daxfs.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte counts as people type and read them: "64M", "1G", "4096". Suffixes are binary (K = 1024)
 * because image and journal sizes must be multiples of the 4 KiB block, which decimal units
 * rarely are.
 */
public final class Sizes {
    // An optional "i" and "B" are accepted ("64MiB", "64MB") so that no spelling of a binary unit
    // surprises anyone; all of them mean the binary unit.
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([KMGT])(?:i?B)?|B)?", Pattern.CASE_INSENSITIVE);
    private static final String UNITS = "KMGT";

    private Sizes() {
    }

    /** Parses a size; throws IllegalArgumentException with a message fit for a usage error. */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size '" + text + "': expected a number with an optional K, M, G or T suffix, e.g. 64M");
        }
        try {
            long n = Long.parseLong(m.group(1));
            int shift = m.group(2) == null ? 0 : 10 * (UNITS.indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1);
            if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid size '" + text + "': too large");
        }
    }

    /** A short human-readable size: "512 B", "64 MiB", "1.5 GiB". */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = Math.min(UNITS.length(), (63 - Long.numberOfLeadingZeros(bytes)) / 10);
        double value = (double) bytes / (1L << (10 * unit));
        String number = value == Math.rint(value) ? String.valueOf((long) value) : String.format(Locale.ROOT, "%.1f", value);
        return number + " " + UNITS.charAt(unit - 1) + "iB";
    }
}
