package io.daxfs.cli;

import io.daxfs.types.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `daxfs mkfs` reserves a new image's space on the host (a host without room fails at once,
 * with one ENOSPC line and no image left), and `--sparse` keeps the image sparse.
 */
class MkfsCommandTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    /** Bytes the host file system allocated to {@code file} (st_blocks; the JDK does not expose it). */
    private static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertEquals(0, p.waitFor(), "stat failed: " + out);
        return Long.parseLong(out) * 512;
    }

    private static CliRun ok(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("", run.stderr(), run::toString);
        return run;
    }

    @Test
    void aNewImageHasAllItsSpaceReservedOnTheHost() throws Exception {
        Path image = dir.resolve("full.img");
        ok("mkfs", image.toString(), "--size", "32M");
        assertEquals(32 * MIB, Files.size(image));
        assertTrue(allocatedBytes(image) >= 32 * MIB, "reserved: " + allocatedBytes(image));
        assertTrue(ok("fsck", image.toString()).stdout().contains(": clean ("));
    }

    @Test
    void sparseKeepsTheImageSparse() throws Exception {
        Path image = dir.resolve("sparse.img");
        ok("mkfs", image.toString(), "--size", "32M", "--sparse");
        assertEquals(32 * MIB, Files.size(image));
        assertTrue(allocatedBytes(image) < 16 * MIB, "only what mkfs wrote: " + allocatedBytes(image));
        assertTrue(ok("fsck", image.toString()).stdout().contains(": clean ("));
    }

    @Test
    void anImageTheHostHasNoRoomForIsOneENOSPCLineAndNoImage() throws Exception {
        Path image = dir.resolve("huge.img");
        long mib = (Files.getFileStore(dir).getUsableSpace() >> 20) + 1024; // a GiB more than there is
        CliRun run = CliRun.of("mkfs", image.toString(), "--size", mib + "M");
        assertEquals(1, run.exitCode(), run::toString);
        String[] lines = run.stderr().split("\\R");
        assertEquals(1, lines.length, run::toString);
        assertTrue(lines[0].startsWith("daxfs: " + Errno.ENOSPC.name() + ": "), run::toString);
        assertTrue(lines[0].contains("cannot reserve") && lines[0].contains("--sparse"), run::toString);
        assertFalse(Files.exists(image), "no half-made image");
    }

    @Test
    void helpExplainsPreallocationAndSparse() {
        String help = ok("mkfs", "--help").stdout();
        assertTrue(help.contains("--sparse"), help);
        assertTrue(help.contains("reserved"), help);
        assertTrue(help.lines().allMatch(l -> l.length() <= 80), help);
    }
}
