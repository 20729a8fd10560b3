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

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code flint ls}: the server's machines as a table, or JSON, filtered and paged. */
@Command(name = "ls", description = {"list machines (table or --json; --state, --name, --metadata, --limit)", "",
        "Lists the server's machines, oldest first: a table, or JSON with --json. Without --limit it fetches every page;"
                + " with --limit it prints one page and, when there are more, the cursor of the next (on stderr for the"
                + " table, as \"nextCursor\" in JSON). The table's STATE reads \"crashed\" for a machine stopped by its"
                + " guest's crash (a kernel panic); 'flint info' says why."},
        footer = ExitCodes.TEXT)
final class ListCommand extends ServerBound<ListCommand.Options> {
    @Option(names = "--state", paramLabel = "STATE", description = "only machines in this state: running, stopped,"
            + " booting, stopping (repeatable, or comma-separated)")
    private List<String> states = new ArrayList<>();
    @Option(names = "--name", paramLabel = "NAME", description = "only the machine of this name")
    private String name;
    @Option(names = "--metadata", paramLabel = "K=V", description = "only machines labelled K=V (repeatable: all must match)")
    private List<String> metadata = new ArrayList<>();
    @Option(names = "--limit", paramLabel = "N", description = "one page of at most N machines (1-1000)")
    private Integer limit;
    @Option(names = "--cursor", paramLabel = "CURSOR", description = "the page after the one that printed CURSOR")
    private String cursor;
    @Option(names = "--json", description = "print JSON: {\"machines\": [...], \"nextCursor\": ...}")
    private boolean json;

    record Options(MachineQuery query, boolean allPages, boolean json) {
    }

    ListCommand(CliContext context) {
        super(context);
    }

    static Options parse(List<String> args) throws UsageException {
        return Flint.parse(Flint.withCommand("ls", args), ListCommand.class).request();
    }

    @Override
    Options request() throws UsageException {
        MachineQuery.Builder query = MachineQuery.builder();
        try {
            for (String option : states) {
                for (String state : option.split(",")) {
                    query.state(MachineJson.state(state.strip()));
                }
            }
            if (name != null) {
                query.name(name);
            }
            for (String pair : metadata) {
                String[] kv = OptionChecks.keyValue("--metadata", pair);
                query.metadata(kv[0], kv[1]);
            }
            if (limit != null) {
                query.limit(OptionChecks.between("--limit", limit, 1, MachineQuery.MAX_LIMIT));
            }
            if (cursor != null) {
                query.cursor(cursor);
            }
            return new Options(query.build(), limit == null, json);
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    @Override
    int run(Options options, ConnectOptions server) {
        return run(options, server, context.out(), context.err());
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
