package io.daxfs.cli;

/** The `daxfs` executable: runs the command line against the real process and exits with its code. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(Cli.run(CliEnv.system(), args));
    }
}
