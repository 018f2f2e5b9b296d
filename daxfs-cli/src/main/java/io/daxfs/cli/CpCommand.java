package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * `daxfs cp`: copies one regular file into, out of, within or between images. Like cp(1), a
 * destination that is a directory receives the file under its own name. A file copied into an
 * image keeps its permission bits.
 */
@Command(name = "cp", description = "Copy a regular file between the host and an image, or between images.",
        footerHeading = "%nImage paths:%n",
        footer = {ImagePath.SYNTAX_HELP, "", "Examples:", "  daxfs cp notes.txt demo.img:/docs/",
                "  daxfs cp demo.img:/docs/notes.txt copy.txt", "  daxfs cp a.img:/x b.img:/x"})
final class CpCommand implements Callable<Integer> {
    private final CliEnv env;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SRC", description = "Host file or IMAGE:/PATH.")
    String source;

    @Parameters(index = "1", paramLabel = "DST", description = "Host file or directory, or IMAGE:/PATH.")
    String destination;

    CpCommand(CliEnv env) {
        this.env = env;
    }

    @Override
    public Integer call() throws IOException {
        ImagePath src = parse(source);
        ImagePath dst = parse(destination);
        if (src == null && dst == null) {
            throw new ParameterException(spec.commandLine(), "neither SRC nor DST is an image path (IMAGE:/PATH)");
        }
        try (MountedImages images = new MountedImages(); TerminalProgress progress = TerminalProgress.bytes(env, "cp")) {
            // The destination is mounted first, writable, so that a copy within one image reuses that mount.
            DaxFileSystem dstFs = dst == null ? null : images.get(dst, true);
            if (src != null) {
                DaxFileSystem srcFs = images.get(src, false);
                FileStat st = srcFs.stat(src.path());
                requireRegular(st.type(), src.toString());
                try (DaxFile in = srcFs.open(src.path(), READ)) {
                    Origin origin = new Origin(src.name(), st.size(), st.permissions() & 0777, src, st.ino());
                    copy(ChunkedCopy.source(in), origin, dst, dstFs, progress);
                }
            } else {
                Path host = Path.of(source);
                if (Files.isDirectory(host)) {
                    throw DaxException.of(Errno.EISDIR, source);
                }
                try (FileChannel in = FileChannel.open(host, READ)) {
                    Origin origin = new Origin(host.getFileName().toString(), in.size(), hostMode(host), null, 0);
                    copy(ChunkedCopy.source(in), origin, dst, dstFs, progress);
                }
            }
        }
        return 0;
    }

    /** Where the bytes come from: enough to name, size and protect the copy, and to spot copying a file onto itself. */
    private record Origin(String name, long size, int mode, ImagePath image, long ino) {
    }

    private void copy(ChunkedCopy.Source in, Origin origin, ImagePath dst, DaxFileSystem dstFs, TerminalProgress progress)
            throws IOException {
        if (dst == null) {
            Path host = Path.of(destination);
            if (Files.isDirectory(host)) {
                host = host.resolve(origin.name());
            }
            try (FileChannel out = FileChannel.open(host, CREATE, WRITE, TRUNCATE_EXISTING)) {
                ChunkedCopy.copy(in, ChunkedCopy.sink(out), origin.size(), origin.name(), progress);
            }
            return;
        }
        ImagePath target = dst;
        FileStat existing = statOrNull(dstFs, dst);
        if (existing != null && existing.type() == FileType.DIRECTORY) {
            target = dst.resolve(origin.name());
            existing = statOrNull(dstFs, target);
        }
        if (existing != null && origin.image() != null && MountedImages.sameImage(origin.image(), target)
                && existing.ino() == origin.ino()) {
            // Truncating the destination would destroy the source.
            throw new DaxException(Errno.EINVAL, origin.image() + " and " + target + " are the same file");
        }
        try (DaxFile out = dstFs.open(target.path(), origin.mode(), CREATE, WRITE, TRUNCATE_EXISTING)) {
            ChunkedCopy.copy(in, ChunkedCopy.sink(out), origin.size(), origin.name(), progress);
        }
    }

    private ImagePath parse(String arg) {
        try {
            return ImagePath.parseEither(arg).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static FileStat statOrNull(DaxFileSystem fs, ImagePath p) throws DaxException {
        try {
            return fs.stat(p.path());
        } catch (DaxException e) {
            if (e.errno() == Errno.ENOENT) {
                return null;
            }
            throw e;
        }
    }

    private static void requireRegular(FileType type, String what) throws DaxException {
        if (type == FileType.DIRECTORY) {
            throw DaxException.of(Errno.EISDIR, what);
        }
        if (type != FileType.REGULAR) {
            throw new DaxException(Errno.EINVAL, what + ": not a regular file");
        }
    }

    /** The permission bits of a host file; 0644 where the host has no POSIX permissions. */
    private static int hostMode(Path host) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(host);
            int mode = 0;
            for (PosixFilePermission p : perms) {
                // The enum runs OWNER_READ..OTHERS_EXECUTE, i.e. from bit 8 down to bit 0.
                mode |= 0400 >> p.ordinal();
            }
            return mode;
        } catch (UnsupportedOperationException e) {
            return 0644;
        }
    }
}
