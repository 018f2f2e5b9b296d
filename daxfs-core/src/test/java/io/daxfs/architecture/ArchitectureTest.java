package io.daxfs.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layer rules of daxfs-core, checked on its compiled classes: the package graph has no cycle,
 * every dependency points down the layer table below (the same table as docs/DESIGN.md), the
 * module exports only the public API, and no public signature of the API leaks an internal type.
 * A change that breaks a rule fails the build here, with the offending edge or member named.
 */
class ArchitectureTest {
    private static final String ROOT = "io.daxfs.";
    /** The public API: the only packages the module exports. */
    private static final Set<String> EXPORTED = Set.of("io.daxfs.api", "io.daxfs.types");

    /**
     * Each package of daxfs-core (without the io.daxfs. prefix) and the packages it may use.
     * Bottom up: types, lock, mm, device, media, journal, alloc, fs, fsck, dax, api. A package
     * not listed here fails the test until it is placed (here and in docs/DESIGN.md).
     */
    static final Map<String, Set<String>> MAY_USE = Map.ofEntries(
            Map.entry("types", Set.of()),
            Map.entry("lock", Set.of()),
            Map.entry("mm", Set.of("types", "lock")),
            Map.entry("device", Set.of("types")),
            Map.entry("media", Set.of("types")),
            Map.entry("journal", Set.of("types", "lock", "device", "media")),
            Map.entry("alloc", Set.of("types", "lock", "device", "media", "journal")),
            Map.entry("fs", Set.of("types", "lock", "device", "media", "journal", "alloc")),
            Map.entry("fsck", Set.of("types", "device", "media", "journal")),
            Map.entry("dax", Set.of("types", "lock", "mm", "device", "alloc", "fs")),
            Map.entry("api", Set.of("types", "lock", "mm", "device", "fs", "fsck", "dax")));

    private static final ClassGraph MAIN = ClassGraph.of(mainClasses());

    /** daxfs-core's compiled main classes (surefire runs in the module's directory). */
    private static Path mainClasses() {
        return Path.of(System.getProperty("basedir", "."), "target", "classes");
    }

    @Test
    void thePackageGraphHasNoCycle() {
        List<Set<String>> cycles = ClassGraph.cycles(MAIN.packageGraph());
        assertTrue(cycles.isEmpty(), () -> "package cycles (each set is strongly connected): " + cycles
                + "\nedges behind them:\n" + edgesWithin(cycles));
    }

    @Test
    void everyDependencyPointsDownTheLayerTable() {
        List<String> violations = layerViolations(MAIN.packageGraph(), MAY_USE);
        assertTrue(violations.isEmpty(), () -> "dependencies the layer table does not allow:\n  "
                + String.join("\n  ", violations));
    }

