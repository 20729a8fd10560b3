package dev.flint.benchmarks.tools;

import dev.flint.benchmarks.kvm.KvmAvailability;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the benchmark suite, writes JMH's JSON result, prints the short table and draws the chart.
 * Without /dev/kvm the KVM benchmarks are left out with one line saying why.
 *
 * <p>Usage: {@code RunSuite [--quick] [--out RESULT.json] [JMH options and benchmark regexps]}.
 * {@code --quick} is one fork, 3 warmup iterations of 1 s and 5 measurement iterations of 0.5 s
 * (about 80 s for the suite; shorter warmups left the first measured iterations still compiling on
 * a busy 2-core host); JMH options given explicitly win over it.
 */
public final class RunSuite {
    private RunSuite() {
    }

    public static void main(String[] args) throws IOException, RunnerException {
        boolean quick = false;
        Path out = Path.of("flint-benchmarks.json");
        List<String> jmhArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> {
                    if (i + 1 == args.length) {
                        usage("--out needs a file");
                    }
                    out = Path.of(args[++i]);
                }
                default -> jmhArgs.add(args[i]);
            }
        }
        CommandLineOptions given;
        try {
            given = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        } catch (CommandLineOptionException e) {
            usage(e.getMessage());
            return;
        }
        ChainedOptionsBuilder options = new OptionsBuilder().parent(given)
                .resultFormat(ResultFormatType.JSON)
                .result(out.toString());
        if (given.getIncludes().isEmpty()) {
            options.include("dev\\.flint\\.benchmarks\\..*");
        }
        if (quick) {
            quickDefaults(given, options);
        }
        KvmAvailability.missingReason().ifPresent(reason -> {
            System.out.println("Skipping the KVM benchmarks (VM start, vCPU exit, KVM ioctl): " + reason);
            options.exclude(KvmAvailability.BENCHMARK_PATTERN);
        });
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new Runner(options.build()).run();
        System.out.println();
        System.out.println("result: " + out);
        System.out.println("chart:  " + Report.show(out, Report.chartBeside(out)));
    }

    private static void quickDefaults(CommandLineOptions given, ChainedOptionsBuilder options) {
        if (!given.getForkCount().hasValue()) {
            options.forks(1);
        }
        if (!given.getWarmupIterations().hasValue()) {
            options.warmupIterations(3);
        }
        if (!given.getMeasurementIterations().hasValue()) {
            options.measurementIterations(5);
        }
        if (!given.getWarmupTime().hasValue()) {
            options.warmupTime(TimeValue.seconds(1));
        }
        if (!given.getMeasurementTime().hasValue()) {
            options.measurementTime(TimeValue.milliseconds(500));
        }
    }

    private static void usage(String problem) {
        System.err.println("run-benchmarks: " + problem);
        System.err.println("usage: run-benchmarks.sh [--quick] [--out RESULT.json] [JMH options] [benchmark regexps]");
        System.exit(2);
    }
}
