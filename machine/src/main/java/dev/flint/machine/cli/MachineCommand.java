package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.Engine;
import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineInfo;
import dev.flint.machine.wire.MachineJson;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The commands that act on one machine by id or name: {@code start}, {@code stop},
 * {@code restart}, {@code delete}, {@code info}, {@code logs}, {@code pause}, {@code resume}.
 */
final class MachineCommand {
    static final String START_USAGE = usage("start", "Boots a stopped machine and waits until it is ready.",
            "  --boot-timeout SECONDS  give up after this long (default: the machine's boot timeout)\n");
    static final String STOP_USAGE = usage("stop", "Powers the machine off (its disk stays); it can start again.",
            "  --timeout SECONDS     force it off after this long (default 10)\n");
    static final String RESTART_USAGE = usage("restart", "Stops and starts the machine, keeping its disk.", "");
    static final String DELETE_USAGE = usage("delete", "Stops the machine and removes it and its disk (unless it keeps it).", "");
    static final String INFO_USAGE = usage("info", "Prints the machine's id, state, resources, times and metadata.",
            "  --json                print it as JSON (with the machine's config)\n");
    static final String LOGS_USAGE = usage("logs", "Prints the last 64 KiB of the machine's serial console.", "");
    static final String PAUSE_USAGE = usage("pause", "Saves the running guest to disk and releases its VM (it costs only"
            + " disk while paused).\nresume, exec or shell wakes it; info and ls do not.", "");
    static final String RESUME_USAGE = usage("resume", "Restores a paused machine as it was (clock set, RNG reseeded).",
            "  --timeout SECONDS     give up waiting for its agent after this long (default: its boot timeout)\n");

    enum Verb { START, STOP, RESTART, DELETE, INFO, LOGS, PAUSE, RESUME }

    record Options(Verb verb, String machine, Optional<Duration> timeout, boolean json) {
    }

    private MachineCommand() {
    }

    private static String usage(String verb, String what, String options) {
        return "Usage: flint " + verb + " MACHINE [OPTIONS]\n\n" + what + "\nMACHINE is its id (m-...) or its name.\n\n"
                + "Options:\n" + options + ServerTarget.OPTIONS_TEXT + "  -h, --help            show this help\n\n"
                + ExitCodes.TEXT;
    }

    static String usage(Verb verb) {
        return switch (verb) {
            case START -> START_USAGE;
            case STOP -> STOP_USAGE;
            case RESTART -> RESTART_USAGE;
            case DELETE -> DELETE_USAGE;
            case INFO -> INFO_USAGE;
            case LOGS -> LOGS_USAGE;
            case PAUSE -> PAUSE_USAGE;
            case RESUME -> RESUME_USAGE;
        };
    }

    static Options parse(Verb verb, List<String> args) throws UsageException {
        Arguments in = new Arguments(args);
        String verbName = verb.name().toLowerCase();
        String machine = null;
        Optional<Duration> timeout = Optional.empty();
        boolean json = false;
        while (in.hasNext()) {
            String option = in.next();
            if (option.equals("--boot-timeout") && verb == Verb.START) {
                timeout = Optional.of(Duration.ofSeconds(in.intValue(option, 1, 3_600)));
            } else if (option.equals("--timeout") && verb == Verb.STOP) {
                timeout = Optional.of(Duration.ofSeconds(in.intValue(option, 0, 3_600)));
            } else if (option.equals("--timeout") && verb == Verb.RESUME) {
                timeout = Optional.of(Duration.ofSeconds(in.intValue(option, 1, 3_600)));
            } else if (option.equals("--json") && verb == Verb.INFO) {
                json = true;
            } else if (option.startsWith("-")) {
                throw new UsageException("unknown option for " + verbName + ": " + option);
            } else if (machine != null) {
                throw new UsageException(verbName + " takes one MACHINE, got '" + machine + "' and '" + option + "'");
            } else {
                machine = option;
            }
        }
        if (machine == null) {
            throw new UsageException(verbName + " needs a MACHINE (its id or name); 'flint ls' lists them");
        }
        return new Options(verb, machine, timeout, json);
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
