package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `daxfs mkdir`: creates directories in images, with -p also their missing parents. */
@Command(name = "mkdir", description = "Create directories in an image.")
final class MkdirCommand implements Callable<Integer> {
    @Option(names = {"-p", "--parents"}, description = "Create missing parents; an existing directory is no error.")
    boolean parents;

    @Parameters(paramLabel = "IMAGE:/DIR", arity = "1..*", converter = ImagePathConverter.class)
    List<ImagePath> dirs;

    @Override
    public Integer call() throws DaxException {
        try (MountedImages images = new MountedImages()) {
            for (ImagePath dir : dirs) {
                DaxFileSystem fs = images.get(dir, true);
                if (parents) {
                    mkdirs(fs, dir.path());
                } else {
                    fs.mkdir(dir.path());
                }
            }
        }
        return 0;
    }

    private static void mkdirs(DaxFileSystem fs, String path) throws DaxException {
        StringBuilder prefix = new StringBuilder();
        for (String part : path.substring(1).split("/")) {
            if (part.isEmpty()) {
                continue; // the root: nothing to create
            }
            prefix.append('/').append(part);
            try {
                fs.mkdir(prefix.toString());
            } catch (DaxException e) {
                if (e.errno() != Errno.EEXIST || fs.stat(prefix.toString()).type() != FileType.DIRECTORY) {
                    throw e;
                }
            }
        }
    }
}
