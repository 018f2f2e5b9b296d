package io.daxfs.fs;

import io.daxfs.types.MountOptions.Atime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The atime rules, with the clock in the test's hands (the API spec cannot wait a day). */
class AccessTimesTest {
    static final long NOW = 1_000 * AccessTimes.DAY_NS;

    @Test
    void relatimeUpdatesWhenAtimeIsNotNewerThanMtimeOrCtimeOrIsADayOld() {
        assertTrue(AccessTimes.due(Atime.RELATIME, NOW - 10, NOW - 5, NOW - 20, NOW), "mtime after atime");
        assertTrue(AccessTimes.due(Atime.RELATIME, NOW - 10, NOW - 20, NOW - 10, NOW), "ctime equal to atime");
        assertFalse(AccessTimes.due(Atime.RELATIME, NOW - 10, NOW - 20, NOW - 20, NOW), "newer than both, recent");
        assertFalse(AccessTimes.due(Atime.RELATIME, NOW - AccessTimes.DAY_NS + 1, NOW - 2 * AccessTimes.DAY_NS,
                NOW - 2 * AccessTimes.DAY_NS, NOW), "a day old less a nanosecond");
        assertTrue(AccessTimes.due(Atime.RELATIME, NOW - AccessTimes.DAY_NS, NOW - 2 * AccessTimes.DAY_NS,
                NOW - 2 * AccessTimes.DAY_NS, NOW), "a day old");
    }

    @Test
    void strictatimeAlwaysAndNoatimeNever() {
        assertTrue(AccessTimes.due(Atime.STRICTATIME, NOW - 1, NOW - 20, NOW - 20, NOW));
        assertFalse(AccessTimes.due(Atime.NOATIME, NOW - 10 * AccessTimes.DAY_NS, NOW, NOW, NOW));
    }
}
