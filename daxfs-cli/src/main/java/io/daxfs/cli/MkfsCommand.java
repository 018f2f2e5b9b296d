package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FormatOptions;
import io.daxfs.types.FsStat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * `daxfs mkfs`: creates a file system in an image file or on a device-DAX device. A new image
 * file has its space reserved on the host (so a host disk too small for it fails here, with
 * ENOSPC, not later as I/O errors of a mounted image); --sparse leaves it sparse. It will not
 * destroy data by accident: a non-empty file or any device needs --force.
 */
@Command(name = "mkfs", sortOptions = false,
        description = "Create a daxfs file system in an image file (or on a /dev/daxX.Y device).",
        footer = {"", "A new image file has all its space reserved on the host file system at once, so",
                "a host without room for it fails now, not later while the image is in use.",
                "--sparse instead takes host space only as the image is written: quick and small,",
                "but a host file system that fills up then turns the image read-only (I/O errors).",
                "", "Examples:", "  daxfs mkfs demo.img --size 64M",
                "  daxfs mkfs big.img --size 4G --inodes 100000 --journal 64M",
                "  daxfs mkfs scratch.img --size 1T --sparse"})
final class MkfsCommand implements Callable<Integer> {
    private final CliEnv env;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "IMAGE", description = "Image file to create (or device to format).")
    Path image;

    @Option(names = {"-s", "--size"}, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of a new image file, e.g. 64M, 1G (a multiple of 4K).")
    Long size;

    @Option(names = "--inodes", paramLabel = "N", description = "Number of inodes (default: one per 16 KiB, at least 1024).")
    long inodes;

    @Option(names = "--journal", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Journal size (default: 1/64 of the image, 1M to 256M).")
    long journal;

    @Option(names = "--sparse", description = "Leave a new image file sparse instead of reserving its space.")
    boolean sparse;

    @Option(names = {"-f", "--force"}, description = "Overwrite a non-empty file or a device.")
    boolean force;

    MkfsCommand(CliEnv env) {
        this.env = env;
    }

    @Override
    public Integer call() throws IOException {
        if (inodes < 0) {
            throw new ParameterException(spec.commandLine(), "--inodes must not be negative");
        }
        BasicFileAttributes attrs = attributes(image);
        boolean device = attrs != null && attrs.isOther();
        if (attrs != null && attrs.isDirectory()) {
            throw DaxException.of(Errno.EISDIR, image.toString());
        }
        if (device && size != null) {
            throw new ParameterException(spec.commandLine(), "--size is for image files; a device is formatted whole");
        }
        if (device && sparse) {
            throw new ParameterException(spec.commandLine(), "--sparse is for image files; a device has no holes");
        }
        if (!device && size == null) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--size=SIZE'");
        }
        if (!force && (device || attrs != null && attrs.size() > 0)) {
            throw new DaxException(Errno.EEXIST, image + ": " + (device ? "is a device" : "exists and is not empty")
                    + "; use --force to overwrite it");
        }
        FsStat st;
        try (TerminalProgress progress = TerminalProgress.items(env, "mkfs");
             DaxFileSystem fs = format(FormatOptions.DEFAULT.withInodes(inodes).withJournalSize(journal)
                     .withProgress(progress).withSparse(sparse), attrs == null)) {
            st = fs.statfs();
        }
        spec.commandLine().getOut().printf("%s: %s, %d blocks of %d bytes, %d inodes, uuid %s%n",
                image, Sizes.format(st.totalBlocks() * st.blockSize()), st.totalBlocks(), st.blockSize(),
                st.totalInodes(), st.uuid());
        return 0;
    }

    private DaxFileSystem format(FormatOptions options, boolean created) throws DaxException {
        if (size == null) {
            return DaxFileSystem.formatDevice(image, options);
        }
        try {
            return DaxFileSystem.format(image, size, options);
        } catch (DaxException e) {
            deleteIfCreated(created, e);
            if (e.errno() == Errno.ENOSPC && !options.sparse()) {
                // Preallocation left no image behind; say what would make one anyway.
                throw new DaxException(Errno.ENOSPC, e.detail() + " (--sparse creates it without reserving)", e);
            }
            throw e;
        } catch (RuntimeException e) {
            deleteIfCreated(created, e);
            throw e;
        }
    }

    /** A half-made image is worth nothing and would need --force next time. */
    private void deleteIfCreated(boolean created, Exception e) {
        if (created) {
            try {
                Files.deleteIfExists(image);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
        }
    }

    /** The attributes of {@code p}, or null when there is nothing there yet. */
    private static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
