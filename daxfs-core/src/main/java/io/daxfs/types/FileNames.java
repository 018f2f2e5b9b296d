package io.daxfs.types;

import java.util.Arrays;

/**
 * File names and symlink targets are bytes; this is how they travel as Strings, losslessly.
 *
 * <p>A file system stores any bytes except '/' and NUL in a name, and programs do create names
 * that are not UTF-8 (Latin-1 file names, fuzzers, {@code touch $'a\xff'}). Decoding those
 * with the JDK's UTF-8 decoder replaces every bad byte by U+FFFD, so two different names
 * become the same String: two files become one. Here, instead:
 * <ul>
 * <li>{@link #fromBytes} decodes valid UTF-8 as UTF-8 and turns each byte of an invalid
 *     sequence into the lone low surrogate {@code U+DC00 + byte} (always 0x80..0xFF, so
 *     U+DC80..U+DCFF): the "surrogate escape" of Python's PEP 383.</li>
 * <li>{@link #toBytes} is its exact inverse: characters as UTF-8, escapes back to their byte.</li>
 * <li>Every byte string decodes, and {@code toBytes(fromBytes(b))} is {@code b}. A String that is
 *     not the decoding of any byte string (a lone surrogate other than an escape, or escapes that
 *     would re-decode as valid UTF-8, such as "\uDCC3\uDCA9" for the bytes of "é") is refused
 *     with EILSEQ, so that the String form is one-to-one: two names are equal as Strings
 *     exactly when they are equal as bytes.</li>
 * </ul>
 * A program that has a name as bytes passes {@code fromBytes(name)} to any String method of
 * the API, and gets the bytes of a listed name back with {@code toBytes}.
 */
public final class FileNames {
    private static final char ESCAPE_BASE = 0xDC00;

    private FileNames() {
    }

    /** The String form of the bytes {@code b}. */
    public static String fromBytes(byte[] b) {
        return fromBytes(b, 0, b.length);
    }

    /** The String form of the bytes {@code b[off, off + len)}. */
    public static String fromBytes(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end && b[i] >= 0) {
            i++;
        }
        if (i == end) {
            return new String(b, off, len, java.nio.charset.StandardCharsets.ISO_8859_1); // ASCII: the common case
        }
        StringBuilder sb = new StringBuilder(len);
        for (int k = off; k < i; k++) {
            sb.append((char) b[k]);
        }
        while (i < end) {
            int c = b[i] & 0xff;
            if (c < 0x80) {
                sb.append((char) c);
                i++;
                continue;
            }
            int n = sequenceLength(b, i, end);
            if (n == 0) {
                sb.append((char) (ESCAPE_BASE | c));
                i++;
                continue;
            }
            int cp = c & (0xff >>> (n + 1));
            for (int k = 1; k < n; k++) {
                cp = cp << 6 | (b[i + k] & 0x3f);
            }
            sb.appendCodePoint(cp);
            i += n;
        }
        return sb.toString();
    }

    /**
     * The bytes of the name {@code s} (the inverse of {@link #fromBytes}). EILSEQ when {@code s}
     * is not the String form of any bytes.
     */
    public static byte[] toBytes(String s) throws DaxException {
        int n = s.length();
        int i = 0;
        while (i < n && s.charAt(i) < 0x80) {
            i++;
        }
        if (i == n) {
            return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        byte[] out = new byte[n * 3];
        int o = 0;
        for (int k = 0; k < i; k++) {
            out[o++] = (byte) s.charAt(k);
        }
        boolean escaped = false;
        while (i < n) {
            char c = s.charAt(i++);
            if (c < 0x80) {
                out[o++] = (byte) c;
            } else if (c < 0x800) {
                out[o++] = (byte) (0xc0 | c >>> 6);
                out[o++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c) && i < n && Character.isLowSurrogate(s.charAt(i))) {
                int cp = Character.toCodePoint(c, s.charAt(i++));
                out[o++] = (byte) (0xf0 | cp >>> 18);
                out[o++] = (byte) (0x80 | cp >>> 12 & 0x3f);
                out[o++] = (byte) (0x80 | cp >>> 6 & 0x3f);
                out[o++] = (byte) (0x80 | cp & 0x3f);
            } else if (c >= 0xDC80 && c <= 0xDCFF) {
                out[o++] = (byte) c;
                escaped = true;
            } else if (Character.isSurrogate(c)) {
                throw notAName(s, "a lone surrogate U+" + Integer.toHexString(c).toUpperCase());
            } else {
                out[o++] = (byte) (0xe0 | c >>> 12);
                out[o++] = (byte) (0x80 | c >>> 6 & 0x3f);
                out[o++] = (byte) (0x80 | c & 0x3f);
            }
        }
        byte[] bytes = Arrays.copyOf(out, o);
        if (escaped && !fromBytes(bytes).equals(s)) {
            throw notAName(s, "escaped bytes that form valid UTF-8 (write the characters instead)");
        }
        return bytes;
    }

    /** The length in bytes of {@link #toBytes}{@code (s)}, or -1 when it has none. */
    public static int byteLength(String s) {
        int n = s.length();
        int len = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                len++;
            } else if (c < 0x800) {
                len += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                len += 4;
                i++;
            } else if (c >= 0xDC80 && c <= 0xDCFF) {
                len++;
            } else if (Character.isSurrogate(c)) {
                return -1;
            } else {
                len += 3;
            }
        }
        return len;
    }

    /**
     * The length of the valid UTF-8 sequence at {@code b[i]} (a byte of 0x80 or more), or 0 when
     * it is not one: a stray continuation byte, a truncated sequence, an overlong form, a
     * surrogate (U+D800..U+DFFF), or a code point past U+10FFFF.
     */
    private static int sequenceLength(byte[] b, int i, int end) {
        int c = b[i] & 0xff;
        int n;
        int min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            min = 0x10000;
        } else {
            return 0; // a continuation byte, 0xc0/0xc1 (always overlong), or 0xf5..0xff
        }
        if (i + n > end) {
            return 0;
        }
        int cp = c & (0xff >>> (n + 1));
        for (int k = 1; k < n; k++) {
            int x = b[i + k] & 0xff;
            if ((x & 0xc0) != 0x80) {
                return 0;
            }
            cp = cp << 6 | (x & 0x3f);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        return n;
    }

    private static DaxException notAName(String s, String why) {
        return new DaxException(Errno.EILSEQ, "not a file name: " + why + " in '" + printable(s) + "'");
    }

    /** {@code s} with its lone surrogates shown as \\uXXXX, for messages. */
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1)))) {
                sb.append(String.format("\\u%04X", (int) c));
            } else if (Character.isHighSurrogate(c)) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
