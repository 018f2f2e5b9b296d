package io.daxfs.cli;

import io.daxfs.cli.bench.BenchCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The top-level `daxfs` command: the list of subcommands, the options every subcommand inherits
 * (--help, --version, --debug) and the help text that explains image paths and exit codes.
 */
@Command(name = "daxfs",
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Manage daxfs images: a direct-access file system on a byte-addressable device "
                + "(an image file, a device-DAX device or memory).",
        subcommands = {
                MkfsCommand.class,
                MountCommand.class,
                LsCommand.class,
                StatCommand.class,
                CpCommand.class,
                CatCommand.class,
                MkdirCommand.class,
                RmCommand.class,
                MvCommand.class,
                DfCommand.class,
                FsckCommand.class,
                BenchCommand.class,
        },
        footerHeading = "%nImage paths:%n",
        footer = {
                ImagePath.SYNTAX_HELP,
                "",
                "Sizes take binary suffixes: 4096, 64K, 64M, 1G, 1T.",
                "",
                "Examples:",
                "  daxfs mkfs demo.img --size 64M",
                "  daxfs cp notes.txt demo.img:/notes.txt",
                "  daxfs ls -l demo.img:/",
                "",
                "Exit status: 0 success, 1 error (one line on stderr: 'daxfs: ERRNO: what'),",
                "2 usage error. Set DAXFS_DEBUG=1 or pass --debug for stack traces.",
        })
public final class DaxfsCommand {
    static final String DEBUG_OPTION = "--debug";

    // Options, not picocli's mixinStandardHelpOptions: --help must reach every subcommand but
    // --version only makes sense here, and inheriting @Command attributes would also copy this
    // command's description and footer into every subcommand's help.
    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;

    // Read by ErrorReporter from the parse result, which also sees it when given after a subcommand.
    @Option(names = DEBUG_OPTION, scope = ScopeType.INHERIT,
            description = "Print stack traces with errors (also DAXFS_DEBUG=1).")
    boolean debug;
}
