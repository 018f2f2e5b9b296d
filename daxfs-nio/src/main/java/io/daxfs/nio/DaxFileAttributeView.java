package io.daxfs.nio;

import java.io.IOException;
import java.nio.file.attribute.FileAttributeView;

/**
 * What daxfs adds to a file's attributes (view name "daxfs"): its inode number, the space its
 * blocks take on the device, and how they lie there. As attributes: {@code daxfs:ino},
 * {@code daxfs:allocatedBytes}, {@code daxfs:extents}, {@code daxfs:hugeAlignedBytes}.
 */
public interface DaxFileAttributeView extends FileAttributeView {
    @Override
    default String name() {
        return "daxfs";
    }

    /** The inode number. */
    long ino() throws IOException;

    /** Bytes of device blocks the file owns (data, extent and attribute blocks). */
    long allocatedBytes() throws IOException;

    /**
     * Extents in the file's block map: runs of consecutive device blocks. A segment from
     * {@code FileChannel.map} takes one kernel mapping per run it covers. 0 for anything but a
     * regular file.
     */
    long extents() throws IOException;

    /**
     * Bytes of the file in 2 MiB pieces aligned both in the file and on the device, which a
     * mapping can take with 2 MiB pages. 0 for anything but a regular file.
     */
    long hugeAlignedBytes() throws IOException;
}
