package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.Engine;
import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.SnapshotInfo;
import dev.flint.machine.wire.MachineJson;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code flint snapshot MACHINE SNAP}, {@code flint fork MACHINE [-n N]} and
 * {@code flint snapshots [ls | rm SNAP]}: a running machine saved under a name, cloned, and the
 * saved snapshots listed or deleted; one nested class each.
 */
abstract class SnapshotCommands extends ServerBound<SnapshotCommands.Options> {
    enum Action { SNAPSHOT, FORK, LIST, DELETE }

    record Options(Action action, String machine, String snapshot, int count, boolean json) {
    }

    SnapshotCommands(CliContext context) {
        super(context);
    }

    static Options parse(String command, List<String> args) throws UsageException {
        return Flint.parse(Flint.withCommand(command, args), SnapshotCommands.class).request();
    }

    @Override
    int run(Options options, ConnectOptions server) {
        return run(options, server, context.out(), context.err());
    }

    @Command(name = "snapshot", customSynopsis = "flint snapshot MACHINE SNAP [OPTIONS]",
            description = {"a named snapshot of a running machine: flint snapshot web-1 base", "",
                    "Saves running MACHINE as snapshot SNAP: its memory, devices, config and its disk as it is now. The"
                            + " machine pauses while that is written, then runs on. 'flint create NAME --from-snapshot"
                            + " SNAP' makes a machine that runs on from there. SNAP is 1-63 lowercase letters, digits or"
                            + " '-'."}, footer = ExitCodes.TEXT)
    static final class Snapshot extends SnapshotCommands {
        @Parameters(paramLabel = "MACHINE SNAP", description = "the machine (its id or name) and the snapshot's name")
        private List<String> words = new ArrayList<>();

        Snapshot(CliContext context) {
            super(context);
        }

        @Override
        Options request() throws UsageException {
            if (words.size() != 2) {
                throw new UsageException("snapshot needs MACHINE and SNAP, e.g. flint snapshot web-1 base; got " + words);
            }
            return new Options(Action.SNAPSHOT, words.get(0), checked(words.get(1)), 0, false);
        }
    }

    @Command(name = "fork", description = {"running clones of a machine sharing its memory: flint fork web-1 -n 3", "",
            "Makes N running clones of MACHINE, named MACHINE-fork-1 .. MACHINE-fork-N, each with its own id, hostname"
                    + " and disk, all sharing MACHINE's memory copy-on-write. MACHINE pauses while its snapshot is"
                    + " written, then runs on. Prints the clones' ids, one a line."}, footer = ExitCodes.TEXT)
    static final class Fork extends SnapshotCommands {
        @Option(names = {"-n", "--count"}, paramLabel = "N", description = "how many clones (1-64, default 1)")
        private int count = 1;
        @Option(names = "--json", description = "print the clones' infos as JSON")
        private boolean json;
        @Parameters(paramLabel = "MACHINE", description = "the machine's id or name")
        private List<String> words = new ArrayList<>();

        Fork(CliContext context) {
            super(context);
        }

        @Override
        Options request() throws UsageException {
            OptionChecks.between("--count", count, 1, Machine.MAX_FORK);
            if (words.size() != 1) {
                throw new UsageException("fork takes one MACHINE, e.g. flint fork web-1 -n 3; got " + words);
            }
            return new Options(Action.FORK, words.get(0), null, count, json);
        }
    }

    @Command(name = "snapshots", subcommands = {Snapshots.Ls.class, Snapshots.Rm.class},
            description = {"list (ls) or delete (rm SNAP) the snapshots; create --from-snapshot uses one", "",
                    "Lists the snapshots (ls, the default): name, the machine it was taken of, resources and time. rm"
                            + " deletes snapshot SNAP; that is refused (exit 6) while machines made from it exist. A"
                            + " missing snapshot is exit 5."}, footer = ExitCodes.TEXT)
    static final class Snapshots extends SnapshotCommands {
        @Option(names = "--json", description = "list as JSON")
        private boolean json;

        Snapshots(CliContext context) {
            super(context);
        }

        @Override
        Options request() {
            return new Options(Action.LIST, null, null, 0, json);
        }

        @Command(name = "ls", description = "list the snapshots: name, source machine, resources and time",
                footer = ExitCodes.TEXT)
        static final class Ls extends SnapshotCommands {
            @Option(names = "--json", description = "list as JSON")
            private boolean json;

            Ls(CliContext context) {
                super(context);
            }

            @Override
            Options request() {
                return new Options(Action.LIST, null, null, 0, json);
            }
        }

        @Command(name = "rm", description = {"delete snapshot SNAP", "",
                "Refused (exit 6) while machines made from it exist; a missing snapshot is exit 5."},
                footer = ExitCodes.TEXT)
        static final class Rm extends SnapshotCommands {
            @Parameters(paramLabel = "SNAP", arity = "1", description = "the snapshot's name")
            private String snapshot;

            Rm(CliContext context) {
                super(context);
            }

            @Override
            Options request() throws UsageException {
                return new Options(Action.DELETE, null, checked(snapshot), 0, false);
            }
        }
    }

    private static String checked(String snapshot) throws UsageException {
        if (!snapshot.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new UsageException("snapshot name must be 1-63 lowercase letters, digits or '-', starting with a letter"
                    + " or digit; got '" + snapshot + "'");
        }
        return snapshot;
    }

    static int run(Options options, ConnectOptions server, PrintStream out, PrintStream err) {
        try {
            switch (options.action()) {
                case SNAPSHOT -> {
                    Engine.open(server).connect(options.machine()).snapshot(options.snapshot());
                    out.println(options.snapshot());
                }
                case FORK -> {
                    List<Machine> clones = Engine.open(server).connect(options.machine()).fork(options.count());
                    for (Machine clone : clones) {
                        out.println(options.json() ? MachineJson.write(MachineJson.info(clone.info(), clone.config()))
                                : clone.id() + " " + clone.name());
                    }
                }
                case LIST -> list(dev.flint.machine.Snapshots.list(server), options.json(), out);
                case DELETE -> {
                    dev.flint.machine.Snapshots.delete(options.snapshot(), server);
                    out.println(options.snapshot() + " deleted");
                }
            }
            return ExitCodes.OK;
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        }
    }

    private static void list(List<SnapshotInfo> snapshots, boolean json, PrintStream out) {
        if (json) {
            out.println(MachineJson.write(MachineJson.snapshots(snapshots)));
            return;
        }
        out.printf("%-24s %-24s %4s %8s %8s  %s%n", "NAME", "SOURCE", "CPUS", "MEMORY", "DISK", "CREATED");
        for (SnapshotInfo s : snapshots) {
            out.printf("%-24s %-24s %4d %6dMi %6dMi  %s%n", s.name(), s.source(), s.cpus(), s.memoryMb(), s.diskMb(),
                    s.createdAt());
        }
    }
}
