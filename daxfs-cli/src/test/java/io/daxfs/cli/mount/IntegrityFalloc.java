package io.daxfs.cli.mount;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * fallocate(2) for tests, which Java has no API for: a small C program, compiled with gcc into a
 * temporary directory and started once, that reads commands on stdin and answers "ok" or
 * "err ERRNO" per line. Commands: {@code punch|zero|zerokeep|alloc|allockeep PATH OFF LEN},
 * {@code fsync PATH}. Each command opens PATH read-write, acts and closes it again.
 */
final class IntegrityFalloc implements AutoCloseable {
    private static final String SOURCE = """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <linux/falloc.h>
            #include <stdio.h>
            #include <string.h>
            #include <unistd.h>

            int main(void) {
                char line[8192], cmd[32], path[4096];
                long long off = 0, len = 0;
                setvbuf(stdout, NULL, _IOLBF, 0);
                while (fgets(line, sizeof line, stdin)) {
                    if (sscanf(line, "%31s %4095s %lld %lld", cmd, path, &off, &len) < 2) {
                        printf("err %d\\n", EINVAL);
                        continue;
                    }
                    int fd = open(path, O_RDWR);
                    if (fd < 0) {
                        printf("err %d\\n", errno);
                        continue;
                    }
                    int rc;
                    errno = 0;
                    if (!strcmp(cmd, "punch")) rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
                    else if (!strcmp(cmd, "zero")) rc = fallocate(fd, FALLOC_FL_ZERO_RANGE, off, len);
                    else if (!strcmp(cmd, "zerokeep")) rc = fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len);
                    else if (!strcmp(cmd, "alloc")) rc = fallocate(fd, 0, off, len);
                    else if (!strcmp(cmd, "allockeep")) rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, off, len);
                    else if (!strcmp(cmd, "fsync")) rc = fsync(fd);
                    else { rc = -1; errno = EINVAL; }
                    int e = errno;
                    if (close(fd) != 0 && rc == 0) { rc = -1; e = errno; }
                    if (rc != 0) printf("err %d\\n", e); else printf("ok\\n");
                }
                return 0;
            }
            """;

    private final Process process;
    private final Writer in;
    private final BufferedReader out;

    private IntegrityFalloc(Process process) {
        this.process = process;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    }

    /** Compiles the helper into {@code dir} and starts it. */
    static IntegrityFalloc start(Path dir) throws IOException {
        Path src = dir.resolve("falloc-helper.c");
        Path bin = dir.resolve("falloc-helper");
        Files.writeString(src, SOURCE);
        Proc cc = Proc.run(120, "gcc", "-O1", "-Wall", "-o", bin.toString(), src.toString());
        if (cc.exit() != 0) {
            fail("gcc could not build the fallocate helper: " + cc.output());
        }
        return new IntegrityFalloc(new ProcessBuilder(bin.toString()).redirectErrorStream(true).start());
    }

    /**
     * A directory for test images in memory (/dev/shm) when there is one: the server's fsync
     * persists with msync of the image, which on a disk costs milliseconds a flush; otherwise
     * {@code fallback}. Remove it with {@link #deleteFastDir} (after the mount is closed).
     */
    static Path fastDir(Path fallback) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, "daxfs-test-");
        }
        return fallback;
    }

    static void deleteFastDir(Path dir, Path fallback) throws IOException {
        if (dir.equals(fallback) || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Runs one command; returns 0 or the errno. */
    int run(String cmd, Path path, long off, long len) throws IOException {
        in.write(cmd + " " + path + " " + off + " " + len + "\n");
        in.flush();
        String reply = out.readLine();
        if (reply == null) {
            throw new IOException("the fallocate helper died (exit " + (process.isAlive() ? "?" : process.exitValue()) + ")");
        }
        if (reply.equals("ok")) {
            return 0;
        }
        if (reply.startsWith("err ")) {
            return Integer.parseInt(reply.substring(4).trim());
        }
        throw new IOException("the fallocate helper said: " + reply);
    }

    @Override
    public void close() throws IOException {
        in.close();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
