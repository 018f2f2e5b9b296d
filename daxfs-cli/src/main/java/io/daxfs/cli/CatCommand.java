package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;
import io.daxfs.types.ProgressListener;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `daxfs cat`: writes files from images to standard output, byte for byte. */
@Command(name = "cat", description = "Write files in an image to standard output.")
final class CatCommand implements Callable<Integer> {
    private final CliEnv env;

    @Parameters(paramLabel = "IMAGE:/PATH", arity = "1..*", converter = ImagePathConverter.class)
    List<ImagePath> files;

    CatCommand(CliEnv env) {
        this.env = env;
    }

    @Override
    public Integer call() throws IOException {
        OutputStream out = env.stdout();
        // A heap buffer: the device copies straight into the array that the stream writes from.
        byte[] chunk = new byte[ChunkedCopy.CHUNK];
        ChunkedCopy.Sink sink = (pos, src) -> out.write(chunk, 0, (int) src.byteSize());
        try (MountedImages images = new MountedImages()) {
            for (ImagePath p : files) {
                DaxFileSystem fs = images.get(p, false);
                if (fs.stat(p.path()).type() == FileType.DIRECTORY) {
                    throw DaxException.of(Errno.EISDIR, p.toString());
                }
                try (DaxFile in = fs.open(p.path(), StandardOpenOption.READ)) {
                    ChunkedCopy.copy(ChunkedCopy.source(in), sink, 0, p.path(), ProgressListener.NONE, MemorySegment.ofArray(chunk));
                }
            }
        } finally {
            out.flush();
        }
        return 0;
    }
}
