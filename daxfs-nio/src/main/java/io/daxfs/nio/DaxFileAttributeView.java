package io.daxfs.nio;

import java.io.IOException;
import java.nio.file.attribute.FileAttributeView;

/**
 * What daxfs adds to a file's attributes (view name "daxfs"): its inode number and the space its
 * blocks take on the device. As attributes: {@code daxfs:ino}, {@code daxfs:allocatedBytes}.
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
}
