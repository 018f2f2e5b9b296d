package io.daxfs.device;

import io.daxfs.types.DaxException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The generated write-back code runs here on ordinary memory, where the instructions are legal and
 * leave contents unchanged. Whether lines actually reach persistent media cannot be observed
 * without persistent memory and a power cut.
 */
class CacheWritebackTest {
    @TempDir
    Path tmp;

    @Test
    void assemblesTheDocumentedFunction() {
        // Bytes as GNU as encodes the listing in the class comment (checked with objdump -d).
        byte[] clwb = {
                0x48, 0x01, (byte) 0xfe,                 // add rsi,rdi
                0x48, (byte) 0x83, (byte) 0xe7, (byte) 0xc0, // and rdi,-64
                0x48, 0x39, (byte) 0xf7,                 // cmp rdi,rsi
                0x73, 0x0a,                              // jae +10
                0x66, 0x0f, (byte) 0xae, 0x37,           // clwb [rdi]
                0x48, (byte) 0x83, (byte) 0xc7, 0x40,    // add rdi,64
                (byte) 0xeb, (byte) 0xf1,                // jmp -15
                0x0f, (byte) 0xae, (byte) 0xf8,          // sfence
                (byte) 0xc3};                            // ret
        assertArrayEquals(clwb, CacheWriteback.assemble(CacheWriteback.Instruction.CLWB));
        byte[] clflush = CacheWriteback.assemble(CacheWriteback.Instruction.CLFLUSH);
        assertEquals(clwb.length - 1, clflush.length);
        assertEquals(0x09, clflush[11], "jae skips a one byte shorter body");
        assertEquals((byte) 0xf2, clflush[20], "jmp back over a one byte shorter body");
    }

    @Test
    void prefersClwbThenClflushoptThenClflush() {
        assertEquals(CacheWriteback.Instruction.CLWB, CacheWriteback.choose(Set.of("clflush", "clwb", "clflushopt")));
        assertEquals(CacheWriteback.Instruction.CLFLUSHOPT, CacheWriteback.choose(Set.of("clflush", "clflushopt")));
        assertEquals(CacheWriteback.Instruction.CLFLUSH, CacheWriteback.choose(Set.of("sse2", "clflush")));
        assertNull(CacheWriteback.choose(Set.of("sse2")));
    }

    @Test
    void readsFlagsOfTheFirstProcessor() throws Exception {
        Path cpuinfo = tmp.resolve("cpuinfo");
        Files.writeString(cpuinfo, """
                processor\t: 0
                clflush size\t: 64
                flags\t\t: fpu sse2 clflush clflushopt
                
                processor\t: 1
                flags\t\t: fpu sse2 clflush clflushopt clwb
                """);
        assertEquals(Set.of("fpu", "sse2", "clflush", "clflushopt"), CacheWriteback.cpuFlags(cpuinfo));
        Files.writeString(cpuinfo, "processor : 0\n");
        assertEquals(Set.of(), CacheWriteback.cpuFlags(cpuinfo));
        assertThrows(DaxException.class, () -> CacheWriteback.cpuFlags(tmp.resolve("absent")));
    }

    @Test
    void everyInstructionTheCpuHasRunsAndKeepsData() throws Exception {
        Set<String> flags = CacheWriteback.cpuFlags(Path.of("/proc/cpuinfo"));
        int ran = 0;
        for (CacheWriteback.Instruction i : CacheWriteback.Instruction.values()) {
            if (!flags.contains(i.cpuFlag)) {
                continue;
            }
            CacheWriteback wb = CacheWriteback.build(i);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(1 << 16, 4096);
                byte[] data = new byte[1 << 16];
                new Random(i.ordinal()).nextBytes(data);
                MemorySegment.copy(data, 0, s, JAVA_BYTE, 0, data.length);
                wb.writeBack(s);
                wb.writeBack(s.asSlice(1, 1));       // inside one line
                wb.writeBack(s.asSlice(63, 2));      // straddling two lines
                wb.writeBack(s.asSlice(100, 0));     // nothing
                wb.writeBack(s.asSlice(4095, 4098)); // unaligned both ends
                byte[] back = new byte[data.length];
                MemorySegment.copy(s, JAVA_BYTE, 0, back, 0, back.length);
                assertArrayEquals(data, back);
            }
            ran++;
        }
        assumeTrue(ran > 0, "the CPU lists no write-back instruction");
        assertEquals(CacheWriteback.choose(flags), CacheWriteback.forThisCpu().instruction());
    }

    @Test
    void refusesMemoryWhoseArenaIsClosed() throws Exception {
        assumeTrue(CacheWriteback.choose(CacheWriteback.cpuFlags(Path.of("/proc/cpuinfo"))) != null);
        CacheWriteback wb = CacheWriteback.forThisCpu();
        Arena a = Arena.ofShared();
        MemorySegment s = a.allocate(4096);
        a.close();
        assertThrows(IllegalStateException.class, () -> wb.writeBack(s));
    }
}
