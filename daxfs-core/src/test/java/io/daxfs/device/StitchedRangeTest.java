package io.daxfs.device;

import io.daxfs.api.DaxFile;
import io.daxfs.api.DaxFileSystem;
import io.daxfs.types.DaxException;
import io.daxfs.types.DaxMapMode;
import io.daxfs.types.Errno;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import static io.daxfs.fixture.FsFixture.fails;
import static io.daxfs.fixture.FsFixture.pattern;
import static io.daxfs.fixture.FsFixture.readAll;
import static io.daxfs.fixture.FsFixture.write;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link StitchedRange}'s budget of kernel mappings, seen through segments of a memory file system. */
class StitchedRangeTest {
    static final int BLOCK = 4096;
    private DaxFileSystem fs;

    @BeforeEach
    void format() throws DaxException {
        fs = DaxFileSystem.formatMemory(64L << 20);
    }

    @AfterEach
    void unmount() throws DaxException {
        fs.close();
    }

    /**
     * Each run of blocks is one kernel mapping, and at the kernel's limit every mmap of the
     * process fails, the JVM's own included: a segment that would take the process past its
     * budget is refused with ENOMEM instead, saying why and what to do.
     */
    @Test
    void aSegmentThatWouldTakeTooManyKernelMappingsIsRefusedWithENOMEM() throws Exception {
        try (DaxFile a = fs.open("/a", CREATE, READ, WRITE); Arena arena = Arena.ofConfined()) {
            write(a, 0, pattern(BLOCK, 15));
            write(a, 4 * BLOCK, pattern(BLOCK, 16)); // two runs and a hole: 5 mappings
            long budget = StitchedRange.mappingBudget();
            assertTrue(budget > 1000, "half of vm.max_map_count: " + budget);
            StitchedRange.reserveMappings(budget - 4, "the test");
            try {
                DaxException e = fails(Errno.ENOMEM, () -> a.mapSegment(0, 5 * BLOCK, DaxMapMode.READ_ONLY, arena));
                assertTrue(e.getMessage().contains("2 pieces") && e.getMessage().contains("vm.max_map_count"), e.getMessage());
                assertEquals(BLOCK, a.mapSegment(0, BLOCK, DaxMapMode.READ_ONLY, arena).byteSize(), "one run fits");
            } finally {
                StitchedRange.releaseMappings(budget - 4);
            }
            assertArrayEquals(readAll(a), a.mapSegment(0, 5 * BLOCK, DaxMapMode.READ_ONLY, arena).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
