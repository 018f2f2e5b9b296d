package io.daxfs.cli;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliHelpTest {
    @Test
    void versionNamesTheBuildAndTheRuntime() {
        CliRun run = CliRun.of("--version");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.stdout().startsWith("daxfs 0."), run::toString);
        assertTrue(run.stdout().contains("Java " + Runtime.version().feature()), run::toString);
    }

    @Test
    void helpListsEveryCommandAndExplainsImagePaths() {
        CliRun run = CliRun.of("--help");
        assertEquals(0, run.exitCode(), run::toString);
        for (String command : new String[] {"mkfs", "ls", "stat", "cp", "cat", "mkdir", "rm", "mv", "df", "fsck", "bench"}) {
            assertTrue(run.stdout().contains("\n  " + command + " "), command);
        }
        assertTrue(run.stdout().contains("IMAGE:/PATH"), run::toString);
        assertTrue(run.stdout().contains("first ':/'"), run::toString);
        assertTrue(run.stdout().lines().allMatch(l -> l.length() <= 80), run::toString);
    }

    @Test
    void everySubcommandHasHelp() {
        for (String[] command : new String[][] {{"mkfs"}, {"ls"}, {"stat"}, {"cp"}, {"cat"}, {"mkdir"}, {"rm"},
                {"mv"}, {"df"}, {"fsck"}, {"bench"}, {"bench", "io"}}) {
            String[] args = Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            CliRun run = CliRun.of(args);
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.stdout().startsWith("Usage: daxfs " + String.join(" ", command)), run::toString);
            assertEquals("", run.stderr());
        }
    }
}
