package io.daxfs.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizesTest {
    @ParameterizedTest
    @CsvSource({
            "0, 0",
            "4096, 4096",
            "1K, 1024",
            "64M, 67108864",
            "64m, 67108864",
            "64MiB, 67108864",
            "64MB, 67108864",
            "1G, 1073741824",
            "2T, 2199023255552",
            "512B, 512",
            "' 8M ', 8388608",
    })
    void parsesBinarySuffixes(String text, long bytes) {
        assertEquals(bytes, Sizes.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "M", "-1M", "1.5G", "12Q", "1 G B", "0x10", "64Mb2"})
    void rejectsMalformedSizes(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertTrue(e.getMessage().contains("invalid size"), e.getMessage());
    }

    @Test
    void rejectsOverflow() {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("9999999999T"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("99999999999999999999"));
        assertEquals(8191L << 40, Sizes.parse("8191T"));
    }

    @ParameterizedTest
    @CsvSource({
            "0, 0 B",
            "1023, 1023 B",
            "1024, 1 KiB",
            "1536, 1.5 KiB",
            "67108864, 64 MiB",
            "1073741824, 1 GiB",
            "1099511627776, 1 TiB",
            "1125899906842624, 1024 TiB",
    })
    void formatsForPeople(long bytes, String text) {
        assertEquals(text, Sizes.format(bytes));
    }
}
