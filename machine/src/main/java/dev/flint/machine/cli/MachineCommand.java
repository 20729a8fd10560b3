package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.Engine;
import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineInfo;
import dev.flint.machine.wire.MachineJson;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The commands that act on one machine by id or name: {@code start}, {@code stop},
 * {@code restart}, {@code delete}, {@code info}, {@code logs}, {@code pause}, {@code resume}; one
 * nested class each, for its name, help and own options.
 */
abstract class MachineCommand extends ServerBound<MachineCommand.Options> {
    private static final String MACHINE = "MACHINE is its id (m-...) or its name.";

    enum Verb { START, STOP, RESTART, DELETE, INFO, LOGS, PAUSE, RESUME }

    record Options(Verb verb, String machine, Optional<Duration> timeout, boolean json) {
    }

    @Parameters(paramLabel = "MACHINE", description = "the machine's id (m-...) or name")
    private List<String> machines = new ArrayList<>();

    MachineCommand(CliContext context) {
        super(context);
    }

    static Options parse(Verb verb, List<String> args) throws UsageException {
        return Flint.parse(Flint.withCommand(verb.name().toLowerCase(Locale.ROOT), args), MachineCommand.class).request();
    }

    abstract Verb verb();

    /** The timeout option of this verb, when it has one and it was given. */
    Optional<Duration> timeout() throws UsageException {
        return Optional.empty();
    }

    boolean json() {
        return false;
    }

    @Override
    Options request() throws UsageException {
        String verb = verb().name().toLowerCase(Locale.ROOT);
        if (machines.isEmpty()) {
            throw new UsageException(verb + " needs a MACHINE (its id or name); 'flint ls' lists them");
        }
        if (machines.size() > 1) {
            throw new UsageException(verb + " takes one MACHINE, got '" + machines.get(0) + "' and '" + machines.get(1) + "'");
        }
        return new Options(verb(), machines.get(0), timeout(), json());
    }

    @Override
    int run(Options options, ConnectOptions server) {
        return run(options, server, context.out(), context.err());
    }

    private static Optional<Duration> seconds(String option, Integer value, int min) throws UsageException {
        return value == null ? Optional.empty() : Optional.of(Duration.ofSeconds(OptionChecks.between(option, value, min, 3_600)));
    }

    @Command(name = "start", description = {"boot a stopped machine", "",
            "Boots a stopped machine and waits until it is ready. " + MACHINE}, footer = ExitCodes.TEXT)
    static final class Start extends MachineCommand {
        @Option(names = "--boot-timeout", paramLabel = "SECONDS",
                description = "give up after this long (default: the machine's boot timeout)")
        private Integer bootTimeout;

        Start(CliContext context) {
            super(context);
        }

        @Override
        Verb verb() {
            return Verb.START;
        }

        @Override
        Optional<Duration> timeout() throws UsageException {
            return seconds("--boot-timeout", bootTimeout, 1);
        }
    }

    @Command(name = "stop", description = {"power a machine off", "",
            "Powers the machine off (its disk stays); it can start again. " + MACHINE}, footer = ExitCodes.TEXT)
    static final class Stop extends MachineCommand {
        @Option(names = "--timeout", paramLabel = "SECONDS", description = "force it off after this long (default 10)")
        private Integer timeout;

        Stop(CliContext context) {
            super(context);
        }

        @Override
        Verb verb() {
            return Verb.STOP;
        }

        @Override
        Optional<Duration> timeout() throws UsageException {
            return seconds("--timeout", timeout, 0);
        }
    }

    @Command(name = "restart", description = {"stop and start a machine", "",
            "Stops and starts the machine, keeping its disk. " + MACHINE}, footer = ExitCodes.TEXT)
    static final class Restart extends MachineCommand {
        Restart(CliContext context) {
            super(context);
        }

        @Override
        Verb verb() {
            return Verb.RESTART;
        }
    }

    @Command(name = "delete", description = {"delete a machine and its disk", "",
            "Stops the machine and removes it and its disk (unless it keeps it). " + MACHINE}, footer = ExitCodes.TEXT)
    static final class Delete extends MachineCommand {
        Delete(CliContext context) {
            super(context);
        }

        @Override
        Verb verb() {
            return Verb.DELETE;
        }
    }

    @Command(name = "info", description = {"a machine's id, state, resources, times and metadata", "",
            "Prints the machine's id, state, resources, times and metadata. " + MACHINE}, footer = ExitCodes.TEXT)
    static final class Info extends MachineCommand {
        @Option(names = "--json", description = "print it as JSON (with the machine's config)")
        private boolean json;

