package dev.flint.benchmarks.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compares a run against a baseline and fails when a benchmark got worse by more than the noise.
 * The noise is measured, not assumed: the error JMH reports for each score (the half-width of its
 * 99.9% confidence interval over the iterations of all forks), combined for the two runs. More
 * iterations and forks narrow it; a quick run gives a wide one and so flags only large changes.
 *
 * <p>Rig results ({@code rig-bench.sh}) are judged the same way on their Flint/peer ratios, whose
 * noise is the spread of the per-round ratios (see {@link ResultFiles}).
 *
 * <p>Usage: {@code RegressionGuard BASELINE.json CURRENT.json}; exit 0 when nothing regressed,
 * 1 when something did, 2 when the files cannot be read or share no benchmark that can be judged.
 */
public final class RegressionGuard {
    private RegressionGuard() {
    }

    /** Pairs the runs' benchmarks by name and mode and judges each pair. */
    public static List<Comparison> compare(List<BenchmarkResult> baseline, List<BenchmarkResult> current) {
        Map<String, BenchmarkResult> before = new LinkedHashMap<>();
        baseline.forEach(r -> before.put(r.key(), r));
        List<Comparison> comparisons = new ArrayList<>();
        for (BenchmarkResult now : current) {
            BenchmarkResult then = before.remove(now.key());
            comparisons.add(then == null
                    ? new Comparison(now.key(), null, now, Comparison.Verdict.NEW)
                    : new Comparison(now.key(), then, now, judge(then, now)));
        }
        before.forEach((key, then) -> comparisons.add(new Comparison(key, then, null, Comparison.Verdict.MISSING)));
        return comparisons;
    }

    private static Comparison.Verdict judge(BenchmarkResult then, BenchmarkResult now) {
        if (!then.unit().equals(now.unit())) {
            return Comparison.Verdict.NOT_COMPARABLE;
        }
        if (!then.hasError() || !now.hasError()) {
            return Comparison.Verdict.NO_NOISE_ESTIMATE;
        }
        Comparison pair = new Comparison(now.key(), then, now, null);
        if (pair.worsening() > pair.noise()) {
            return Comparison.Verdict.REGRESSED;
        }
        return -pair.worsening() > pair.noise() ? Comparison.Verdict.IMPROVED : Comparison.Verdict.UNCHANGED;
    }

    /** The comparison table, worst news first. */
    public static String report(List<Comparison> comparisons) {
        TextTable table = new TextTable("<Benchmark", "Baseline", "Current", "<Unit", "Change", "Noise (±)", "<Verdict");
        comparisons.stream()
                .sorted((a, b) -> Integer.compare(a.verdict().ordinal(), b.verdict().ordinal()))
                .forEach(c -> {
                    BenchmarkResult any = c.current() != null ? c.current() : c.baseline();
                    boolean paired = c.baseline() != null && c.current() != null;
                    boolean judged = paired && c.verdict() != Comparison.Verdict.NOT_COMPARABLE;
                    table.row(any.shortName() + (any.mode().equals("avgt") ? "" : " (" + any.mode() + ")"),
                            c.baseline() == null ? "-" : ResultTable.number(c.baseline().score()),
                            c.current() == null ? "-" : ResultTable.number(c.current().score()),
                            any.unit(),
                            judged ? change(c.relativeWorsening()) : "-",
                            judged && c.verdict() != Comparison.Verdict.NO_NOISE_ESTIMATE
                                    ? ResultTable.number(c.noise()) : "-",
                            c.verdict().name());
                });
        return table.toString();
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: guard.sh BASELINE.json CURRENT.json");
            System.exit(2);
        }
        List<Comparison> comparisons;
        try {
            comparisons = compare(ResultFiles.read(Path.of(args[0])), ResultFiles.read(Path.of(args[1])));
        } catch (IOException e) {
            System.err.println("guard: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.print(report(comparisons));
        long regressed = count(comparisons, Comparison.Verdict.REGRESSED);
        long judged = regressed + count(comparisons, Comparison.Verdict.IMPROVED)
                + count(comparisons, Comparison.Verdict.UNCHANGED);
        if (regressed > 0) {
            System.out.println(regressed + " benchmark(s) regressed beyond the measured noise of both runs.");
            System.exit(1);
        }
        if (judged == 0) {
            System.out.println("guard: no benchmark could be judged (none in common, or no error estimates:"
                    + " run at least 3 measurement iterations).");
            System.exit(2);
        }
        System.out.println("No regression beyond the noise (" + judged + " benchmark(s) judged).");
    }

    /** "12.3% worse", "4.0% better" or "same". */
    private static String change(double relativeWorsening) {
        double percent = Math.abs(100 * relativeWorsening);
        if (percent < 0.05) {
            return "same";
        }
        return String.format(Locale.ROOT, "%.1f%% %s", percent, relativeWorsening > 0 ? "worse" : "better");
    }

    private static long count(List<Comparison> comparisons, Comparison.Verdict verdict) {
        return comparisons.stream().filter(c -> c.verdict() == verdict).count();
    }
}
