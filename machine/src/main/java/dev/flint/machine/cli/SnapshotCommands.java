package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.Engine;
import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.SnapshotInfo;
import dev.flint.machine.Snapshots;
import dev.flint.machine.wire.MachineJson;

import java.io.PrintStream;
import java.util.List;

/**
 * {@code flint snapshot MACHINE SNAP}, {@code flint fork MACHINE [-n N]} and
 * {@code flint snapshots [ls | rm SNAP]}: a running machine saved under a name, cloned, and the
 * saved snapshots listed or deleted.
 */
final class SnapshotCommands {
    static final String SNAPSHOT_USAGE = """
            Usage: flint snapshot MACHINE SNAP [OPTIONS]

            Saves running MACHINE as snapshot SNAP: its memory, devices, config and its disk as it is
            now. The machine pauses while that is written, then runs on. 'flint create NAME
            --from-snapshot SNAP' makes a machine that runs on from there. SNAP is 1-63 lowercase
            letters, digits or '-'.

            Options:
            """ + ServerTarget.OPTIONS_TEXT + """
              -h, --help            show this help

            """ + ExitCodes.TEXT;
    static final String FORK_USAGE = """
            Usage: flint fork MACHINE [-n N] [OPTIONS]

            Makes N running clones of MACHINE, named MACHINE-fork-1 .. MACHINE-fork-N, each with its
            own id, hostname and disk, all sharing MACHINE's memory copy-on-write. MACHINE pauses
            while its snapshot is written, then runs on. Prints the clones' ids, one a line.

            Options:
              -n, --count N         how many clones (1-64, default 1)
              --json                print the clones' infos as JSON
            """ + ServerTarget.OPTIONS_TEXT + """
              -h, --help            show this help

            """ + ExitCodes.TEXT;
    static final String SNAPSHOTS_USAGE = """
            Usage: flint snapshots [ls | rm SNAP] [OPTIONS]

            Lists the snapshots (ls, the default): name, the machine it was taken of, resources and
            time. rm deletes snapshot SNAP; that is refused (exit 6) while machines made from it exist.
            A missing snapshot is exit 5.

            Options:
              --json                list as JSON
            """ + ServerTarget.OPTIONS_TEXT + """
              -h, --help            show this help

            """ + ExitCodes.TEXT;

    enum Action { SNAPSHOT, FORK, LIST, DELETE }

    record Options(Action action, String machine, String snapshot, int count, boolean json) {
    }

    private SnapshotCommands() {
    }

    static String usage(String command) {
        return switch (command) {
            case "snapshot" -> SNAPSHOT_USAGE;
            case "fork" -> FORK_USAGE;
            default -> SNAPSHOTS_USAGE;
        };
    }

    static Options parse(String command, List<String> args) throws UsageException {
        Arguments in = new Arguments(args);
        List<String> words = new java.util.ArrayList<>();
        int count = 1;
        boolean json = false;
        while (in.hasNext()) {
            String option = in.next();
            if ((option.equals("-n") || option.equals("--count")) && command.equals("fork")) {
                count = in.intValue(option, 1, Machine.MAX_FORK);
            } else if (option.equals("--json") && !command.equals("snapshot")) {
                json = true;
            } else if (option.startsWith("-")) {
                throw new UsageException("unknown option for " + command + ": " + option);
            } else {
                words.add(option);
            }
        }
        return switch (command) {
            case "snapshot" -> {
                if (words.size() != 2) {
                    throw new UsageException("snapshot needs MACHINE and SNAP, e.g. flint snapshot web-1 base; got " + words);
                }
                yield new Options(Action.SNAPSHOT, words.get(0), checked(words.get(1)), 0, false);
            }
            case "fork" -> {
                if (words.size() != 1) {
                    throw new UsageException("fork takes one MACHINE, e.g. flint fork web-1 -n 3; got " + words);
                }
                yield new Options(Action.FORK, words.get(0), null, count, json);
            }
            default -> {
                if (words.isEmpty() || words.equals(List.of("ls"))) {
                    yield new Options(Action.LIST, null, null, 0, json);
                }
                if (words.size() == 2 && words.get(0).equals("rm")) {
                    yield new Options(Action.DELETE, null, checked(words.get(1)), 0, false);
                }
                throw new UsageException("snapshots takes 'ls' or 'rm SNAP', got " + words);
            }
        };
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
                case LIST -> list(Snapshots.list(server), options.json(), out);
                case DELETE -> {
                    Snapshots.delete(options.snapshot(), server);
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
