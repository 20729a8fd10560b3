package dev.flint.machine.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FlintException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineInfo;
import dev.flint.machine.MachineState;
import dev.flint.machine.MachinePage;
import dev.flint.machine.MachineQuery;
import dev.flint.machine.wire.MachineJson;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code flint ls}: the server's machines as a table, or JSON, filtered and paged. */
final class ListCommand {
    static final String USAGE = """
            Usage: flint ls [OPTIONS]

            Lists the server's machines, oldest first: a table, or JSON with --json. Without --limit it
            fetches every page; with --limit it prints one page and, when there are more, the cursor
            of the next (on stderr for the table, as "nextCursor" in JSON). The table's STATE reads
            "crashed" for a machine stopped by its guest's crash (a kernel panic); 'flint info' says why.

            Options:
              --state STATE         only machines in this state: running, stopped, booting, stopping
                                    (repeatable, or comma-separated)
              --name NAME           only the machine of this name
              --metadata K=V        only machines labelled K=V (repeatable: all must match)
              --limit N             one page of at most N machines (1-1000)
              --cursor CURSOR       the page after the one that printed CURSOR
              --json                print JSON: {"machines": [...], "nextCursor": ...}
            """ + ServerTarget.OPTIONS_TEXT + """
              -h, --help            show this help

            """ + ExitCodes.TEXT;

    record Options(MachineQuery query, boolean allPages, boolean json) {
    }

    private ListCommand() {
    }

    static Options parse(List<String> args) throws UsageException {
        Arguments in = new Arguments(args);
        MachineQuery.Builder query = MachineQuery.builder();
        boolean allPages = true;
        boolean json = false;
        try {
            while (in.hasNext()) {
                String option = in.next();
                switch (option) {
                    case "--state" -> {
                        for (String state : in.value(option).split(",")) {
                            query.state(MachineJson.state(state.strip()));
                        }
                    }
                    case "--name" -> query.name(in.value(option));
                    case "--metadata" -> {
                        String[] pair = CreateCommand.keyValue(option, in.value(option));
                        query.metadata(pair[0], pair[1]);
                    }
                    case "--limit" -> {
                        query.limit(in.intValue(option, 1, MachineQuery.MAX_LIMIT));
                        allPages = false;
                    }
                    case "--cursor" -> query.cursor(in.value(option));
                    case "--json" -> json = true;
                    default -> throw new UsageException("unknown " + (option.startsWith("-") ? "option" : "argument")
                            + " for ls: " + option);
                }
            }
            return new Options(query.build(), allPages, json);
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static int run(Options options, ConnectOptions server, PrintStream out, PrintStream err) {
        try {
            List<MachineInfo> machines = new ArrayList<>();
            MachineQuery query = options.query();
            Optional<String> next;
            while (true) {
                MachinePage page = Machine.list(query, server);
                machines.addAll(page.machines());
                next = page.nextCursor();
                if (!options.allPages() || next.isEmpty()) {
                    break;
                }
                query = new MachineQuery(query.states(), query.name(), query.metadata(), query.limit(), next);
            }
            if (options.json()) {
                List<ObjectNode> items = machines.stream().map(i -> MachineJson.info(i, null)).toList();
                out.println(MachineJson.write(MachineJson.page(items, next)));
            } else {
                out.print(table(machines));
                next.ifPresent(cursor -> err.println("flint: more machines: flint ls --limit "
                        + options.query().limit() + " --cursor " + cursor));
            }
            return ExitCodes.OK;
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        }
    }

    static String table(List<MachineInfo> machines) {
        StringBuilder text = new StringBuilder(String.format("%-20s %-24s %-9s %4s %8s  %s%n", "ID", "NAME", "STATE", "CPUS",
                "MEMORY", "CREATED"));
        for (MachineInfo info : machines) {
            text.append(String.format("%-20s %-24s %-9s %4d %5d MiB  %s%n", info.id(), info.name(),
                    state(info), info.cpus(), info.memoryMb(), info.createdAt()));
        }
        return text.toString();
    }

    /** The state for people: a stopped machine whose guest crashed reads "crashed". */
    static String state(MachineInfo info) {
        return info.state() == MachineState.STOPPED && info.crashed() ? "crashed" : info.state().name().toLowerCase();
    }
}
