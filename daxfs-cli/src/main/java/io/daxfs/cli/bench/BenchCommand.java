package io.daxfs.cli.bench;

import picocli.CommandLine.Command;

/**
 * `daxfs bench`: the group of performance measurements. It has no action of its own; each
 * measurement is a subcommand, so new ones are added to {@code subcommands} only.
 */
@Command(name = "bench", description = "Measure daxfs performance.",
        subcommands = {BenchIoCommand.class, BenchMapCommand.class, BenchFuseCommand.class, BenchSyncCommand.class,
                BenchStallCommand.class, BenchAllocCommand.class, BenchMetaCommand.class, BenchNioCommand.class})
public final class BenchCommand {
}
