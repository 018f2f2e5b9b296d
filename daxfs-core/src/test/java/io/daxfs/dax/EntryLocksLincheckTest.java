package io.daxfs.dax;

import io.daxfs.dax.EntryLocks.Downgrader;
import io.daxfs.lock.LockChecker;
import org.jetbrains.lincheck.LincheckAssertionError;
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

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model checking of the entry index with entry locks (Lincheck 3.7, which runs on JDK 25).
 *
 * <p>Lincheck runs small concurrent scenarios of the operations below, explores their thread
 * interleavings systematically (switching threads at every shared read and write, lock, park
 * and unpark), and checks that each execution's results match some sequential execution of
 * {@link Spec}, and that no execution deadlocks (a lost wakeup shows up as threads parked
 * forever) or livelocks. All state is on the heap: the index's arrays, the wait table.
 *
 * <p>Each operation is a whole entry-lock use (grab, maybe replace, then unlock or delete), so
 * that its effect is atomic to observers that respect entry locks. Observers here are
 * {@link #waitUnlocked} (sees unlocked entries only), the grabs themselves, and the lock-free
 * {@link #load}, which reports only which order of entry covers the page: the kind of a locked
 * entry changes under its holder (EMPTY to REAL) and is not meant to be read without the lock.
 * A grab that finds nothing inserts a visible placeholder, so "grab and delete" deletes only
 * entries it did not create (it unlocks its own placeholder), keeping every operation a single
 * visible step. Downgrades happen inside 4 KiB grabs that meet EMPTY or ZERO PMD entries.
 *
 * <p>Pages used: 0, 5 and 300 share one 2 MiB range; 600 is in the next. Scenarios: 3 threads
 * of 3 operations after 2 sequential ones. Bounded to well under a minute on two cores; more
 * with {@code -Ddaxfs.test.long=true}.
 */
public class EntryLocksLincheckTest {
    private static final long[] PAGES = {0, 5, 300, 600};
    private static final boolean LONG = Boolean.getBoolean("daxfs.test.long");

    private final EntryIndex idx = new EntryIndex(9);
    private final EntryLocks locks = new EntryLocks(new WaitTable(), DaxHooks.NONE, EntryLockChecks.OFF);

    private static long page(int p) {
        return PAGES[p];
    }

    private static int order(boolean pmd) {
        return pmd ? Entry.PMD_ORDER : 0;
    }

    /** The entry a replace installs: ZERO, or REAL with a fixed pfn of the right alignment. */
    static long replacement(long cookie, boolean zero) {
        boolean pmd = Entry.isPmd(cookie);
        return zero ? Entry.zero(pmd) : Entry.real(pmd ? 0x400 : 7, pmd);
    }

    static String name(long entry) {
        return Entry.describe(entry == Entry.FALLBACK ? entry : Entry.withoutLocked(entry));
    }

    static String coverage(long entry) {
        return entry == Entry.ABSENT ? "ABSENT" : Entry.isPmd(entry) ? "PMD" : "PTE";
    }

    @Operation
    public String load(@Param(gen = IntGen.class, conf = "0:3") int p) {
        return coverage(idx.load(page(p)));
    }

    @Operation
    public String grabUnlock(@Param(gen = IntGen.class, conf = "0:3") int p, @Param(gen = BooleanGen.class) boolean pmd) {
        long index = page(p);
        long c = locks.grab(idx, index, order(pmd), Downgrader.NONE);
        if (c != Entry.FALLBACK) {
            locks.unlock(idx, index, c);
        }
        return name(c);
    }

    @Operation
    public String grabReplaceUnlock(@Param(gen = IntGen.class, conf = "0:3") int p, @Param(gen = BooleanGen.class) boolean pmd,
                                    @Param(gen = BooleanGen.class) boolean zero) {
        long index = page(p);
        long c = locks.grab(idx, index, order(pmd), Downgrader.NONE);
        if (c != Entry.FALLBACK) {
            locks.unlock(idx, index, locks.replace(idx, index, c, replacement(c, zero)));
        }
        return name(c);
    }

    @Operation
    public String grabDelete(@Param(gen = IntGen.class, conf = "0:3") int p, @Param(gen = BooleanGen.class) boolean pmd) {
        long index = page(p);
        long c = locks.grab(idx, index, order(pmd), Downgrader.NONE);
        if (c == Entry.FALLBACK) {
            return name(c);
        }
        if (Entry.isEmpty(c)) {
            locks.unlock(idx, index, c);
        } else {
            locks.delete(idx, index, c);
        }
        return name(c);
    }

    @Operation
    public String waitUnlocked(@Param(gen = IntGen.class, conf = "0:3") int p, @Param(gen = BooleanGen.class) boolean pmd,
                               @Param(gen = BooleanGen.class) boolean exclusive) {
        long index = page(p);
        long e = locks.waitUnlocked(idx, index, order(pmd), exclusive);
        if (exclusive) {
            locks.putUnlocked(idx, index, e); // a woken exclusive waiter that does not lock hands on
        }
        return name(e);
    }

    /** The sequential specification: the grab rules (docs/RACES.md Rules 5 and 9) over a sorted map, no locks at all. */
    public static class Spec {
        private final TreeMap<Long, Long> entries = new TreeMap<>();

        private Map.Entry<Long, Long> covering(long i) {
            Map.Entry<Long, Long> e = entries.floorEntry(i);
            return e != null && e.getKey() + Entry.pages(e.getValue()) > i ? e : null;
        }

        private long conflict(long index, int order) {
            if (order == 0) {
                Map.Entry<Long, Long> c = covering(index);
                return c == null ? Entry.ABSENT : c.getValue();
            }
            long first = index & -Entry.PMD_PAGES;
            Map.Entry<Long, Long> c = entries.ceilingEntry(first);
            return c != null && c.getKey() < first + Entry.PMD_PAGES ? c.getValue() : Entry.ABSENT;
        }

        /** What grab returns (unlocked), applying its insert or downgrade. */
        private long grab(long index, int order) {
            long found = conflict(index, order);
            long first = index & -(1L << order);
            if (found == Entry.ABSENT) {
                entries.put(first, Entry.empty(order == Entry.PMD_ORDER));
                return Entry.empty(order == Entry.PMD_ORDER);
            }
            if (Entry.order(found) < order) {
                return Entry.FALLBACK;
            }
            if (order == 0 && Entry.isPmd(found) && !Entry.isReal(found)) {
                entries.remove(index & -Entry.PMD_PAGES);
                entries.put(index, Entry.empty(false));
                return Entry.empty(false);
            }
            return found;
        }

        private void set(long index, long entry) {
            entries.put(Entry.baseIndex(index, entry), entry);
        }

        public String load(int p) {
            return coverage(conflict(page(p), 0));
        }

        public String grabUnlock(int p, boolean pmd) {
            return name(grab(page(p), order(pmd)));
        }

        public String grabReplaceUnlock(int p, boolean pmd, boolean zero) {
            long c = grab(page(p), order(pmd));
            if (c != Entry.FALLBACK) {
                set(page(p), replacement(c, zero));
            }
            return name(c);
        }

        public String grabDelete(int p, boolean pmd) {
            long c = grab(page(p), order(pmd));
            if (c != Entry.FALLBACK && !Entry.isEmpty(c)) {
                entries.remove(Entry.baseIndex(page(p), c));
            }
            return name(c);
        }

        public String waitUnlocked(int p, boolean pmd, boolean exclusive) {
            long e = conflict(page(p), order(pmd));
            return name(e != Entry.ABSENT && Entry.order(e) < order(pmd) ? Entry.FALLBACK : e);
        }
    }

    static ModelCheckingOptions options(int iterations, int invocations) {
        return new ModelCheckingOptions()
                .iterations(iterations)
                .invocationsPerIteration(invocations)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(1)
                // The lock checker's bookkeeping for the short lock (a list per thread) is test
                // scaffolding, not part of the protocol; exploring its interleavings only costs time.
                .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(LockChecker.class.getName()).allMethods().ignore());
    }

    @Test
    @DisplayName("R1, R3, R4: entry locks are linearizable and never lose a wakeup")
    void entryLocksAreLinearizableAndNeverLoseAWakeup() {
        options(LONG ? 50 : 20, LONG ? 2_000 : 500)
                // R1: a 2 MiB grab against a 4 KiB grab in its range.
                .addCustomScenario(scenario(List.of(),
                        List.of("grabUnlock 1 false"), List.of("grabUnlock 2 true"), List.of("waitUnlocked 0 true false")))
                // R3: a delete while two scanners wait on the entry.
                .addCustomScenario(scenario(List.of("grabReplaceUnlock 1 false false"),
                        List.of("grabDelete 1 false"), List.of("waitUnlocked 1 false true"), List.of("waitUnlocked 1 false true")))
                // R4: 4 KiB grabs waiting on a PMD placeholder that one of them downgrades.
                .addCustomScenario(scenario(List.of("grabUnlock 0 true"),
                        List.of("grabUnlock 0 true"), List.of("grabUnlock 1 false"), List.of("grabUnlock 2 false")))
                // A downgrade under lock-free and waiting readers of the same page.
                .addCustomScenario(scenario(List.of("grabReplaceUnlock 0 true true"),
                        List.of("grabDelete 1 false"), List.of("waitUnlocked 1 false true", "load 1"), List.of("load 1", "load 2")))
                .sequentialSpecification(Spec.class)
                .check(EntryLocksLincheckTest.class);
    }

    @SafeVarargs
    private static org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario scenario(List<String> initial, List<String>... threads) {
        return Scenarios.of(EntryLocksLincheckTest.class, initial, threads);
    }

    /**
     * Proves the checker bites on this JDK: with delete waking one waiter instead of all
     * (docs/RACES.md R3), two scanners that wait on an entry being deleted cannot both wake, and Lincheck must
     * report the stranded thread. (lincheck-jvm 2.39 passes this vacuously on JDK 25: its ASM
     * cannot read the class files, so nothing is instrumented.)
     */
    @Test
    @DisplayName("R3: the model checker finds the lost wakeup of a delete that wakes one waiter")
    void theModelCheckerFindsTheR3LostWakeupInABrokenDelete() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> new ModelCheckingOptions().iterations(20).invocationsPerIteration(500).threads(3).actorsPerThread(1)
                        .minimizeFailedScenario(false)
                        .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(LockChecker.class.getName()).allMethods().ignore())
                        .check(BrokenDelete.class));
        // Lincheck reports parked-forever threads as a hung execution ("livelock due to
        // non-terminating loops": the park loop of the waiter).
        assertTrue(e.getMessage().contains("The execution has hung"), e.getMessage());
    }

    /** One page; a delete that wakes one waiter (the 2016-era bug), and exclusive scanners. */
    public static class BrokenDelete {
        private final EntryIndex idx = new EntryIndex(10);
        private final WaitTable table = new WaitTable();
        private final EntryLocks locks = new EntryLocks(table, DaxHooks.NONE, EntryLockChecks.OFF);

        @Operation
        public String grabAndBrokenDelete() {
            long c = locks.grab(idx, 5, 0, Downgrader.NONE);
            idx.lock();
            try {
                idx.erase(5);
            } finally {
                idx.unlock();
            }
            table.wakeOne(idx, 5); // wrong: a removal must wake all
            return name(c);
        }

        @Operation
        public String scan() {
            long e = locks.waitUnlocked(idx, 5, 0, true);
            locks.putUnlocked(idx, 5, e); // nothing to hand on when the entry is gone
            return "done";
        }
    }
}
