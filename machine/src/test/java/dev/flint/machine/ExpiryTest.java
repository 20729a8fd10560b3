package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a machine's time to live does when it runs out, whatever the machine: pause, stop, or a stop when the pause fails. */
class ExpiryTest {
    /** Records what the expiry did to it; its pause fails when told to. */
    private static final class Recording implements Expiry.Expiring {
        final List<String> done = new ArrayList<>();
        MachineState state = MachineState.RUNNING;
        boolean pauseFails;

        @Override
        public MachineState status() {
            return state;
        }

        @Override
        public void pause() {
            if (pauseFails) {
                throw new FlintException("machine m could not be paused (it runs on): disk full");
            }
            done.add("pause");
        }

        @Override
        public void stop(String reason) {
            done.add("stop: " + reason);
        }

        @Override
        public void paused() {
            done.add("told its listener");
        }
    }

    @Test
    void pauseSavesTheMachineAndTellsItsListener() {
        Recording machine = new Recording();
        Expiry.expire(machine, TimeoutAction.PAUSE, Duration.ofSeconds(90));
        assertEquals(List.of("pause", "told its listener"), machine.done);
    }

    @Test
    void stopStopsItSayingWhy() {
        Recording machine = new Recording();
        Expiry.expire(machine, TimeoutAction.STOP, Duration.ofSeconds(90));
        assertEquals(List.of("stop: its time to live of 90 s ran out"), machine.done);
    }

    @Test
    void aPauseThatCannotSaveStopsTheMachineInstead() {
        Recording machine = new Recording();
        machine.pauseFails = true;
        Expiry.expire(machine, TimeoutAction.PAUSE, Duration.ofSeconds(90));
        assertEquals(List.of("stop: its time to live of 90 s ran out and it could not be paused: machine m could not be"
                + " paused (it runs on): disk full"), machine.done);
    }

    @Test
    void aMachineThatNoLongerRunsIsLeftAsItIs() {
        for (MachineState state : List.of(MachineState.PAUSED, MachineState.STOPPED, MachineState.DELETED)) {
            Recording machine = new Recording();
            machine.state = state;
            Expiry.expire(machine, TimeoutAction.PAUSE, Duration.ofSeconds(1));
            assertEquals(List.of(), machine.done, state.name());
        }
    }
}
