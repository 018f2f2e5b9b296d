package io.daxfs.fsck;

import io.daxfs.types.DaxException;
import io.daxfs.media.Geometry;
import io.daxfs.media.Le;
import io.daxfs.media.Superblock;

import java.lang.foreign.MemorySegment;

/**
 * Both superblock slots. {@link Superblock#read} has already chosen the newest valid slot (or
 * refused the device); here each slot is judged on its own, so that a damaged slot is reported
 * even though the file system works from the other one.
 *
 * <p>One bad slot is not damage: the remains of a superblock write cut short by a crash. The
 * A/B scheme exists for exactly that state (mount uses the other slot, and the next superblock
 * write overwrites the torn one), just as a torn journal tail is no damage. A slot is taken for
 * such a torn write only when nothing else explains it: it fails its checksum, it is the slot
 * the next write goes to, and its magic, UUID and generation (each one 8-byte store, so each
 * either old or new) say "this slot, one generation before or after the one in use".
 */
final class SuperblockCheck {
    private SuperblockCheck() {
    }

    /** Reports each bad slot; true when at least one slot needs rewriting. */
    static boolean run(MemorySegment device, Superblock chosen, Findings f) {
        boolean bad = false;
        for (long slot : new long[]{Geometry.SUPERBLOCK_A, Geometry.SUPERBLOCK_B}) {
            String problem = judge(device, slot, chosen);
            if (problem != null) {
                f.problem("superblock slot " + (slot == Geometry.SUPERBLOCK_A ? "A" : "B") + " (block " + slot + "): "
                        + problem);
                bad = true;
            }
        }
        return bad;
    }

    /** What is wrong with {@code slot}, or null. */
    private static String judge(MemorySegment device, long slot, Superblock chosen) {
        MemorySegment b = device.asSlice(slot << Geometry.BLOCK_SHIFT, Geometry.BLOCK_SIZE);
        Superblock s = null;
        String problem = null;
        if (Le.getLong(b, 0) != Superblock.MAGIC) {
            problem = "no superblock magic";
        } else {
            try {
                s = Superblock.decodeSlot(b, device.byteSize());
                problem = s == null ? "checksum mismatch" : null;
            } catch (DaxException e) {
                return e.detail();
            }
        }
        if (problem != null) {
            return tornWrite(b, slot, chosen) ? null : problem;
        }
        if (!s.uuid().equals(chosen.uuid())) {
            return "file system UUID " + s.uuid() + " differs from the other slot's " + chosen.uuid();
        }
        if (!s.geometry().equals(chosen.geometry())) {
            return "geometry differs from the other slot";
        }
        if (Superblock.slotFor(s.generation()) != slot) {
            return "holds generation " + s.generation() + ", which belongs in the other slot";
        }
        return null;
    }

    /**
     * True when the unreadable slot {@code b} is explained by an interrupted write of the next
     * generation over the previous one. Format zeroes both slots before writing generation 1,
     * so while generation 1 is in use the previous contents of the other slot are zeros.
     */
    private static boolean tornWrite(MemorySegment b, long slot, Superblock chosen) {
        long g = chosen.generation();
        if (slot != Superblock.slotFor(g + 1)) {
            return false;
        }
        boolean formatting = g == 1;
        long gen = Le.getLong(b, 40);
        return oldOrNew(Le.getLong(b, 0), Superblock.MAGIC, formatting)
                && oldOrNew(Le.getLong(b, 16), chosen.uuid().getMostSignificantBits(), formatting)
                && oldOrNew(Le.getLong(b, 24), chosen.uuid().getLeastSignificantBits(), formatting)
                && (gen == g + 1 || gen == g - 1);
    }

    private static boolean oldOrNew(long value, long expected, boolean mayBeZero) {
        return value == expected || (mayBeZero && value == 0);
    }
}
