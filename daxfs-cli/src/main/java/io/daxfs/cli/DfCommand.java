package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.types.FsStat;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** `daxfs df`: space and inode usage of images, one line each. */
@Command(name = "df", description = "Show space and inode usage of images.")
final class DfCommand implements Callable<Integer> {
    private static final String FORMAT = "%-20s %10s %10s %10s %4s %10s %10s %10s %5s%n";

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", converter = ImagePathConverter.class)
    List<ImagePath> images;

    @Override
    public Integer call() throws DaxException {
        PrintWriter out = spec.commandLine().getOut();
        out.printf(FORMAT, "Image", "Size", "Used", "Avail", "Use%", "Inodes", "IUsed", "IFree", "IUse%");
        try (MountedImages mounted = new MountedImages()) {
            for (ImagePath image : images) {
                FsStat st = mounted.get(image, false).statfs();
                long total = st.totalBlocks() * st.blockSize();
                long free = st.freeBlocks() * st.blockSize();
                long avail = st.availableBlocks() * st.blockSize();
                long usedInodes = st.totalInodes() - st.freeInodes();
                // As df(1): Used is what is not free; Avail leaves out the metadata reserve.
                out.printf(FORMAT, image.image(), Sizes.format(total), Sizes.format(total - free), Sizes.format(avail),
                        percent(total - free, total), st.totalInodes(), usedInodes, st.freeInodes(),
                        percent(usedInodes, st.totalInodes()));
            }
        }
        return 0;
    }

    /** Rounded up, as df(1) does, so that a nearly full image never shows as less full than it is. */
    private static String percent(long used, long total) {
        return total == 0 ? "-" : (used * 100 + total - 1) / total + "%";
    }
}
