package io.daxfs.types;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The String form of byte names: lossless, one-to-one, UTF-8 where the bytes are UTF-8. */
class FileNamesSpec {

    @Test
    void validUtf8DecodesAsTheJdkDoesAndEncodesBack() throws Exception {
        for (String s : new String[]{"plain", "café", "日本語", "emoji \uD83D\uDE00", "\u0080\u07FF\u0800\uFFFF", ""}) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(s, FileNames.fromBytes(b));
            assertArrayEquals(b, FileNames.toBytes(s));
            assertEquals(b.length, FileNames.byteLength(s));
        }
    }

    @Test
    void bytesThatAreNotUtf8BecomeOneEscapeEachAndComeBackExactly() throws Exception {
        assertEquals("a\uDCFF", FileNames.fromBytes(new byte[]{'a', (byte) 0xff}));
        assertEquals("a\uDCFE", FileNames.fromBytes(new byte[]{'a', (byte) 0xfe}));
        assertNotEquals(FileNames.fromBytes(new byte[]{'a', (byte) 0xff}), FileNames.fromBytes(new byte[]{'a', (byte) 0xfe}),
                "two byte names are two Strings (the JDK decoder makes both a + U+FFFD)");
        byte[][] odd = {
                {(byte) 0xc0, (byte) 0xaf},               // overlong '/'
                {(byte) 0xed, (byte) 0xb2, (byte) 0x80},  // an encoded surrogate
                {'c', 'a', 'f', (byte) 0xc3},             // truncated
                {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // past U+10FFFF
                {(byte) 0x80}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        };
        for (byte[] b : odd) {
            String s = FileNames.fromBytes(b);
            assertEquals(b.length, s.length(), "one escape per byte");
            assertArrayEquals(b, FileNames.toBytes(s));
        }
    }

    @Test
    void everyByteStringRoundTripsAndDistinctBytesAreDistinctStrings() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        Map<String, byte[]> seen = new HashMap<>();
        byte[] alphabet = {'a', 0, (byte) 0x80, (byte) 0xbf, (byte) 0xc2, (byte) 0xc3, (byte) 0xe0, (byte) 0xed,
                (byte) 0xef, (byte) 0xf0, (byte) 0xf4, (byte) 0xff, (byte) 0xa9, (byte) 0x9f};
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[r.nextInt(6)];
            for (int k = 0; k < b.length; k++) {
                b[k] = r.nextInt(4) == 0 ? (byte) r.nextInt(256) : alphabet[r.nextInt(alphabet.length)];
            }
            String s = FileNames.fromBytes(b);
            assertArrayEquals(b, FileNames.toBytes(s), () -> "round trip of " + java.util.HexFormat.of().formatHex(b));
            assertEquals(b.length, FileNames.byteLength(s));
            byte[] before = seen.putIfAbsent(s, b);
            if (before != null) {
                assertArrayEquals(before, b, "two byte strings with one String form");
            }
        }
    }

    @Test
    void aStringThatIsNoByteStringsFormIsEILSEQ() {
        for (String s : new String[]{"\uD800", "a\uDBFFb", "\uDC00", "\uDC7F", "\uDCC3\uDCA9", "x\uDCE2\uDC82\uDCAC"}) {
            DaxException e = assertThrows(DaxException.class, () -> FileNames.toBytes(s));
            assertEquals(Errno.EILSEQ, e.errno(), s);
        }
    }
}
