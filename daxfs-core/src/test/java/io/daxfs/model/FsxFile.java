package io.daxfs.model;

import io.daxfs.api.DaxFile;

/** One file of a run: its name, the open handle the operations go through, and its model. */
final class FsxFile {
    final String path;
    /** Replaced when ENOSPC leaves the file in a state the model takes over from the file system. */
    FileModel model;
    /** Replaced by reopen and remount. */
    DaxFile file;
    /** Unlinked while open: no name any more, freed when closed. */
    boolean orphan;

    FsxFile(String path, FileModel model, DaxFile file) {
        this.path = path;
        this.model = model;
        this.file = file;
    }

    @Override
    public String toString() {
        return path + (orphan ? " (orphan)" : "");
    }
}
