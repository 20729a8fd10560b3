package dev.flint.machine.cli;

import dev.flint.machine.ExecStartException;
import dev.flint.machine.ExecTimeoutException;
import dev.flint.machine.FlintException;
import dev.flint.machine.GuestCrashedException;
import dev.flint.machine.HostUnsupportedException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.MachineNotFoundException;
import dev.flint.machine.MachineNotRunningException;
import dev.flint.machine.MachineStateException;
import dev.flint.machine.ServerUnavailableException;
import dev.flint.machine.SnapshotNotFoundException;

/**
 * The exit statuses of the machine commands (create, start, stop, ls, exec...), the same for
 * each so scripts can tell "no server" from "no such machine" from "not running". exec and
 * shell pass their command's own status through, so for them these mean Flint failed only
 * when the command could not run.
 */
final class ExitCodes {
    static final int OK = 0;
    static final int USAGE = 2;
    static final int HOST = 3;
    static final int NO_SERVER = 4;
    static final int NOT_FOUND = 5;
    static final int WRONG_STATE = 6;
    /** The guest crashed (a kernel panic) while the command waited; the message carries its console tail. */
    static final int GUEST_CRASHED = 9;
    static final int TIMEOUT = 124;
    static final int MACHINE_FAILED = 125;
    /** The command could not be started (not executable, permission denied, a missing workdir...), as a shell's 126. */
    static final int CANNOT_RUN = 126;
    /** The command was not found, as a shell's 127. */
    static final int COMMAND_NOT_FOUND = 127;

    /** The paragraph every machine command's help ends with. */
    static final String TEXT = "Exit status: 0 done; 2 bad arguments or config; 3 this host cannot run machines; 4 no"
            + " server (none given, unreachable, or it refused the token); 5 no such machine (or snapshot); 6 the"
            + " machine is in the wrong state (e.g. not running); 9 the guest crashed (a kernel panic); 124 a timeout;"
            + " 125 the machine failed otherwise.";

    private ExitCodes() {
    }

    static int of(FlintException e) {
        return switch (e) {
            case InvalidConfigException i -> USAGE;
            case HostUnsupportedException h -> HOST;
            case MachineNotFoundException n -> NOT_FOUND;
            case SnapshotNotFoundException n -> NOT_FOUND;
            case dev.flint.machine.TemplateNotFoundException n -> NOT_FOUND;
            case MachineNotRunningException r -> WRONG_STATE;
            case MachineStateException s -> WRONG_STATE;
            case ExecTimeoutException t -> TIMEOUT;
            case ExecStartException s -> s.commandNotFound() ? COMMAND_NOT_FOUND : CANNOT_RUN;
            case GuestCrashedException c -> GUEST_CRASHED;
            case ServerUnavailableException s -> NO_SERVER;
            default -> MACHINE_FAILED;
        };
    }
}
