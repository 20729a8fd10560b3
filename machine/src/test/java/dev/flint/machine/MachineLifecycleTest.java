package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The state machine: every legal call passes, every illegal one is a clear error; and a defined machine, without a guest. */
class MachineLifecycleTest {
    private static final Set<String> LEGAL = Set.of("STOPPED START", "RUNNING STOP", "BOOTING STOP", "STOPPED STOP", "RUNNING RESTART",
            "STOPPED RESTART", "RUNNING EXEC", "PAUSED STOP", "RUNNING PAUSE", "PAUSED RESUME", "RUNNING SNAPSHOT",
            "RUNNING FORK");

    @Test
    void everyIllegalTransitionIsAClearErrorAndEveryLegalOnePasses() {
        for (MachineState state : MachineState.values()) {
            for (MachineLifecycle.Action action : MachineLifecycle.Action.values()) {
                boolean legal = action == MachineLifecycle.Action.DELETE || LEGAL.contains(state + " " + action)
                        || action == MachineLifecycle.Action.CONFIGURE && state != MachineState.DELETED;
                assertEquals(legal, MachineLifecycle.allows(state, action), state + " " + action);
                if (legal) {
                    MachineLifecycle.require("m", state, action);
                    continue;
                }
                MachineStateException e = assertThrows(MachineStateException.class,
                        () -> MachineLifecycle.require("m", state, action), state + " " + action);
                assertTrue(e.getMessage().startsWith("machine m is " + state.name().toLowerCase() + ", so it cannot "
                        + action.name().toLowerCase() + "; "), e.getMessage());
                if (action == MachineLifecycle.Action.EXEC && state != MachineState.DELETED) {
                    assertInstanceOf(MachineNotRunningException.class, e);
                }
            }
        }
    }

    @Test
    void aDefinedMachineIsStoppedUntilStartedAndDeletedForGood() {
        Machine machine = Machine.define(MachineConfig.builder().name("defined").network(NetworkPolicy.none()).build(), null);
        assertEquals(MachineState.STOPPED, machine.status());
        MachineInfo info = machine.info();
        assertEquals(MachineState.STOPPED, info.state());
        assertTrue(info.startedAt().isEmpty() && info.ports().isEmpty());
        String notRunning = assertThrows(MachineNotRunningException.class, () -> machine.exec(List.of("true"))).getMessage();
        assertTrue(notRunning.contains("start() it first"), notRunning);
        assertThrows(MachineNotRunningException.class, machine::metrics);
        machine.stop();   // stopping a stopped machine does nothing
        assertThrows(InvalidConfigException.class, () -> machine.start(Duration.ZERO));
        machine.delete();
        assertEquals(MachineState.DELETED, machine.status());
        String deleted = assertThrows(MachineStateException.class, machine::start).getMessage();
        assertTrue(deleted.contains("it was deleted; create a new machine"), deleted);
        assertThrows(MachineStateException.class, () -> machine.shell("echo hi"));
        machine.close();  // closing twice is fine
    }

    @Test
    void shellNeedsACommand() {
        Machine machine = Machine.define(MachineConfig.builder().name("shell").network(NetworkPolicy.none()).build(), null);
        assertTrue(assertThrows(InvalidConfigException.class, () -> machine.shell(" ")).getMessage().contains("shell needs"));
        machine.close();
    }
}
