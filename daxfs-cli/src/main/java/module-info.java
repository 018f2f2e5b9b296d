/**
 * The {@code daxfs} command: mkfs, fsck, mount, file commands on images, and benchmarks. It uses
 * the public API of {@code io.daxfs.core} and the FUSE front end; picocli reads its commands by
 * reflection.
 */
module io.daxfs.cli {
    requires io.daxfs.core;
    requires io.daxfs.fuse;
    requires io.daxfs.nio; // bench nio: the java.nio.file provider beside the default one
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires java.management; // bench meta: the heap pools' peak usage

    opens io.daxfs.cli to info.picocli;
    opens io.daxfs.cli.bench to info.picocli;
}
