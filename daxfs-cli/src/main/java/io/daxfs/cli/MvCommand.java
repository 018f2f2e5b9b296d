package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * `daxfs mv`: renames within one image, atomically, like rename(2). As with mv(1), a destination
 * that is a directory receives the source under its own name.
 */
@Command(name = "mv", description = "Move or rename a file or directory within one image.")
final class MvCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE:/SRC", converter = ImagePathConverter.class)
    ImagePath source;

    @Parameters(index = "1", paramLabel = "IMAGE:/DST", converter = ImagePathConverter.class)
    ImagePath destination;

    @Override
    public Integer call() throws DaxException {
        if (!MountedImages.sameImage(source, destination)) {
            throw new DaxException(Errno.EXDEV, source + " -> " + destination
                    + ": mv works within one image; use cp and rm between images");
        }
        try (MountedImages images = new MountedImages()) {
            DaxFileSystem fs = images.get(source, true);
            ImagePath target = destination;
            if (!source.path().equals(destination.path()) && isDirectory(fs, destination)) {
                target = destination.resolve(source.name());
            }
            fs.rename(source.path(), target.path());
        }
        return 0;
    }

    private static boolean isDirectory(DaxFileSystem fs, ImagePath p) throws DaxException {
        try {
            return fs.stat(p.path()).type() == FileType.DIRECTORY;
        } catch (DaxException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
    }
}
