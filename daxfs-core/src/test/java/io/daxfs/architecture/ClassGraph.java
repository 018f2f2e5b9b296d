package io.daxfs.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The classes of a compiled output directory and the daxfs classes each one refers to, read from
 * the class files themselves (constant pool: class entries, and every descriptor or generic
 * signature, so a type that only appears in a method's parameters counts too). Source imports
 * would miss fully qualified names and count javadoc-only imports; the bytecode is what runs.
 */
final class ClassGraph {
    /** An internal name of a daxfs class inside any string of the constant pool. */
    private static final Pattern DAXFS_CLASS = Pattern.compile("io/daxfs/[A-Za-z0-9_/$]+");

    /** Binary class name ("io.daxfs.fs.Volume$1") to the daxfs classes it refers to. */
    private final Map<String, Set<String>> references;

    private ClassGraph(Map<String, Set<String>> references) {
        this.references = references;
    }

    /** Reads every class file under {@code classes}; fails when there are none (a test that checks nothing must not pass). */
    static ClassGraph of(Path classes) {
        if (!Files.isDirectory(classes)) {
            throw new IllegalStateException("no compiled classes at " + classes.toAbsolutePath());
        }
        Map<String, Set<String>> refs = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                if (f.getFileName().toString().equals("module-info.class") || f.getFileName().toString().equals("package-info.class")) {
                    continue;
                }
                ClassModel model = ClassFile.of().parse(Files.readAllBytes(f));
                refs.put(binaryName(model.thisClass()), referencesOf(model));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (refs.isEmpty()) {
            throw new IllegalStateException("no class files under " + classes.toAbsolutePath());
        }
        return new ClassGraph(refs);
    }

    private static String binaryName(ClassEntry e) {
        return e.asInternalName().replace('/', '.');
    }

    private static Set<String> referencesOf(ClassModel model) {
        Set<String> out = new TreeSet<>();
        for (PoolEntry entry : model.constantPool()) {
            String text = switch (entry) {
                case ClassEntry c -> c.asInternalName();
                case Utf8Entry u -> u.stringValue();
                default -> null;
            };
            if (text == null) {
                continue;
            }
            Matcher m = DAXFS_CLASS.matcher(text);
            while (m.find()) {
                out.add(m.group().replace('/', '.'));
            }
        }
        out.remove(binaryName(model.thisClass()));
        return out;
    }

    Map<String, Set<String>> references() {
        return references;
    }

    /** The package-level graph: for each package of these classes, the other daxfs packages they use. */
    Map<String, Set<String>> packageGraph() {
        Map<String, Set<String>> graph = new TreeMap<>();
        references.forEach((cls, used) -> {
            String from = packageOf(cls);
            Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
            for (String u : used) {
                String p = packageOf(u);
                if (!p.equals(from)) {
                    to.add(p);
                }
            }
        });
        return graph;
    }

    static String packageOf(String binaryName) {
        int dot = binaryName.lastIndexOf('.');
        return dot < 0 ? "" : binaryName.substring(0, dot);
    }

    /**
     * The cycles of a directed graph: its strongly connected components with more than one node
     * (Tarjan's algorithm, iterative). Empty when the graph is acyclic, self-loops aside.
     */
    static List<Set<String>> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new java.util.HashSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String root : graph.keySet()) {
            if (index.containsKey(root)) {
                continue;
            }
            // Each frame: a node and the iterator over its successors.
            Deque<Map.Entry<String, java.util.Iterator<String>>> frames = new ArrayDeque<>();
            visit(root, graph, index, low, stack, onStack, counter, frames);
            while (!frames.isEmpty()) {
                var frame = frames.peek();
                String v = frame.getKey();
                if (frame.getValue().hasNext()) {
                    String w = frame.getValue().next();
                    if (!index.containsKey(w)) {
                        visit(w, graph, index, low, stack, onStack, counter, frames);
                    } else if (onStack.contains(w)) {
                        low.put(v, Math.min(low.get(v), index.get(w)));
                    }
                    continue;
                }
                frames.pop();
                if (!frames.isEmpty()) {
                    String parent = frames.peek().getKey();
                    low.put(parent, Math.min(low.get(parent), low.get(v)));
                }
                if (low.get(v).equals(index.get(v))) {
                    Set<String> component = new TreeSet<>();
                    String w;
                    do {
                        w = stack.pop();
                        onStack.remove(w);
                        component.add(w);
                    } while (!w.equals(v));
                    if (component.size() > 1) {
                        out.add(component);
                    }
                }
            }
        }
        return out;
    }

    private static void visit(String v, Map<String, Set<String>> graph, Map<String, Integer> index, Map<String, Integer> low,
                              Deque<String> stack, Set<String> onStack, int[] counter,
                              Deque<Map.Entry<String, java.util.Iterator<String>>> frames) {
        index.put(v, counter[0]);
        low.put(v, counter[0]);
        counter[0]++;
        stack.push(v);
        onStack.add(v);
        frames.push(Map.entry(v, graph.getOrDefault(v, Set.of()).iterator()));
    }
}
