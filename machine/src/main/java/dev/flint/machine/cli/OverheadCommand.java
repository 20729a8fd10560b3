package dev.flint.machine.cli;

import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.NetworkPolicy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code flint overhead}: the host memory the VMM adds per running idle machine, not counting
 * the guest's own pages, measured with several machines at once in one JVM.
 */
@Command(name = "overhead", description = {"measure the host memory the VMM adds per running idle machine", "",
        "Boots one machine and deletes it (so class loading and JIT warm-up are not counted), then boots N idle"
                + " machines at once (no network, no disk) and prints the host memory the VMM adds per machine: the"
                + " growth of this process's anonymous resident memory (file pages come and go with the page cache; the C"
                + " allocator's free pages are given back before each sample),"
                + " minus the guest pages resident on the host (each machine's own pages, Machine.metrics()), divided"
                + " by N. Also prints the threads per machine."},
        footer = "Exit status: 0 measured; 1 a machine failed; 2 bad arguments; 3 this host cannot run machines; 4 the"
                + " figure came out impossible (guest pages beyond the resident set or its growth): a bug to report,"
                + " printed with what was measured.")
final class OverheadCommand implements FlintCommand {
    @Option(names = "--machines", paramLabel = "N", description = "machines running at once (default 10)")
    private int count = 10;
    @Option(names = "--memory-mb", paramLabel = "N", description = "guest memory of each (default 64)")
    private int memoryMb = 64;
    private final CliContext context;

    OverheadCommand(CliContext context) {
        this.context = context;
    }

    /** How long a sample waits for the JVM to give back what a GC freed; seconds in the rig. */
    private static final Duration SETTLE_PATIENCE = Duration.ofSeconds(20);

    @Override
    public int run() throws UsageException, InterruptedException {
        OptionChecks.between("--machines", count, 1, 256);
        OptionChecks.between("--memory-mb", memoryMb, MachineConfig.MIN_MEMORY_MB, 1 << 16);
        return measure(count, memoryMb, context.out(), context.err());
    }

    private static int measure(int count, int memoryMb, PrintStream out, PrintStream err) throws InterruptedException {
        List<Machine> machines = new ArrayList<>();
        try {
            idle("overhead-warmup", memoryMb).close();
            long threadsBefore = Thread.activeCount();
            long residentBefore = ProcessSample.settledResident(SETTLE_PATIENCE);   // the growth is the machines'

            for (int i = 0; i < count; i++) {
                machines.add(idle("overhead-" + i, memoryMb));
            }
            long guest = 0;
            for (Machine machine : machines) {
                long own = machine.metrics().guestMemoryResidentBytes();
                if (own < 0) {
                    err.println("flint: cannot count guest pages on this host (no readable /proc/self/pagemap)");
                    return 3;
                }
                guest += own;
            }
            // After the guests, so it holds every page they counted; settled as the first, so garbage
            // made while they booted is not counted as theirs.
            long residentAfter = ProcessSample.settledResident(SETTLE_PATIENCE);
            double threads = (Thread.activeCount() - threadsBefore) / (double) count;
            try {
                MemoryOverhead overhead = MemoryOverhead.checked(residentBefore, residentAfter, guest, count);
                out.printf("overhead: %d idle machines of %d MiB: anonymous resident memory +%.1f MiB, of which guest pages %.1f MiB"
                                + " (%.1f per machine); VMM overhead %.2f MiB per machine; %.1f threads per machine%n",
                        count, memoryMb, MemoryOverhead.mib(overhead.growthBytes()), MemoryOverhead.mib(guest),
                        MemoryOverhead.mib(guest) / count, overhead.vmmMibPerMachine(), threads);
                return 0;
            } catch (MemoryOverhead.ImpossibleFigure e) {
                err.printf("flint: overhead: %s (%d machines of %d MiB; resident set %d bytes before, %d after;"
                        + " guest pages %d bytes)%n", e.getMessage(), count, memoryMb, residentBefore, residentAfter, guest);
                return 4;
            }
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return 1;
        } finally {
            machines.forEach(Machine::close);
        }
    }

    /** A long boot timeout: on a slow host each idle machine's timer ticks slow the next one's boot. */
    private static Machine idle(String name, int memoryMb) {
        return Machine.create(MachineConfig.builder().name(name).memoryMb(memoryMb).network(NetworkPolicy.none())
                .bootTimeout(Duration.ofMinutes(10)).build());
    }
}