    @Test
    void everyPackageOfTheModuleIsInTheLayerTable() {
        Set<String> packages = MAIN.packageGraph().keySet().stream().map(ArchitectureTest::layer)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(MAY_USE.keySet()), packages,
                "the layer table and the module's packages differ; place new packages in the table and in docs/DESIGN.md");
    }

    /**
     * Each package says in its package-info what it is and, on a line "May use: a, b." (or
     * "May use: nothing but the JDK."), which packages it may use: the same set as the table, so
     * the documentation of the layers cannot drift from the rule that is checked.
     */
    @Test
    void everyPackageInfoStatesTheLayerTable() throws IOException {
        Path sources = Path.of(System.getProperty("basedir", "."), "src", "main", "java", "io", "daxfs");
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : new TreeMap<>(MAY_USE).entrySet()) {
            Path info = sources.resolve(e.getKey()).resolve("package-info.java");
            if (!Files.exists(info)) {
                wrong.add(e.getKey() + ": no package-info.java");
                continue;
            }
            Matcher m = MAY_USE_LINE.matcher(Files.readString(info));
            if (!m.find()) {
                wrong.add(e.getKey() + ": package-info.java has no \"May use:\" line");
                continue;
            }
            Set<String> stated = m.group(1).equals("nothing but the JDK") ? Set.of()
                    : Stream.of(m.group(1).split(",")).map(String::strip).collect(Collectors.toSet());
            if (!stated.equals(e.getValue())) {
                wrong.add(e.getKey() + ": package-info says " + new TreeSet<>(stated) + ", the table " + new TreeSet<>(e.getValue()));
            }
        }
        assertTrue(wrong.isEmpty(), () -> String.join("\n", wrong));
    }

    private static final Pattern MAY_USE_LINE = Pattern.compile("May use: ([^.]*)\\.");

    @Test
    void theModuleExportsOnlyThePublicApi() throws IOException {
        ModuleDescriptor module;
        try (var in = Files.newInputStream(mainClasses().resolve("module-info.class"))) {
            module = ModuleDescriptor.read(in);
        }
        assertEquals("io.daxfs.core", module.name());
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : module.exports()) {
            assertTrue(e.targets().isEmpty(), () -> "qualified export of " + e.source() + " to " + e.targets()
                    + ": internals are for no other module");
            exported.add(e.source());
        }
        assertEquals(new TreeSet<>(EXPORTED), exported);
        assertTrue(module.opens().isEmpty() && !module.isOpen(), () -> "daxfs-core opens packages to reflection: " + module.opens());
        Set<String> requires = module.requires().stream().map(ModuleDescriptor.Requires::name)
                .filter(n -> !n.equals("java.base")).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(requires.stream().allMatch(n -> n.startsWith("java.") || n.startsWith("jdk.")),
                () -> "daxfs-core depends on the JDK only, not on " + requires);
    }

    @Test
    void noPublicSignatureOfTheApiNamesAnInternalType() {
        List<String> leaks = new ArrayList<>();
        Path classes = mainClasses();
        for (String pkg : EXPORTED) {
            try (Stream<Path> files = Files.list(classes.resolve(pkg.replace('.', '/')))) {
                for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                    ClassModel model = ClassFile.of().parse(Files.readAllBytes(f));
                    if (isVisible(model)) {
                        leaks.addAll(internalTypesInSignatures(model));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        assertTrue(leaks.isEmpty(), () -> "the public API hands out internal types:\n  " + String.join("\n  ", leaks));
    }

    /**
     * The test convention (docs/TESTING.md): a {@code *Spec} is a black-box specification, so it
     * and the shared fixtures it builds on ({@code io.daxfs.fixture}) use the public API only,
     * never the test bridge to the internals.
     */
    @Test
    void specsAndTheirFixturesUseThePublicApiOnly() {
        ClassGraph tests = ClassGraph.of(Path.of(System.getProperty("basedir", "."), "target", "test-classes"));
        List<String> violations = new ArrayList<>();
        int specs = 0;
        for (Map.Entry<String, Set<String>> e : tests.references().entrySet()) {
            String cls = e.getKey();
            String topLevel = cls.contains("$") ? cls.substring(0, cls.indexOf('$')) : cls;
            boolean isSpec = topLevel.endsWith("Spec");
            boolean isFixture = ClassGraph.packageOf(cls).equals(FIXTURES);
            if (!isSpec && !isFixture) {
                continue;
            }
            specs += isSpec && !cls.contains("$") ? 1 : 0;
            for (String used : e.getValue()) {
                if (!blackBoxMayUse(used)) {
                    violations.add(cls + " -> " + used);
                }
            }
        }
        assertTrue(specs > 10, "found only " + specs + " specifications; is target/test-classes there?");
        assertTrue(violations.isEmpty(), () -> "specifications and fixtures reaching past the public API "
                + "(make them white-box *Test classes in the package they test):\n  " + String.join("\n  ", violations));
    }

    private static final String FIXTURES = "io.daxfs.fixture";
    private static final String BRIDGE = "io.daxfs.api.Internals";

    private static boolean blackBoxMayUse(String cls) {
        String pkg = ClassGraph.packageOf(cls);
        return !cls.equals(BRIDGE) && !cls.startsWith(BRIDGE + "$") && (EXPORTED.contains(pkg) || pkg.equals(FIXTURES));
    }

    // The checker checks: the rules above must be able to fail.

    @Test
    void aBackEdgeIsFoundAsACycleAndAsALayerViolation() {
        Map<String, Set<String>> graph = new TreeMap<>(Map.of(
                ROOT + "fs", Set.of(ROOT + "journal", ROOT + "dax"),
                ROOT + "journal", Set.of(ROOT + "device"),
                ROOT + "dax", Set.of(ROOT + "fs"),
                ROOT + "device", Set.of()));
        assertEquals(List.of(Set.of(ROOT + "dax", ROOT + "fs")), ClassGraph.cycles(graph));
        assertEquals(List.of("io.daxfs.fs -> io.daxfs.dax"), layerViolations(graph, MAY_USE));
    }

    @Test
    void aLongCycleIsFoundWhole() {
        Map<String, Set<String>> graph = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("d", "a"), "d", Set.of());
        assertEquals(List.of(Set.of("a", "b", "c")), ClassGraph.cycles(graph));
    }

    // Helpers

    private static String layer(String pkg) {
        if (!pkg.startsWith(ROOT)) {
            return pkg;
        }
        String rest = pkg.substring(ROOT.length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    static List<String> layerViolations(Map<String, Set<String>> graph, Map<String, Set<String>> mayUse) {
        List<String> out = new ArrayList<>();
        graph.forEach((from, tos) -> {
            Set<String> allowed = mayUse.getOrDefault(layer(from), Set.of());
            for (String to : new TreeSet<>(tos)) {
                if (!layer(to).equals(layer(from)) && !allowed.contains(layer(to))) {
                    out.add(from + " -> " + to);
                }
            }
        });
        return out;
    }

    private static String edgesWithin(List<Set<String>> cycles) {
        StringBuilder sb = new StringBuilder();
        for (Set<String> cycle : cycles) {
            MAIN.references().forEach((cls, used) -> {
                String from = ClassGraph.packageOf(cls);
                if (cycle.contains(from)) {
                    for (String u : used) {
                        String to = ClassGraph.packageOf(u);
                        if (!to.equals(from) && cycle.contains(to)) {
                            sb.append("  ").append(cls).append(" -> ").append(u).append('\n');
                        }
                    }
                }
            });
        }
        return sb.toString();
    }

    private static boolean isVisible(ClassModel model) {
        // A nested class's own flags live in the InnerClasses attribute of its class file too.
        return (model.flags().flagsMask() & ClassFile.ACC_PUBLIC) != 0;
    }

    private static final Pattern DAXFS_TYPE = Pattern.compile("io/daxfs/[A-Za-z0-9_/$]+");

    /** Internal daxfs types named by the public or protected parts of a public class. */
    private static List<String> internalTypesInSignatures(ClassModel model) {
        String owner = model.thisClass().asInternalName().replace('/', '.');
        List<String> out = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        model.superclass().ifPresent(s -> texts.add(s.asInternalName()));
        model.interfaces().forEach(i -> texts.add(i.asInternalName()));
        model.findAttribute(Attributes.signature()).ifPresent(s -> texts.add(s.signature().stringValue()));
        model.findAttribute(Attributes.permittedSubclasses())
                .ifPresent(p -> p.permittedSubclasses().forEach(c -> texts.add(c.asInternalName())));
        model.findAttribute(Attributes.record()).ifPresent(r -> r.components().forEach(c -> texts.add(c.descriptor().stringValue())));
        check(owner, "class", texts, out);
        for (FieldModel f : model.fields()) {
            if (visible(f.flags().flagsMask())) {
                List<String> t = new ArrayList<>(List.of(f.fieldType().stringValue()));
                f.findAttribute(Attributes.signature()).ifPresent(s -> t.add(s.signature().stringValue()));
                check(owner, "field " + f.fieldName().stringValue(), t, out);
            }
        }
        for (MethodModel m : model.methods()) {
            if (visible(m.flags().flagsMask()) && (m.flags().flagsMask() & ClassFile.ACC_SYNTHETIC) == 0) {
                List<String> t = new ArrayList<>(List.of(m.methodType().stringValue()));
                m.findAttribute(Attributes.signature()).ifPresent(s -> t.add(s.signature().stringValue()));
                m.findAttribute(Attributes.exceptions()).ifPresent(e -> e.exceptions().forEach(x -> t.add(((ClassEntry) x).asInternalName())));
                check(owner, "method " + m.methodName().stringValue() + m.methodType().stringValue(), t, out);
            }
        }
        return out;
    }

    private static boolean visible(int flags) {
        return (flags & (ClassFile.ACC_PUBLIC | ClassFile.ACC_PROTECTED)) != 0;
    }

    private static void check(String owner, String member, List<String> texts, List<String> out) {
        for (String text : texts) {
            Matcher m = DAXFS_TYPE.matcher(text);
            while (m.find()) {
                String type = m.group().replace('/', '.');
                if (!EXPORTED.contains(ClassGraph.packageOf(type))) {
                    out.add(owner + " " + member + ": " + type);
                }
            }
        }
    }
}
