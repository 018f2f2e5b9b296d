/**
 * The FUSE front end of daxfs: serves a daxfs image on a directory of the host through
 * libfuse3, so that any program can use it. Built on the public API of {@code io.daxfs.core}
 * only. Its one public entry point is {@code io.daxfs.fuse.DaxFuse}; the binding to libfuse
 * ({@code io.daxfs.fuse.lowlevel}) stays inside.
 */
module io.daxfs.fuse {
    // DaxFuse.mount takes a DaxFileSystem and throws DaxException: users of this module need core too.
    requires transitive io.daxfs.core;

    exports io.daxfs.fuse;
}
