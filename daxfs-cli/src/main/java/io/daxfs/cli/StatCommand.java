package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** `daxfs stat`: everything the file system records about one path, laid out like stat(1). */
@Command(name = "stat", description = "Show the status of a file, directory or symbolic link in an image (not following a final link).")
final class StatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "IMAGE:/PATH", converter = ImagePathConverter.class)
    ImagePath target;

    @Override
    public Integer call() throws DaxException {
        try (MountedImages images = new MountedImages()) {
            DaxFileSystem fs = images.get(target, false);
            FileStat st = fs.lstat(target.path());
            String link = st.type() == FileType.SYMLINK ? " -> " + fs.readlink(target.path()) : "";
            PrintWriter out = spec.commandLine().getOut();
            out.printf("  File: %s%s%n", target.path(), link);
            out.printf("  Size: %-15d Blocks: %-10d IO Block: %-6d %s%n",
                    st.size(), st.blocks(), FileStat.BLOCK_SIZE, StatFormat.typeName(st.type()));
            out.printf(" Image: %-15s Inode: %-11d Links: %d%n", target.image(), st.ino(), st.nlink());
            out.printf("Access: (%04o/%s)  Uid: %d  Gid: %d%n", st.permissions(), StatFormat.symbolicMode(st), st.uid(), st.gid());
            out.printf("Access: %s%n", StatFormat.full(st.atimeNs()));
            out.printf("Modify: %s%n", StatFormat.full(st.mtimeNs()));
            out.printf("Change: %s%n", StatFormat.full(st.ctimeNs()));
            out.printf(" Birth: %s%n", StatFormat.full(st.btimeNs()));
        }
        return 0;
    }
}
