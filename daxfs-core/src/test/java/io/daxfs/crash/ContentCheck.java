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
        for (int i = 0; i < got.length; i++) {
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
