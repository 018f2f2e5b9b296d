package io.daxfs.cli;

import io.daxfs.types.FileStat;
import io.daxfs.types.FileType;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** Renders file status the way ls and stat users expect: "drwxr-xr-x", local times. */
final class StatFormat {
    private static final DateTimeFormatter MINUTES = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");
    private static final DateTimeFormatter NANOS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.nnnnnnnnn Z");

    private StatFormat() {
    }

    /** The ten-character symbolic mode of ls -l, with setuid, setgid and sticky bits. */
    static String symbolicMode(FileStat st) {
        int m = st.mode();
        char[] s = new char[10];
        s[0] = switch (st.type()) {
            case DIRECTORY -> 'd';
            case SYMLINK -> 'l';
            case REGULAR -> '-';
            case FIFO -> 'p';
            case CHARACTER_DEVICE -> 'c';
            case BLOCK_DEVICE -> 'b';
            case SOCKET -> 's';
        };
        String rwx = "rwx";
        for (int i = 0; i < 9; i++) {
            s[1 + i] = (m & (0400 >> i)) != 0 ? rwx.charAt(i % 3) : '-';
        }
        s[3] = special(s[3], (m & 04000) != 0, 's');
        s[6] = special(s[6], (m & 02000) != 0, 's');
        s[9] = special(s[9], (m & 01000) != 0, 't');
        return new String(s);
    }

    /** "regular file", "directory", "symbolic link", ... as stat(1) says them. */
    static String typeName(FileType type) {
        return switch (type) {
            case REGULAR -> "regular file";
            case DIRECTORY -> "directory";
            case SYMLINK -> "symbolic link";
            case FIFO -> "fifo";
            case CHARACTER_DEVICE -> "character special file";
            case BLOCK_DEVICE -> "block special file";
            case SOCKET -> "socket";
        };
    }

    static String minutes(long epochNanos) {
        return MINUTES.format(instant(epochNanos).atZone(ZoneId.systemDefault()));
    }

    static String full(long epochNanos) {
        return NANOS.format(instant(epochNanos).atZone(ZoneId.systemDefault()));
    }

    private static char special(char execute, boolean set, char letter) {
        if (!set) {
            return execute;
        }
        return execute == 'x' ? letter : Character.toUpperCase(letter);
    }

    private static Instant instant(long epochNanos) {
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L));
    }
}
