package io.daxfs.model;

/**
 * Parameters of an fsx run: how big things get and how often the rarer operations come.
 *
 * @param files          files per runner (each runner also recreates and orphans files as it goes)
 * @param maxFileSize    the model never lets a file's size, or any block it owns, reach past this
 * @param bigOpPercent   percent of data operations that are big (1-4 MiB); the rest are mostly 1 B - 64 KiB
 * @param invalidPercent percent of range operations generated with invalid arguments (must fail, change nothing)
 * @param remountEvery   mean operations between unmount/remount (0: never; the concurrent test cannot remount)
 * @param verifyEvery    operations between full verifications of every file (contents, holes, sizes)
 * @param unlinkEvery    mean operations between unlink-and-recreate of a file (0: never)
 * @param farEvery       mean operations between writes far beyond the model's range (up to 16 TiB), undone at once
 * @param enospc         the file system is small: ENOSPC is expected and modelled, not a failure
 * @param exclusive      the runner is the file system's only user: it checks after every operation
 *                       that the used blocks are exactly what the files own, and inspects block
 *                       mappings (2 MiB-aligned runs) without the file's locks
 * @param namePrefix     file names are {@code "/" + namePrefix + index}
 */
public record FsxConfig(int files, long maxFileSize, int bigOpPercent, int invalidPercent, int remountEvery,
                        int verifyEvery, int unlinkEvery, int farEvery, boolean enospc, boolean exclusive,
                        String namePrefix) {

    /** Files up to 16 MiB, for a 256 MiB file system. */
    public static FsxConfig standard() {
        return new FsxConfig(4, 16L << 20, 4, 4, 1500, 1000, 1000, 3000, false, true, "f");
    }

    /** Files up to 5 MiB each, for a file system too small to hold them all. */
    public static FsxConfig smallFileSystem() {
        return new FsxConfig(5, 5L << 20, 6, 3, 700, 1000, 700, 0, true, true, "f");
    }

    /** For one of several threads sharing a file system: no remount, no global space check. */
    public static FsxConfig concurrent(String prefix) {
        return new FsxConfig(3, 8L << 20, 3, 4, 0, 2000, 800, 0, false, false, prefix);
    }

    public FsxConfig withFiles(int n) {
        return new FsxConfig(n, maxFileSize, bigOpPercent, invalidPercent, remountEvery, verifyEvery, unlinkEvery,
                farEvery, enospc, exclusive, namePrefix);
    }

    public FsxConfig withMaxFileSize(long bytes) {
        return new FsxConfig(files, bytes, bigOpPercent, invalidPercent, remountEvery, verifyEvery, unlinkEvery,
                farEvery, enospc, exclusive, namePrefix);
    }

    public FsxConfig withRemountEvery(int n) {
        return new FsxConfig(files, maxFileSize, bigOpPercent, invalidPercent, n, verifyEvery, unlinkEvery,
                farEvery, enospc, exclusive, namePrefix);
    }

    public FsxConfig withVerifyEvery(int n) {
        return new FsxConfig(files, maxFileSize, bigOpPercent, invalidPercent, remountEvery, n, unlinkEvery,
                farEvery, enospc, exclusive, namePrefix);
    }
}
