package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `daxfs rm`: removes files and symbolic links from images, and with -r whole directory trees. */
@Command(name = "rm", description = "Remove files or symbolic links (with -r also directories) from an image.")
final class RmCommand implements Callable<Integer> {
    @Option(names = {"-r", "-R", "--recursive"}, description = "Remove directories and everything in them.")
    boolean recursive;

    @Option(names = {"-f", "--force"}, description = "Ignore paths that do not exist.")
    boolean force;

    @Parameters(paramLabel = "IMAGE:/PATH", arity = "1..*", converter = ImagePathConverter.class)
    List<ImagePath> targets;

    @Override
    public Integer call() throws DaxException {
        try (MountedImages images = new MountedImages()) {
            for (ImagePath t : targets) {
                DaxFileSystem fs = images.get(t, true);
                FileStat st;
                try {
                    st = fs.lstat(t.path());
                } catch (DaxException e) {
                    if (force && e.errno() == Errno.ENOENT) {
                        continue;
                    }
                    throw e;
                }
                if (st.type() != FileType.DIRECTORY) {
                    fs.unlink(t.path());
                } else if (!recursive) {
                    throw new DaxException(Errno.EISDIR, t + ": is a directory; use -r to remove it");
                } else if (t.isRoot()) {
                    throw new DaxException(Errno.EINVAL, t + ": refusing to remove the root directory");
                } else {
                    removeTree(fs, t);
                }
            }
        }
        return 0;
    }

    private static void removeTree(DaxFileSystem fs, ImagePath dir) throws DaxException {
        for (DirEntry e : fs.readdir(dir.path())) {
            ImagePath child = dir.resolve(e.name());
            if (e.type() == FileType.DIRECTORY) {
                removeTree(fs, child);
            } else {
                fs.unlink(child.path());
            }
        }
        fs.rmdir(dir.path());
    }
}
