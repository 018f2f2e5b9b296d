package io.daxfs.cli;

import io.daxfs.types.DaxException;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DirEntry;
import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** `daxfs ls`: lists a directory inside an image (or names a single file), sorted by name. */
@Command(name = "ls", description = "List a directory in an image.",
        footer = {"", "IMAGE alone lists the root directory. See 'daxfs --help' for the IMAGE:/PATH syntax."})
final class LsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-l", description = "Long format: mode, links, owner, group, size, modification time, name.")
    boolean longFormat;

    @Parameters(paramLabel = "IMAGE:/DIR", converter = ImagePathConverter.class, description = "Directory (or file) to list.")
    ImagePath target;

    @Override
    public Integer call() throws DaxException {
        try (MountedImages images = new MountedImages()) {
            DaxFileSystem fs = images.get(target, false);
            List<Row> rows = new ArrayList<>();
            if (fs.stat(target.path()).type() == FileType.DIRECTORY) {
                for (DirEntry e : fs.readdir(target.path())) {
                    rows.add(row(fs, target.resolve(e.name()).path(), e.name()));
                }
            } else {
                rows.add(row(fs, target.path(), target.path()));
            }
            rows.sort(Comparator.comparing(Row::name));
            print(rows);
        }
        return 0;
    }

    private record Row(String name, FileStat stat, String linkTarget) {
    }

    private Row row(DaxFileSystem fs, String path, String name) throws DaxException {
        if (!longFormat) {
            return new Row(name, null, null);
        }
        FileStat st = fs.lstat(path);
        return new Row(name, st, st.type() == FileType.SYMLINK ? fs.readlink(path) : null);
    }

    private void print(List<Row> rows) {
        PrintWriter out = spec.commandLine().getOut();
        if (!longFormat) {
            rows.forEach(r -> out.println(r.name()));
            return;
        }
        int links = width(rows, r -> String.valueOf(r.stat().nlink()));
        int uid = width(rows, r -> String.valueOf(r.stat().uid()));
        int gid = width(rows, r -> String.valueOf(r.stat().gid()));
        int size = width(rows, r -> String.valueOf(r.stat().size()));
        for (Row r : rows) {
            FileStat st = r.stat();
            out.printf("%s %" + links + "d %" + uid + "d %" + gid + "d %" + size + "d %s %s%s%n",
                    StatFormat.symbolicMode(st), st.nlink(), st.uid(), st.gid(), st.size(),
                    StatFormat.minutes(st.mtimeNs()), r.name(), r.linkTarget() == null ? "" : " -> " + r.linkTarget());
        }
    }

    private static int width(List<Row> rows, Function<Row, String> column) {
        return rows.stream().mapToInt(r -> column.apply(r).length()).max().orElse(1);
    }
}
