package io.daxfs.types;


import java.util.List;

/**
 * The outcome of a file system check: every problem found (one line each), what was repaired,
 * and counts of what was checked. {@link #clean()} is true only when nothing was wrong.
 */
public record FsckReport(List<String> problems, List<String> repairs, long inodesChecked,
                         long directoriesChecked, long blocksInUse, boolean journalReplayed) {
    public boolean clean() {
        return problems.isEmpty();
    }
}
