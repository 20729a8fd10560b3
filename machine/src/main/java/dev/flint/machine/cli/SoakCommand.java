package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.Engine;
import dev.flint.machine.HostUnsupportedException;
import dev.flint.machine.MachineConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code flint soak}: many machine lifecycles in this JVM, failing if a call hangs or fails or
 * if the process's fds, threads or resident memory grow; see {@link SoakRun} for the workload.
 */
@Command(name = "soak", description = {"many machine lifecycles at once; fails on a hang, a failed call or a leak", "",
        "A soak test of machines in this JVM. Warm-up: K machines at once, each created, exec'd, stopped, started,"
                + " exec'd and deleted. Then C create/exec/delete cycles one after another, then K machines side by side"
                + " for N minutes, each doing random exec (70%%), stop, start, and delete followed by a new machine."
                + " Every call has a deadline; every exec (echo) is checked. This process's open fds, threads and"
                + " resident memory are sampled after the warm-up and again after the last delete: growth beyond the"
                + " tolerances fails. Prints the calls made, p50/p99 of create and exec after the warm-up, and the"
                + " samples."},
        footer = "Exit status: 0 passed; 1 a call failed or hung, or the process grew; 2 bad arguments; 3 this host"
                + " cannot run machines.")
final class SoakCommand implements FlintCommand {
    private static final double MIB = 1024 * 1024;
    /** Threads and fds of a deleted machine may end a moment after delete() returns. */
    private static final Duration SETTLE = Duration.ofSeconds(30);

    @Option(names = "--minutes", paramLabel = "N",
            description = "minutes of the concurrent mix, may be a fraction (default 1; 0 skips it)")
    private String minutes = "1";
    @Option(names = "--machines", paramLabel = "K", description = "machines side by side in the warm-up and the mix (default 3)")
    private int machines = 3;
    @Option(names = "--cycles", paramLabel = "C", description = "create/exec/delete cycles (default 20)")
    private int cycles = 20;
    @Option(names = "--memory-mb", paramLabel = "N", description = "guest memory of each machine (default 64)")
    private int memoryMb = 64;
    @Option(names = "--deadline-s", paramLabel = "S",
            description = "the most any one call may take before it counts as a hang (default 120)")
    private int deadline = 120;
    @Option(names = "--seed", paramLabel = "S", description = "seed of the random mix (default: from the clock, printed)")
    private Integer seed;
    @Option(names = "--fd-tolerance", paramLabel = "N", description = "open fds the process may gain (default 4)")
    private int fds = 4;
    @Option(names = "--thread-tolerance", paramLabel = "N", description = "threads the process may gain (default 4)")
    private int threads = 4;
    @Option(names = "--rss-tolerance-mb", paramLabel = "N", description = "resident MiB the process may gain (default 64)")
    private int rssMb = 64;
    private final CliContext context;

    SoakCommand(CliContext context) {
        this.context = context;
    }

    static SoakRun.Settings parse(List<String> args) throws UsageException {
        return Flint.parse(Flint.withCommand("soak", args), SoakCommand.class).settings();
    }

    SoakRun.Settings settings() throws UsageException {
        double mix = minutes(minutes);
        OptionChecks.between("--machines", machines, 1, 64);
        OptionChecks.between("--cycles", cycles, 0, 1_000_000);
        OptionChecks.between("--memory-mb", memoryMb, MachineConfig.MIN_MEMORY_MB, 1 << 16);
        OptionChecks.between("--deadline-s", deadline, 1, 86_400);
        long chosenSeed = seed == null ? System.nanoTime() : OptionChecks.between("--seed", seed, 0, Integer.MAX_VALUE);
        OptionChecks.between("--fd-tolerance", fds, 0, 1 << 20);
        OptionChecks.between("--thread-tolerance", threads, 0, 1 << 20);
        OptionChecks.between("--rss-tolerance-mb", rssMb, 0, 1 << 20);
        return new SoakRun.Settings(cycles, machines, Duration.ofMillis(Math.round(mix * 60_000)), memoryMb,
                Duration.ofSeconds(deadline), chosenSeed, new Tolerance(fds, threads, rssMb * (1L << 20)), SETTLE);
    }

    private static double minutes(String value) throws UsageException {
        try {
            double minutes = Double.parseDouble(value);
            if (minutes >= 0 && minutes <= 10_080) {
                return minutes;
            }
        } catch (NumberFormatException e) {
            // Said below.
        }
        throw new UsageException("--minutes needs a number of minutes from 0 to 10080, got '" + value + "'");
    }

    @Override
    public int run() throws UsageException {
        PrintStream out = context.out();
        PrintStream err = context.err();
        SoakRun.Settings settings = settings();
        SoakRun.Result result = new SoakRun(Engine.open(ConnectOptions.local()), settings, out).run();
        if (result.firstError() instanceof HostUnsupportedException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.HOST;
        }
        report(result, out);
        return result.passed() ? 0 : 1;
    }

    static void report(SoakRun.Result result, PrintStream out) {
        SoakRun.Settings s = result.settings();
        out.printf("soak: %s in %s%n", result.passed() ? "passed" : "FAILED", Latencies.format(result.elapsed()));
        out.printf("  %d create/exec/delete cycles; %d machines at random for %s; seed %d; deadline %d s per call%n",
                s.cycles(), s.machines(), Latencies.format(s.mix()), s.seed(), s.deadline().toSeconds());
        out.printf("  calls: %d (%s)%n", result.totalCalls(), result.calls().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
        out.printf("  after the warm-up: create %s; exec %s%n", result.creates().summary(), result.execs().summary());
        if (result.start() != null && result.end() != null) {
            ProcessSample a = result.start();
            ProcessSample b = result.end();
            Tolerance t = s.tolerance();
            out.printf("  fds %d -> %d (tolerance +%d); threads %d -> %d (tolerance +%d);"
                            + " RSS %.1f -> %.1f MiB (tolerance +%.0f); heap used %.1f -> %.1f MiB%n",
                    a.fds(), b.fds(), t.fds(), a.threads(), b.threads(), t.threads(), a.residentBytes() / MIB,
                    b.residentBytes() / MIB, t.residentBytes() / MIB, a.heapUsedBytes() / MIB, b.heapUsedBytes() / MIB);
        }
        result.failures().forEach(f -> out.println("  failure: " + f));
    }
}
