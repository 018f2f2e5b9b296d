package io.daxfs.fsck;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The problem lines of one check, in the order found. The list is capped: an image of garbage
 * with a valid superblock could otherwise produce millions of lines (one per inode record), so
 * past {@link #MAX_LINES} the rest are only counted and summarised in one last line.
 */
final class Findings {
    static final int MAX_LINES = 10_000;

    private final List<String> lines = new ArrayList<>();
    private long suppressed;

    void problem(String line) {
        if (lines.size() < MAX_LINES) {
            lines.add(line);
        } else {
            suppressed++;
        }
    }

    boolean isEmpty() {
        return lines.isEmpty();
    }

    /** Every line, plus a summary of the suppressed ones. */
    List<String> lines() {
        List<String> out = new ArrayList<>(lines);
        if (suppressed > 0) {
            out.add("... and " + suppressed + " more problems not shown");
        }
        return out;
    }

    /**
     * A directory entry name for a message: quoted, UTF-8 when it decodes, and with control
     * characters and undecodable bytes escaped so that one problem stays one line.
     */
    static String quote(byte[] name) {
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(name)).toString();
        } catch (CharacterCodingException e) {
            StringBuilder hex = new StringBuilder("'");
            for (byte b : name) {
                hex.append(b >= 0x20 && b < 0x7F && b != '\\' && b != '\'' ? String.valueOf((char) b)
                        : String.format("\\x%02x", b & 0xFF));
            }
            return hex.append('\'').toString();
        }
        StringBuilder out = new StringBuilder("'");
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7F || c == '\\' || c == '\'') {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append('\'').toString();
    }

    /** "1 block", "3 blocks": {@code n} and the noun, plural when {@code n != 1}. */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** "block 7" or "blocks 7-9" for the run {@code [start, start + count)}. */
    static String blocks(long start, long count) {
        return count == 1 ? "block " + start : "blocks " + start + "-" + (start + count - 1);
    }
}
