package io.daxfs.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs JMH as {@code org.openjdk.jmh.Main} would (same arguments), then prints what the raw
 * scores leave to the reader: for {@link ReadBench} and {@link SegmentReadBench}, each daxfs score over its raw partner's
 * (same loop, same parameters, same run) against the goal; for {@link TruncateBench}, the
 * truncate time against its goal, with the kernel's beside it; for {@link MsyncStallBench}, the
 * readers' p99 batch latency with and without msync against its goal. The goals are here, in one
 * place, and in the package documentation.
 *
 * <pre>java -cp daxfs-bench/target/daxfs-bench.jar io.daxfs.bench.Report [JMH options] [regexp...]</pre>
 */
public final class Report {
    /** Least daxfs/raw ratio per read benchmark (the method name without Raw or Dax). */
    static final Map<String, Double> READ_GOALS = Map.of(
            "seqWindow", 0.97, "randWindow", 0.9, "seqGetLong", 0.8, "randGetLong", 0.85,
            "seqSegment", 0.97, "randSegment", 0.97);
    /** Most milliseconds for a daxfs truncate of the mapped file under readers. */
    static final double TRUNCATE_GOAL_MS = 10;
    /** Most microseconds of reader p99 batch latency while msync runs. */
    static final double MSYNC_STALL_GOAL_US = 100;