        Info(CliContext context) {
            super(context);
        }

        @Override
        Verb verb() {
            return Verb.INFO;
        }

        @Override
        boolean json() {
            return json;
        }
    }

    @Command(name = "logs", description = {"a machine's serial console", "",
            "Prints the last 64 KiB of the machine's serial console. " + MACHINE}, footer = ExitCodes.TEXT)
    static final class Logs extends MachineCommand {
        Logs(CliContext context) {
            super(context);
        }

        @Override
        Verb verb() {
            return Verb.LOGS;
        }
    }

    @Command(name = "pause", description = {"save a running machine to disk and release its VM", "",
            "Saves the running guest to disk and releases its VM (it costs only disk while paused). resume, exec or"
                    + " shell wakes it; info and ls do not. " + MACHINE}, footer = ExitCodes.TEXT)
    static final class Pause extends MachineCommand {
        Pause(CliContext context) {
            super(context);
        }

        @Override
        Verb verb() {
            return Verb.PAUSE;
        }
    }

    @Command(name = "resume", description = {"restore a paused machine", "",
            "Restores a paused machine as it was (clock set, RNG reseeded). " + MACHINE}, footer = ExitCodes.TEXT)
    static final class Resume extends MachineCommand {
        @Option(names = "--timeout", paramLabel = "SECONDS",
                description = "give up waiting for its agent after this long (default: its boot timeout)")
        private Integer timeout;

        Resume(CliContext context) {
            super(context);
        }

        @Override
        Verb verb() {
            return Verb.RESUME;
        }

        @Override
        Optional<Duration> timeout() throws UsageException {
            return seconds("--timeout", timeout, 1);
        }
    }

    static int run(Options options, ConnectOptions server, PrintStream out, PrintStream err) {
        try {
            // Not Machine.connect, which resumes a paused machine: info must read it as it is, stop must not wake it.
            Machine machine = Engine.open(server).connect(options.machine());
            switch (options.verb()) {
                case START -> {
                    machine.start(options.timeout().orElse(machine.config().bootTimeout()));
                    out.println(machine.id() + " running");
                }
                case STOP -> {
                    machine.stop(options.timeout().orElse(Duration.ofSeconds(10)));
                    out.println(machine.id() + " stopped");
                }
                case RESTART -> {
                    machine.restart();
                    out.println(machine.id() + " running");
                }
                case DELETE -> {
                    machine.delete();
                    out.println(machine.id() + " deleted");
                }
                case INFO -> out.print(options.json()
                        ? MachineJson.write(MachineJson.info(machine.info(), machine.config())) + "\n"
                        : describe(machine.info()));
                case LOGS -> out.print(machine.consoleLog());
                case PAUSE -> {
                    machine.pause();
                    out.println(machine.id() + " paused");
                }
                case RESUME -> {
                    machine.resume(options.timeout().orElse(machine.config().bootTimeout()));
                    out.println(machine.id() + " running");
                }
            }
            return ExitCodes.OK;
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        }
    }

    /** {@code key: value} lines, for people. */
    static String describe(MachineInfo info) {
        StringBuilder text = new StringBuilder();
        line(text, "id", info.id());
        line(text, "name", info.name());
        line(text, "state", ListCommand.state(info));
        line(text, "cpus", String.valueOf(info.cpus()));
        line(text, "memory", info.memoryMb() + " MiB");
        line(text, "disk", info.diskMb() == 0 ? "none (root in memory)" : info.diskMb() + " MiB");
        info.mounts().forEach(m -> line(text, "mount", m.source() + " -> " + m.target() + (m.readOnly() ? " (ro)" : "")));
        info.address().ifPresent(a -> line(text, "address", a));
        info.ports().forEach(p -> line(text, "port", p.hostAddress() + ":" + p.hostPort() + " -> " + p.guestPort() + "/"
                + p.protocol().name().toLowerCase()));
        info.metadata().forEach((k, v) -> line(text, "metadata", k + "=" + v));
        line(text, "created", info.createdAt().toString());
        info.startedAt().ifPresent(t -> line(text, "started", t.toString()));
        info.bootDuration().ifPresent(d -> line(text, "boot", d.toMillis() + " ms"));
        info.lastStopReason().ifPresent(r -> line(text, "last stop", r));
        return text.toString();
    }

    private static void line(StringBuilder text, String key, String value) {
        text.append(String.format("%-10s %s%n", key + ":", value));
    }
}
