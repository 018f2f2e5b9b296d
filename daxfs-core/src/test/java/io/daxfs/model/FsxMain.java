package io.daxfs.model;

import io.daxfs.types.MountOptions;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs fsx from the command line (the core test-jar on the class path), for seed sweeps and for
 * a CLI command to wrap:
 *
 * <pre>
 * java -cp daxfs-core.jar:daxfs-core-tests.jar io.daxfs.model.FsxMain standard|enospc|tiny|large FIRST_SEED SEEDS OPS [IMAGE]
 * </pre>
 *
 * Each seed runs on a fresh file system (in memory, or in the image file when given); a failing
 * seed prints its report and the sweep goes on. The exit status is the number of failed seeds
 * (at most 100). {@code -Ddaxfs.fsx.commitMs=N} mounts with a background commit every N ms (the
 * run is then not exactly replayable).
 */
public final class FsxMain {
    private FsxMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: FsxMain standard|enospc|tiny|large FIRST_SEED SEEDS OPS [IMAGE]");
            System.exit(2);
        }
        FsxConfig cfg;
        long size;
        switch (args[0]) {
            case "standard" -> {
                cfg = FsxConfig.standard();
                size = 256L << 20;
            }
            case "enospc" -> {
                cfg = FsxConfig.smallFileSystem();
                size = 10L << 20;
            }
            case "tiny" -> { // the smallest file system there is, nearly always full
                cfg = FsxConfig.smallFileSystem().withFiles(3).withMaxFileSize(2L << 20);
                size = 4L << 20;
            }
            case "large" -> { // 64 MiB files: more 2 MiB-aligned runs, longer extent lists
                cfg = FsxConfig.standard().withMaxFileSize(64L << 20);
                size = 1L << 30;
            }
            default -> throw new IllegalArgumentException("configurations: standard, enospc, tiny, large");
        }
        long first = Long.decode(args[1]);
        int seeds = Integer.parseInt(args[2]);
        long ops = Long.parseLong(args[3]);
        long commitMs = Long.getLong("daxfs.fsx.commitMs", 0); // > 0: a background committer races the operations
        int failed = 0;
        FsxStats total = new FsxStats();
        for (long seed = first; seed < first + seeds; seed++) {
            MountOptions mo = MountOptions.DEFAULT.withCommitIntervalMs(commitMs);
            FsxTarget target = args.length > 4 ? FsxTarget.image(Path.of(args[4]), size, mo) : FsxTarget.memory(size, mo);
            long t0 = System.nanoTime();
            try {
                FsxStats st = FsxRunner.runSeed(cfg, seed, ops, target, Duration.ofSeconds(60));
                total.add(st);
                System.out.printf("seed %d ok (%.1f s): %s%n", seed, (System.nanoTime() - t0) / 1e9, st);
            } catch (Throwable e) {
                failed++;
                System.out.println("seed " + seed + " FAILED: " + e.getMessage());
                Throwable c = e.getCause();
                if (c != null) {
                    c.printStackTrace(System.out);
                }
            }
        }
        System.out.println("total: " + total);
        System.out.println(failed + " of " + seeds + " seeds failed");
        System.exit(Math.min(failed, 100));
    }
}
