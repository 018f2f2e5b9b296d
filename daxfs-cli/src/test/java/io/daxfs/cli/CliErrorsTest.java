package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.types.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a user sees when something goes wrong: one line, an errno name, a non-zero exit, no stack trace. */
class CliErrorsTest {
    @TempDir
    Path dir;

    /** Asserts the run failed with exactly one stderr line of the form "daxfs: ERRNO: ...". */
    private static String singleErrorLine(CliRun run, int exitCode, Errno errno) {
        assertEquals(exitCode, run.exitCode(), run::toString);
        String[] lines = run.stderr().split("\\R");
        assertEquals(1, lines.length, run::toString);
        assertTrue(lines[0].startsWith("daxfs: " + errno.name() + ": "), run::toString);
        assertFalse(run.stderr().contains("\tat "), run::toString);
        assertFalse(run.stderr().contains("Exception"), run::toString);
        return lines[0];
    }

    @Test
    void missingImageIsOneLineWithErrno() {
        CliRun run = CliRun.of("ls", dir.resolve("nothere.img") + ":/");
        String line = singleErrorLine(run, 1, Errno.ENOENT);
        assertTrue(line.contains("nothere.img"), line);
        assertEquals("", run.stdout());
    }

    @Test
    void missingParameterIsAUsageErrorWithAHint() {
        String line = singleErrorLine(CliRun.of("mkfs"), 2, Errno.EINVAL);
        assertTrue(line.contains("IMAGE"), line);
        assertTrue(line.contains("daxfs mkfs --help"), line);
    }

    @Test
    void unknownCommandIsAUsageError() {
        singleErrorLine(CliRun.of("frobnicate"), 2, Errno.EINVAL);
    }

    @Test
    void misspeltOptionSuggestsTheRightOne() {
        String line = singleErrorLine(CliRun.of("mkfs", "x.img", "--sise", "1M"), 2, Errno.EINVAL);
        assertTrue(line.contains("--size"), line);
    }

    @Test
    void badSizeIsAUsageError() {
        String line = singleErrorLine(CliRun.of("mkfs", dir.resolve("x.img").toString(), "--size", "12Q"), 2, Errno.EINVAL);
        assertTrue(line.contains("12Q"), line);
        assertFalse(Files.exists(dir.resolve("x.img")));
    }

    @Test
    void noCommandIsAUsageError() {
        singleErrorLine(CliRun.of(), 2, Errno.EINVAL);
        singleErrorLine(CliRun.of("bench"), 2, Errno.EINVAL);
    }

    @Test
    void mkfsNeedsASizeForAnImageFile() {
        String line = singleErrorLine(CliRun.of("mkfs", dir.resolve("x.img").toString()), 2, Errno.EINVAL);
        assertTrue(line.contains("--size"), line);
    }

    @Test
    void mkfsRefusesToOverwriteANonEmptyFile() throws IOException {
        Path precious = Files.write(dir.resolve("precious.img"), new byte[] {1, 2, 3});
        String line = singleErrorLine(CliRun.of("mkfs", precious.toString(), "--size", "64M"), 1, Errno.EEXIST);
        assertTrue(line.contains("--force"), line);
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(precious));
    }

    @Test
    void cpNeedsAnImageOnOneSide() {
        singleErrorLine(CliRun.of("cp", "a", "b"), 2, Errno.EINVAL);
    }

    @Test
    void cpFromAMissingHostFileNamesIt() throws IOException {
        Path image = Files.createFile(dir.resolve("demo.img"));
        CliRun run = CliRun.of("cp", dir.resolve("missing.txt").toString(), image + ":/x");
        // The image is mounted first and is no valid image here, so either failure is a proper one-liner.
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(1, run.stderr().lines().count(), run::toString);
        assertTrue(run.stderr().startsWith("daxfs: E"), run::toString);
    }

    @Test
    void mvBetweenImagesIsEXDEV() {
        singleErrorLine(CliRun.of("mv", dir + "/a.img:/x", dir + "/b.img:/x"), 1, Errno.EXDEV);
    }

    @Test
    void debugPrintsTheStackTraceToo() {
        CliRun viaEnv = CliRun.debug("ls", dir.resolve("nothere.img") + ":/");
        assertEquals(1, viaEnv.exitCode());
        assertTrue(viaEnv.stderr().startsWith("daxfs: ENOENT: "), viaEnv::toString);
        assertTrue(viaEnv.stderr().contains("\tat "), viaEnv::toString);

        CliRun viaFlag = CliRun.of("ls", "--debug", dir.resolve("nothere.img") + ":/");
        assertTrue(viaFlag.stderr().contains("\tat "), viaFlag::toString);
    }

    @Test
    void unexpectedExceptionsAreEIO() {
        assertEquals("EIO: boom", ErrorReporter.describe(new IllegalStateException("boom")));
        assertEquals("EIO: NullPointerException", ErrorReporter.describe(new NullPointerException()));
        assertEquals("EIO: two lines", ErrorReporter.describe(new RuntimeException("two\nlines")));
        assertTrue(ErrorReporter.describe(new OutOfMemoryError()).startsWith("ENOMEM: "));
    }

    @Test
    void daxExceptionsKeepTheirMessage() {
        assertEquals("ENOSPC: /a: no space left on device",
                ErrorReporter.describe(DaxException.of(Errno.ENOSPC, "/a")));
    }

    @Test
    void hostErrorsGetTheirErrno() {
        assertEquals("ENOENT: /x: no such file or directory", ErrorReporter.describe(new NoSuchFileException("/x")));
        assertEquals("EACCES: /x: permission denied", ErrorReporter.describe(new AccessDeniedException("/x")));
        assertEquals("EISDIR: /x: is a directory",
                ErrorReporter.describe(new FileSystemException("/x", null, "Is a directory")));
        assertEquals("EIO: /x: Weird failure",
                ErrorReporter.describe(new FileSystemException("/x", null, "Weird failure")));
        assertEquals("EIO: Broken pipe", ErrorReporter.describe(new IOException("Broken pipe")));
    }

    @Test
    void reportPrintsOneLine() {
        StringWriter sw = new StringWriter();
        ErrorReporter.report(new PrintWriter(sw), new IllegalArgumentException("bad\r\nthing"), false);
        assertEquals("daxfs: EIO: bad thing" + System.lineSeparator(), sw.toString());
    }
}
