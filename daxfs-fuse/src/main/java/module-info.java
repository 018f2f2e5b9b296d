/**
 * The FUSE front end of daxfs: serves a daxfs image on a directory of the host through
 * libfuse3, so that any program can use it. Built on the public API of {@code io.daxfs.core}
 * only.
 */
module io.daxfs.fuse {
    requires io.daxfs.core;

    exports io.daxfs.fuse;
    // Until the FUSE module has one public entry point, the CLI reaches the binding directly.
    exports io.daxfs.fuse.lowlevel to io.daxfs.cli;
}
