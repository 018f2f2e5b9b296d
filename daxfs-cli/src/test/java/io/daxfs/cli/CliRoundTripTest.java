package io.daxfs.cli;

import io.daxfs.types.Errno;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands end to end on a real image. */
class CliRoundTripTest {
    @TempDir
    Path dir;
    Path image;

    @BeforeEach
    void mkfs() {
        image = dir.resolve("demo.img");
        ok("mkfs", image.toString(), "--size", "64M");
    }

    private CliRun ok(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("", run.stderr(), run::toString);
        return run;
    }

    private String at(String path) {
        return image + ":" + path;
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Asserts that fsck finds the image clean. */
    private void assertClean() {
        String out = ok("fsck", image.toString()).stdout();
        assertTrue(out.contains(": clean ("), out);
    }

    @Test
    void freshImageIsEmptyAndClean() {
        assertEquals("", ok("ls", at("/")).stdout());
        assertEquals("", ok("ls", image.toString()).stdout());
        String df = ok("df", image.toString()).stdout();
        assertTrue(df.lines().anyMatch(l -> l.startsWith(image.toString() + " ")), df);
        assertClean();
    }

    @Test
    void copyInCatAndCopyOutRoundTrip() throws IOException {
        // Not a multiple of the 1 MiB copy chunk, so the last chunk is partial.
        byte[] data = randomBytes((5 << 20) / 2 + 123, 1);
        Path host = Files.write(dir.resolve("data.bin"), data);
        ok("mkdir", "-p", at("/a/b"));
        ok("cp", host.toString(), at("/a/b/data.bin"));
        assertArrayEquals(data, ok("cat", at("/a/b/data.bin")).stdoutBytes());

        Path back = dir.resolve("back.bin");
        ok("cp", at("/a/b/data.bin"), back.toString());
        assertArrayEquals(data, Files.readAllBytes(back));

        // A directory destination receives the file under its own name, on either side.
        Path hostDir = Files.createDirectory(dir.resolve("out"));
        ok("cp", at("/a/b/data.bin"), hostDir.toString());
        assertArrayEquals(data, Files.readAllBytes(hostDir.resolve("data.bin")));
        ok("cp", host.toString(), at("/a"));
        assertArrayEquals(data, ok("cat", at("/a/data.bin")).stdoutBytes());

        assertClean();
    }

    @Test
    void copyWithinAndBetweenImages() {
        byte[] data = randomBytes(300_000, 2);
        Path other = dir.resolve("other.img");
        ok("mkfs", other.toString(), "--size", "64M");
        Path host = writeHost("x", data);
        ok("cp", host.toString(), at("/x"));
        ok("cp", at("/x"), at("/y"));
        ok("cp", at("/y"), other + ":/z");
        assertArrayEquals(data, ok("cat", other + ":/z").stdoutBytes());
        assertArrayEquals(data, ok("cat", at("/y")).stdoutBytes());

        CliRun self = CliRun.of("cp", at("/x"), at("/x"));
        assertEquals(1, self.exitCode(), self::toString);
        assertTrue(self.stderr().startsWith("daxfs: EINVAL: "), self::toString);
        assertArrayEquals(data, ok("cat", at("/x")).stdoutBytes(), "copying a file onto itself must not destroy it");
    }

    @Test
    void lsStatMvRm() {
        ok("mkdir", at("/d"));
        ok("mkdir", "-p", at("/d/e/f"));
        ok("mkdir", "-p", at("/d/e"));
        ok("cp", writeHost("f", new byte[] {42}).toString(), at("/d/file"));
        assertEquals(List.of("e", "file"), ok("ls", at("/d")).stdout().lines().toList());

        String long_ = ok("ls", "-l", at("/d")).stdout();
        assertTrue(long_.lines().anyMatch(l -> l.startsWith("d") && l.endsWith(" e")), long_);
        assertTrue(long_.lines().anyMatch(l -> l.startsWith("-rw") && l.endsWith(" file")), long_);

        String stat = ok("stat", at("/d/file")).stdout();
        assertTrue(stat.contains("Size: 1 "), stat);
        assertTrue(stat.contains("regular file"), stat);

        ok("mv", at("/d/file"), at("/d/e"));
        assertEquals(List.of("f", "file"), ok("ls", at("/d/e")).stdout().lines().toList());
        ok("mv", at("/d/e/file"), at("/renamed"));
        assertEquals(List.of("d", "renamed"), ok("ls", at("/")).stdout().lines().toList());

        CliRun notRecursive = CliRun.of("rm", at("/d"));
        assertEquals(1, notRecursive.exitCode(), notRecursive::toString);
        assertTrue(notRecursive.stderr().startsWith("daxfs: EISDIR: "), notRecursive::toString);
        ok("rm", "-r", at("/d"));
        ok("rm", at("/renamed"));
        ok("rm", "-f", at("/never-was"));
        assertEquals("", ok("ls", at("/")).stdout());
        assertClean();
    }

    @Test
    void errorsInsideTheImageAreOneLine() {
        CliRun run = CliRun.of("cat", at("/nope"));
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(1, run.stderr().lines().count(), run::toString);
        assertTrue(run.stderr().startsWith("daxfs: " + Errno.ENOENT.name() + ": "), run::toString);
    }

    @Test
    void fsckOfSomethingThatIsNoImageFails() throws IOException {
        Path junk = Files.write(dir.resolve("junk.img"), new byte[64 << 10]);
        CliRun run = CliRun.of("fsck", junk.toString());
        assertTrue(run.exitCode() != 0, run::toString);
    }

    private Path writeHost(String name, byte[] data) {
        try {
            return Files.write(dir.resolve(name), data);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
