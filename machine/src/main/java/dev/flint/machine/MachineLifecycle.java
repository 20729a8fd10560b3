package dev.flint.machine;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.flint.machine.MachineState.BOOTING;
import static dev.flint.machine.MachineState.DELETED;
import static dev.flint.machine.MachineState.PAUSED;
import static dev.flint.machine.MachineState.RUNNING;
import static dev.flint.machine.MachineState.STOPPED;
import static dev.flint.machine.MachineState.STOPPING;

/**
 * The machine state machine: which call may run in which state. Anything else is a
 * {@link MachineStateException} naming the state and what to do, never a hang.
 *
 * <pre>
 *   define ──> STOPPED ──start──> BOOTING ──agent ready──> RUNNING ──stop──> STOPPING ──> STOPPED
 *                 ^                  │ boot failed, stop      │ power-off, crash, time to live
 *                 └──────────────────┴────────────────────────┘
 *   RUNNING ──pause──> PAUSED ──resume──> RUNNING      PAUSED ──stop (drops the saved memory)──> STOPPED
 *   any state ──delete/close──> DELETED
 * </pre>
 */
final class MachineLifecycle {
    /** What a caller asks of a machine. */
    enum Action { START, STOP, RESTART, EXEC, PAUSE, RESUME, SNAPSHOT, FORK, CONFIGURE, DELETE }

    private static final Map<Action, Set<MachineState>> LEGAL = Map.of(
            Action.START, EnumSet.of(STOPPED),
            Action.STOP, EnumSet.of(RUNNING, BOOTING, STOPPED, PAUSED),   // a stop during a boot cancels it
            Action.RESTART, EnumSet.of(RUNNING, STOPPED),
            Action.EXEC, EnumSet.of(RUNNING),
            Action.PAUSE, EnumSet.of(RUNNING),
            Action.RESUME, EnumSet.of(PAUSED),
            Action.SNAPSHOT, EnumSet.of(RUNNING),
            Action.FORK, EnumSet.of(RUNNING),
            Action.CONFIGURE, EnumSet.complementOf(EnumSet.of(DELETED)),
            Action.DELETE, EnumSet.allOf(MachineState.class));

    private MachineLifecycle() {
    }

    static boolean allows(MachineState state, Action action) {
        return LEGAL.get(action).contains(state);
    }

    /** Throws unless {@code action} is legal in {@code state}. */
    static void require(String machine, MachineState state, Action action) {
        if (allows(state, action)) {
            return;
        }
        String verb = action.name().toLowerCase();
        String hint = switch (state) {
            case DELETED -> "it was deleted; create a new machine";
            case BOOTING -> "wait until start() returns";
            case STOPPING -> "wait until stop() returns";
            case STOPPED -> "start() it first";
            case PAUSED -> "resume() it first";
            case RUNNING -> action == Action.START ? "it already runs; stop() it first, or restart()"
                    : action == Action.RESUME ? "it already runs" : "";
        };
        if (action == Action.EXEC && state != DELETED) {
            throw new MachineNotRunningException("machine " + machine + " is " + state.name().toLowerCase()
                    + ", so it cannot " + verb + "; " + hint);
        }
        throw new MachineStateException("machine " + machine + " is " + state.name().toLowerCase() + ", so it cannot "
                + verb + "; " + hint);
    }
}
