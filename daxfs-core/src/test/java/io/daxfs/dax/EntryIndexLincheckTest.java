package io.daxfs.dax;

import io.daxfs.dax.EntryIndex.Mark;
import io.daxfs.lock.LockChecker;
import org.jetbrains.lincheck.datastructures.BooleanGen;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Model checking of the bare entry index: changes under the short lock against lock-free
 * {@link EntryIndex#load} and {@link EntryIndex#getMark}. The pages make every structural
 * change happen: 0 and 5 share a leaf (or a PMD), 600 is in the next 2 MiB range, and 2^32 - 1
 * makes the root grow to four levels and shrink back; erases prune nodes, and a PMD turns into
 * a leaf by {@link EntryIndex#splitPmd} and back through an empty range. Lock-free lookups
 * must be linearizable across all of it (no torn reads, no transient states).
 */
public class EntryIndexLincheckTest {
    private static final long[] PAGES = {0, 5, 600, (1L << 32) - 1};
    private static final long PMD = Entry.real(0x400, true);

    private final EntryIndex idx = new EntryIndex(11);

    private static long page(int p) {
        return PAGES[p];
    }

    private static long pte(boolean other) {
        return Entry.real(other ? 8 : 7, false);
    }

    private static Mark mark(boolean towrite) {
        return towrite ? Mark.TOWRITE : Mark.DIRTY;
    }

    @Operation
    public String load(@Param(gen = IntGen.class, conf = "0:3") int p) {
        return Entry.describe(idx.load(page(p)));
    }

    @Operation
    public boolean getMark(@Param(gen = IntGen.class, conf = "0:3") int p, @Param(gen = BooleanGen.class) boolean towrite) {
        return idx.getMark(page(p), mark(towrite));
    }

    @Operation
    public String storePte(@Param(gen = IntGen.class, conf = "0:3") int p, @Param(gen = BooleanGen.class) boolean other) {
        idx.lock();
        try {
            idx.store(page(p), 0, pte(other));
            return "stored";
        } catch (IllegalStateException e) {
            return "refused";
        } finally {
            idx.unlock();
        }
    }

    @Operation
    public String storePmd(@Param(gen = IntGen.class, conf = "0:3") int p) {
        idx.lock();
        try {
            idx.store(page(p), 9, PMD);
            return "stored";
        } catch (IllegalStateException e) {
            return "refused";
        } finally {
            idx.unlock();
        }
    }

    @Operation
    public String erase(@Param(gen = IntGen.class, conf = "0:3") int p) {
        idx.lock();
        try {
            return Entry.describe(idx.erase(page(p)));
        } finally {
            idx.unlock();
        }
    }

    @Operation
    public String split(@Param(gen = IntGen.class, conf = "0:3") int p) {
        idx.lock();
        try {
            if (!Entry.isPmd(idx.load(page(p)))) {
                return "no PMD";
            }
            idx.splitPmd(page(p), pte(false));
            return "split";
        } finally {
            idx.unlock();
        }
    }

    @Operation
    public boolean setMark(@Param(gen = IntGen.class, conf = "0:3") int p, @Param(gen = BooleanGen.class) boolean towrite) {
        idx.lock();
        try {
            return idx.setMark(page(p), mark(towrite));
        } finally {
            idx.unlock();
        }
    }

    /** The specification: a sorted map of first index to {entry, mark bits}. */
    public static class Spec {
        private final TreeMap<Long, long[]> entries = new TreeMap<>();

        private Map.Entry<Long, long[]> covering(long i) {
            Map.Entry<Long, long[]> e = entries.floorEntry(i);
            return e != null && e.getKey() + Entry.pages(e.getValue()[0]) > i ? e : null;
        }

        public String load(int p) {
            Map.Entry<Long, long[]> c = covering(page(p));
            return Entry.describe(c == null ? 0 : c.getValue()[0]);
        }

        public boolean getMark(int p, boolean towrite) {
            Map.Entry<Long, long[]> c = covering(page(p));
            return c != null && (c.getValue()[1] & 1L << mark(towrite).ordinal()) != 0;
        }

        public String storePte(int p, boolean other) {
            Map.Entry<Long, long[]> c = covering(page(p));
            if (c != null && Entry.isPmd(c.getValue()[0])) {
                return "refused";
            }
            entries.computeIfAbsent(page(p), k -> new long[2])[0] = pte(other);
            return "stored";
        }

        public String storePmd(int p) {
            long first = page(p) & -Entry.PMD_PAGES;
            long[] old = entries.get(first);
            if (old != null && Entry.isPmd(old[0])) {
                old[0] = PMD;
                return "stored";
            }
            Long next = entries.ceilingKey(first);
            if (next != null && next < first + Entry.PMD_PAGES) {
                return "refused";
            }
            entries.put(first, new long[] {PMD, 0});
            return "stored";
        }

        public String erase(int p) {
            Map.Entry<Long, long[]> c = covering(page(p));
            if (c == null) {
                return Entry.describe(0);
            }
            entries.remove(c.getKey());
            return Entry.describe(c.getValue()[0]);
        }

        public String split(int p) {
            Map.Entry<Long, long[]> c = covering(page(p));
            if (c == null || !Entry.isPmd(c.getValue()[0])) {
                return "no PMD";
            }
            entries.remove(c.getKey());
            entries.put(page(p), new long[] {pte(false), 0});
            return "split";
        }

        public boolean setMark(int p, boolean towrite) {
            Map.Entry<Long, long[]> c = covering(page(p));
            if (c == null) {
                return false;
            }
            c.getValue()[1] |= 1L << mark(towrite).ordinal();
            return true;
        }
    }

    @Test
    @DisplayName("R12: lock-free lookups are linearizable across every structural change")
    void lockFreeLookupsAreLinearizableAcrossEveryStructuralChange() {
        boolean isLong = Boolean.getBoolean("daxfs.test.long");
        new ModelCheckingOptions()
                .iterations(isLong ? 50 : 15)
                .invocationsPerIteration(isLong ? 2_000 : 300)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(LockChecker.class.getName()).allMethods().ignore())
                // A PMD turning into a leaf under a reader of the same page; a root growing to four
                // levels and shrinking under a reader of a low page.
                .addCustomScenario(Scenarios.of(EntryIndexLincheckTest.class, List.of("storePmd 0", "setMark 1 false"),
                        List.of("split 0"), List.of("load 0", "getMark 0 false")))
                .addCustomScenario(Scenarios.of(EntryIndexLincheckTest.class, List.of("storePte 1 false"),
                        List.of("storePte 3 true", "erase 3"), List.of("load 1", "load 3"), List.of("erase 1", "load 1")))
                .sequentialSpecification(Spec.class)
                .check(EntryIndexLincheckTest.class);
    }
}
