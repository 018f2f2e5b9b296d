package io.daxfs.dax;

import kotlin.Unit;
import kotlin.reflect.KFunction;
import kotlin.reflect.jvm.ReflectJvmMapping;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.CustomScenarioDSLKt;
import org.jetbrains.lincheck.datastructures.DSLThreadScenario;

import java.lang.reflect.Method;
import java.util.List;

/**
 * Lincheck scenarios written as text, for the races a random scenario reaches only rarely:
 * {@code of(T.class, List.of("storePmd 0"), List.of("split 0"), List.of("load 0"))} runs
 * {@code storePmd(0)} first, then {@code split(0)} and {@code load(0)} in parallel. Lincheck
 * still explores the interleavings of each.
 */
final class Scenarios {
    private Scenarios() {
    }

    @SafeVarargs
    static ExecutionScenario of(Class<?> test, List<String> initial, List<String>... threads) {
        return CustomScenarioDSLKt.scenario(b -> {
            b.initial(t -> add(test, t, initial));
            b.parallel(p -> {
                for (List<String> ops : threads) {
                    p.thread(t -> add(test, t, ops));
                }
                return Unit.INSTANCE;
            });
            return Unit.INSTANCE;
        });
    }

    private static Unit add(Class<?> test, DSLThreadScenario t, List<String> ops) {
        for (String op : ops) {
            String[] words = op.split(" ");
            Method m = find(test, words[0]);
            Object[] args = new Object[words.length - 1];
            Class<?>[] types = m.getParameterTypes();
            for (int i = 0; i < args.length; i++) {
                args[i] = types[i] == boolean.class ? (Object) Boolean.parseBoolean(words[i + 1]) : (Object) Integer.parseInt(words[i + 1]);
            }
            KFunction<?> f = ReflectJvmMapping.getKotlinFunction(m);
            t.actor(f, args);
        }
        return Unit.INSTANCE;
    }

    private static Method find(Class<?> test, String name) {
        for (Method m : test.getMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no operation " + name + " in " + test.getName());
    }
}