    private Report() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args); // nothing runs: nothing to report
            return;
        }
        Collection<RunResult> results = new Runner(options).run();
        print(results, System.out);
    }

    static void print(Collection<RunResult> results, PrintStream out) {
        out.println();
        reads(results, out);
        truncates(results, out);
        msyncs(results, out);
    }

    // ---------------------------------------------------------------- reads

    private static void reads(Collection<RunResult> results, PrintStream out) {
        Map<String, RunResult> byKey = new LinkedHashMap<>();
        for (RunResult r : results) {
            byKey.put(key(r.getParams()), r);
        }
        List<String> rows = new ArrayList<>();
        for (RunResult dax : results) {
            BenchmarkParams p = dax.getParams();
            String method = method(p);
            if (!method.endsWith("Dax")) {
                continue;
            }
            String base = method.substring(0, method.length() - 3);
            RunResult raw = byKey.get(key(p).replace("." + method + "{", "." + base + "Raw{"));
            if (raw == null) {
                continue;
            }
            double r = dax.getPrimaryResult().getScore();
            double k = raw.getPrimaryResult().getScore();
            Double goal = READ_GOALS.get(base);
            double ratio = r / k;
            rows.add(String.format(Locale.ROOT, "%-12s %7d %-8s %11.1f %11.1f %6.2f %8s %6s", base, p.getThreads(),
                    paramOr(p, "mapping", paramOr(p, "layout", "-")), k, r, ratio, goal == null ? "-" : String.format(Locale.ROOT, ">= %.2f", goal),
                    goal == null ? "-" : ratio >= goal ? "pass" : "FAIL"));
        }
        if (rows.isEmpty()) {
            return;
        }
        out.println("Mapped reads, " + unit(results, "ReadBench") + " over all reader threads; ratio = daxfs / raw (same loop):");
        out.printf(Locale.ROOT, "%-12s %7s %-8s %11s %11s %6s %8s %6s%n", "benchmark", "threads", "pages", "raw", "daxfs",
                "ratio", "goal", "result");
        rows.forEach(out::println);
        out.println();
    }

    // ---------------------------------------------------------------- truncate

    private static void truncates(Collection<RunResult> results, PrintStream out) {
        Map<String, Result> kernel = new TreeMap<>();
        for (RunResult r : results) {
            if (isOf(r, "TruncateBench") && "kernel".equals(paramOr(r.getParams(), "target", ""))) {
                kernel.put(sizeAndReaders(r.getParams()), r.getPrimaryResult());
            }
        }
        List<String> rows = new ArrayList<>();
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            if (!isOf(r, "TruncateBench")) {
                continue;
            }
            String target = paramOr(p, "target", "?");
            boolean daxfs = target.startsWith("daxfs");
            double ms = r.getPrimaryResult().getScore();
            Result k = kernel.get(sizeAndReaders(p));
            double error = r.getPrimaryResult().getScoreError();
            rows.add(String.format(Locale.ROOT, "%-10s %6s %7s %10.2f %8s %10s %7s %6s", target, gib(paramOr(p, "size", "0")),
                    paramOr(p, "readers", "-"), ms, Double.isNaN(error) ? "-" : String.format(Locale.ROOT, "%.2f", error),
                    daxfs && k != null ? String.format(Locale.ROOT, "%.2f", k.getScore() / ms) : "-",
                    daxfs ? String.format(Locale.ROOT, "<= %.0f", TRUNCATE_GOAL_MS) : "-",
                    daxfs ? ms <= TRUNCATE_GOAL_MS ? "pass" : "FAIL" : "-"));
        }
        if (rows.isEmpty()) {
            return;
        }
        out.println("Truncate to 0 of a mapped file under readers, ms (mean of the measured shots);"
                + " ratio = kernel ms / daxfs ms:");
        out.printf(Locale.ROOT, "%-10s %6s %7s %10s %8s %10s %7s %6s%n", "target", "size", "readers", "ms", "+-",
                "ratio", "goal", "result");
        rows.forEach(out::println);
        out.println();
    }

    // ---------------------------------------------------------------- msync

    private static void msyncs(Collection<RunResult> results, PrintStream out) {
        List<String> rows = new ArrayList<>();
        for (RunResult r : results) {
            if (!isOf(r, "MsyncStallBench")) {
                continue;
            }
            String group = method(r.getParams());
            Result readers = r.getSecondaryResults().get(group + "Readers");
            Result writer = r.getSecondaryResults().get(group + "Writer");
            if (readers == null || writer == null) {
                continue;
            }
            double p99 = readers.getStatistics().getPercentile(99);
            boolean judged = group.equals("msync");
            rows.add(String.format(Locale.ROOT, "%-6s %6s %-8s %9.1f %9.1f %9.1f %10.1f %10.1f %7s %6s", group,
                    gib(paramOr(r.getParams(), "size", "0")), paramOr(r.getParams(), "mapping", "-"),
                    readers.getStatistics().getPercentile(50), p99, readers.getStatistics().getPercentile(99.9),
                    writer.getStatistics().getPercentile(50), writer.getStatistics().getPercentile(99),
                    judged ? String.format(Locale.ROOT, "<= %.0f", MSYNC_STALL_GOAL_US) : "-",
                    judged ? p99 <= MSYNC_STALL_GOAL_US ? "pass" : "FAIL" : "-"));
        }
        if (rows.isEmpty()) {
            return;
        }
        out.println("Reader batch latency (" + MsyncStallBench.BATCH + " random getLongs) while a writer stores"
                + " (quiet) or stores and msyncs 4 KiB (msync), " + unit(results, "MsyncStallBench") + ":");
        out.printf(Locale.ROOT, "%-6s %6s %-8s %9s %9s %9s %10s %10s %7s %6s%n", "group", "size", "mapping", "read p50",
                "read p99", "read p99.9", "write p50", "write p99", "goal", "result");
        rows.forEach(out::println);
        out.println();
    }

    // ---------------------------------------------------------------- helpers

    /** The benchmark's name with its parameters, to find a partner by. */
    private static String key(BenchmarkParams p) {
        StringBuilder b = new StringBuilder(p.getBenchmark()).append('{');
        for (String k : new TreeMap<String, String>(params(p)).keySet()) {
            b.append(k).append('=').append(p.getParam(k)).append(',');
        }
        return b.append("threads=").append(p.getThreads()).append('}').toString();
    }

    private static Map<String, String> params(BenchmarkParams p) {
        Map<String, String> m = new TreeMap<>();
        for (Object k : p.getParamsKeys()) {
            m.put((String) k, p.getParam((String) k));
        }
        return m;
    }

    /** The method (or, for a thread group, the group) a benchmark name ends with. */
    private static String method(BenchmarkParams p) {
        String b = p.getBenchmark();
        return b.substring(b.lastIndexOf('.') + 1);
    }

    private static boolean isOf(RunResult r, String simpleClass) {
        return r.getParams().getBenchmark().contains("." + simpleClass + ".");
    }

    private static String paramOr(BenchmarkParams p, String name, String otherwise) {
        String v = p.getParamsKeys().contains(name) ? p.getParam(name) : null;
        return v == null ? otherwise : v;
    }

    private static String sizeAndReaders(BenchmarkParams p) {
        return paramOr(p, "size", "") + "/" + paramOr(p, "readers", "");
    }

    private static String gib(String bytes) {
        long b = Long.parseLong(bytes);
        return b >= 1L << 30 && b % (1L << 30) == 0 ? (b >> 30) + "G" : (b >> 20) + "M";
    }

    private static String unit(Collection<RunResult> results, String simpleClass) {
        for (RunResult r : results) {
            if (isOf(r, simpleClass)) {
                return r.getPrimaryResult().getScoreUnit();
            }
        }
        return "";
    }
}
