package io.daxfs.api;

import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileNames;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Names and symlink targets are bytes: a program that has them as bytes passes
 * {@link FileNames#fromBytes} to the String methods and gets listed names back with
 * {@link DirEntry#nameBytes}; they are stored exactly and survive a remount.
 */
class ByteNamesSpec extends FsSpec {
    @TempDir
    Path tmp;

    private static String name(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return FileNames.fromBytes(b);
    }

    @Test
    void namesDifferingOnlyInNonUtf8BytesAreDifferentFiles() throws Exception {
        writeFile("/" + name('a', 0xff), utf8("one"));
        writeFile("/" + name('a', 0xfe), utf8("two"));
        writeFile("/a\uFFFD", utf8("three"));
        assertEquals(3, fs.readdir("/").size());
        assertArrayEquals(utf8("one"), readFile("/" + name('a', 0xff)));
        assertArrayEquals(utf8("two"), readFile("/" + name('a', 0xfe)));
        assertArrayEquals(utf8("three"), readFile("/a\uFFFD"));
    }

    @Test
    void byteNamesAndTargetsAreStoredExactlyAcrossARemount() throws Exception {
        Path image = tmp.resolve("img");
        byte[] dir = {'d', (byte) 0x80};
        byte[] file = {(byte) 0xc0, (byte) 0xaf, (byte) 0xff};
        byte[] target = {'.', '.', '/', (byte) 0xed, (byte) 0xb2, (byte) 0x80};
        try (DaxFileSystem a = DaxFileSystem.format(image, 32L << 20)) {
            a.mkdir("/" + FileNames.fromBytes(dir));
            a.open("/" + FileNames.fromBytes(dir) + "/" + FileNames.fromBytes(file), CREATE_NEW, WRITE).close();
            a.symlink(FileNames.fromBytes(target), "/" + FileNames.fromBytes(file));
        }
        try (DaxFileSystem b = DaxFileSystem.mount(image)) {
            List<DirEntry> root = b.readdir("/");
            assertEquals(2, root.size());
            assertArrayEquals(dir, root.stream().filter(e -> e.name().startsWith("d")).findFirst().orElseThrow().nameBytes());
            List<DirEntry> in = b.readdir("/" + FileNames.fromBytes(dir));
            assertArrayEquals(file, in.getFirst().nameBytes());
            assertArrayEquals(target, FileNames.toBytes(b.readlink("/" + FileNames.fromBytes(file))));
        }
    }

    @Test
    void theNameLimitCountsBytesAndStringsWithNoByteFormAreEILSEQ() throws Exception {
        int[] max = new int[255];
        java.util.Arrays.fill(max, 0xff);
        writeFile("/" + name(max), utf8("x"));
        int[] over = new int[256];
        java.util.Arrays.fill(over, 0xff);
        fails(Errno.ENAMETOOLONG, () -> fs.open("/" + name(over), CREATE_NEW, WRITE));
        fails(Errno.EILSEQ, () -> fs.open("/bad\uD800", CREATE_NEW, WRITE), "a lone high surrogate");
        fails(Errno.EILSEQ, () -> fs.mkdir("/\uDCC3\uDCA9"), "escapes of valid UTF-8 (the String form is é)");
        fails(Errno.EILSEQ, () -> fs.symlink("t\uDBFF", "/s"), "a symlink target");
    }
}
