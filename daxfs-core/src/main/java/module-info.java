/**
 * daxfs: a POSIX-like file system on a byte-addressable memory device, read, written and mapped
 * by Java programs with no page cache and no copies.
 *
 * <p>Only two packages are open to users: {@code io.daxfs.api} (the file system, its files and
 * mappings) and {@code io.daxfs.types} (the errors, options and records they speak in). Every
 * other package is the implementation, layered as docs/DESIGN.md and each package-info describe,
 * and is sealed here: no code outside this module can use it.
 */
module io.daxfs.core {
    // ExtendedMapMode.READ_WRITE_SYNC: MAP_SYNC mappings of image files on a DAX host file system.
    requires jdk.nio.mapmode;

    exports io.daxfs.api;
    exports io.daxfs.types;
}
