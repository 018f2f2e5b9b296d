package io.daxfs.crash;

import java.util.Arrays;
import java.util.List;

/**
 * Whether file contents read after a crash are allowed by the file's content history (see
 * {@link FsModel}): the size is one of the sizes in the history, and every byte is one that some
 * state had at that offset, or zero where some state ended before it.
 */
final class ContentCheck {
    private ContentCheck() {
    }

    /** Null when {@code got} is allowed by {@code states}, else what is wrong. */
    static String check(byte[] got, List<byte[]> states) {
        boolean sizeOk = false;
        for (byte[] s : states) {
            if (Arrays.equals(s, got)) {
                return null;
            }
            sizeOk |= s.length == got.length;
        }
        if (!sizeOk) {
            return "size " + got.length + " is none of " + states.stream().map(s -> s.length).distinct().toList();
        }
        int minLen = Integer.MAX_VALUE;
        for (byte[] s : states) {
            minLen = Math.min(minLen, s.length);
        }
        for (int from = 0; from < got.length; from += CHUNK) {
            int to = Math.min(got.length, from + CHUNK);
            if (!chunkFromOneState(got, states, from, to)) {
                String why = checkBytes(got, states, from, to, minLen);
                if (why != null) {
                    return why;
                }
            }
        }
        return null;
    }

    private static final int CHUNK = 512;

    /** True when {@code got[from, to)} equals the same range of one state (or zeros past its end). */
    private static boolean chunkFromOneState(byte[] got, List<byte[]> states, int from, int to) {
        for (byte[] s : states) {
            int inside = Math.min(to, s.length);
            if (inside > from && Arrays.equals(got, from, inside, s, from, inside) && zeros(got, inside, to)) {
                return true;
            }
            if (inside <= from && zeros(got, from, to)) {
                return true;
            }
        }
        return false;
    }

    private static boolean zeros(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static String checkBytes(byte[] got, List<byte[]> states, int from, int to, int minLen) {
        for (int i = from; i < to; i++) {
            byte g = got[i];
            boolean ok = g == 0 && i >= minLen;
            for (int k = 0; !ok && k < states.size(); k++) {
                byte[] s = states.get(k);
                ok = i < s.length && s[i] == g;
            }
            if (!ok) {
                return badByte(got, states, i);
            }
        }
        return null;
    }

    private static String badByte(byte[] got, List<byte[]> states, int i) {
        long marker = Pattern.findMarker(got, got.length);
        StringBuilder b = new StringBuilder();
        if (marker >= 0) {
            b.append("STALE DATA: holds the marker of a deleted file at ").append(marker).append("; ");
        }
        b.append("byte ").append(i).append(" is ").append(got[i] & 0xFF).append(", which no state of the file had there (");
        for (int k = 0; k < states.size(); k++) {
            byte[] s = states.get(k);
            b.append(k == 0 ? "" : ", ").append(i < s.length ? String.valueOf(s[i] & 0xFF) : "eof@" + s.length);
        }
        return b.append(")").toString();
    }
}
