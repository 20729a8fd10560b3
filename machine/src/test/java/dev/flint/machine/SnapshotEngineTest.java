package dev.flint.machine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pause, resume, named snapshots and forks through the engine, with fake backends (no VM): the
 * states, what lands under FLINT_HOME, the store across a server restart, the references that
 * keep a snapshot while machines stand on it, the hostnames the clones are given, and a time to
 * live that pauses ({@link TimeoutAction#PAUSE}) instead of stopping.
 */
class SnapshotEngineTest {
    @TempDir
    Path home;
    private final FakeEngines fakes = new FakeEngines();

    @BeforeEach
    void useHome() {
        TestHome.use(home);
    }

    @AfterEach
    void clearHome() {
        TestHome.restore();
    }

    private static MachineConfig config(String name) {
        return MachineConfig.builder().name(name).cpus(1).memoryMb(128).network(NetworkPolicy.none()).build();
    }

    private Path paused(String name) {
        return home.resolve("machines").resolve(name).resolve(LocalMachine.PAUSED);
    }

    @Test
    void pauseSavesUnderTheMachineDirectoryAndACommandResumesIt() {
        Engine engine = fakes.inMemory();
        Machine machine = engine.create(config("napper"));
        machine.pause();
        assertEquals(MachineState.PAUSED, machine.status());
        assertEquals(MachineState.PAUSED, machine.info().state(), "info reads a paused machine without resuming it");
        assertTrue(Files.isRegularFile(paused("napper").resolve(SavedGuest.FILE)));
        String twice = assertThrows(MachineStateException.class, machine::pause).getMessage();
        assertEquals("machine napper is paused, so it cannot pause; resume() it first", twice);
        assertThrows(MachineStateException.class, machine::start);

        assertEquals("awake\n", machine.exec(List.of("echo", "awake")).stdout(), "a command resumes it");
        assertEquals(MachineState.RUNNING, machine.status());
        assertFalse(Files.exists(paused("napper")), "the saved guest is removed once it runs again");
        assertEquals(Optional.empty(), fakes.backends.get(machine.id()).renewedHostname, "a resume keeps the hostname");
        String running = assertThrows(MachineStateException.class, machine::resume).getMessage();
        assertEquals("machine napper is running, so it cannot resume; it already runs", running);
    }

    @Test
    void stoppingAPausedMachineDropsItsSavedMemory() {
        Engine engine = fakes.inMemory();
        Machine machine = engine.create(config("dropper"));
        machine.pause();
        machine.stop();
        assertEquals(MachineState.STOPPED, machine.status());
        machine.start();
        assertEquals(MachineState.RUNNING, machine.status());
    }

    @Test
    void aPausedMachineStaysPausedAcrossAServerRestartAndResumes() {
        String id;
        try (Engine engine = fakes.persistent(home)) {
            Machine machine = engine.create(config("sleeper"));
            id = machine.id();
            machine.pause();
            assertEquals(MachineState.PAUSED, engine.list(MachineQuery.all()).machines().getFirst().state());
        }
        try (Engine engine = fakes.persistent(home)) {
            assertEquals(MachineState.PAUSED, engine.list(MachineQuery.all()).machines().getFirst().state(),
                    "the store keeps it paused");
            Machine machine = engine.connect(id);
            assertEquals(MachineState.PAUSED, machine.status(), "taken over paused: its saved guest is on disk");
            machine.resume();
            assertEquals(MachineState.RUNNING, machine.status());
            assertEquals(MachineState.RUNNING, engine.list(MachineQuery.all()).machines().getFirst().state());
        }
    }

    @Test
    void aTimeToLiveThatPausesSavesTheMachineAndTheNextCommandWakesIt() throws Exception {
        try (Engine engine = fakes.persistent(home)) {
            Machine machine = engine.create(MachineConfig.builder().name("idle").network(NetworkPolicy.none())
                    .timeout(Duration.ofMillis(200)).onTimeout(TimeoutAction.PAUSE).build());
            assertEquals(MachineState.RUNNING, machine.status());
            eventually("the time to live paused it", () -> machine.status() == MachineState.PAUSED);
            assertEquals(Optional.of("paused"), machine.info().lastStopReason());
            assertTrue(Files.isRegularFile(paused("idle").resolve(SavedGuest.FILE)), "saved, not stopped");
            assertEquals(MachineState.PAUSED, engine.list(MachineQuery.all()).machines().getFirst().state());

            assertEquals("back\n", machine.exec(List.of("echo", "back")).stdout(), "a command resumes it");
            assertEquals(MachineState.RUNNING, machine.status());
            eventually("the time to live ran again after the resume", () -> machine.status() == MachineState.PAUSED);
        }
    }

    @Test
    void aTimeToLiveStopsByDefaultAndSaysWhy() throws Exception {
        Engine engine = fakes.inMemory();
        Machine machine = engine.create(MachineConfig.builder().name("brief").network(NetworkPolicy.none())
                .timeout(Duration.ofMillis(200)).build());
        eventually("the time to live stopped it", () -> machine.status() == MachineState.STOPPED);
        assertEquals(Optional.of("its time to live of 0 s ran out"), machine.info().lastStopReason());
        assertFalse(Files.exists(paused("brief")), "nothing saved");
    }

    private static void eventually(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void aMachineMadeFromASnapshotHasItsHardwareAndANewName() throws Exception {
        Engine engine = fakes.inMemory();
        Machine source = engine.create(MachineConfig.builder().name("golden").cpus(1).memoryMb(192)
                .network(NetworkPolicy.none()).build());
        source.snapshot("base");
        assertEquals(MachineState.RUNNING, source.status(), "the source runs on");
        assertEquals(List.of("base"), engine.snapshots().stream().map(SnapshotInfo::name).toList());
        SnapshotInfo info = engine.snapshots().getFirst();
        assertEquals("golden", info.source());
        assertEquals(192, info.memoryMb());

        Machine copy = engine.create(MachineConfig.builder().name("copy").metadata("team", "a").fromSnapshot("base").build());
        assertEquals(MachineState.RUNNING, copy.status());
        assertEquals(192, copy.config().memoryMb(), "the snapshot's hardware");
        assertEquals("a", copy.config().metadata().get("team"), "the new config's metadata");
        assertEquals(Optional.empty(), copy.config().snapshot(), "its stored config boots cold after a stop");
        assertEquals(Optional.of("copy"), fakes.backends.get(copy.id()).renewedHostname, "renamed by the renewal");

        String taken = assertThrows(InvalidConfigException.class, () -> source.snapshot("base")).getMessage();
        assertTrue(taken.contains("a snapshot named base already exists"), taken);
        String backs = assertThrows(MachineStateException.class, () -> engine.deleteSnapshot("base")).getMessage();
        assertEquals("snapshot base backs machine copy; delete it first", backs);
        copy.delete();
        engine.deleteSnapshot("base");
        assertEquals(List.of(), engine.snapshots());
        assertFalse(Files.exists(home.resolve("snapshots").resolve("base")));
    }

    @Test
    void aMissingSnapshotIsAClearError() {
        Engine engine = fakes.inMemory();
        SnapshotNotFoundException e = assertThrows(SnapshotNotFoundException.class,
                () -> engine.create(MachineConfig.builder().name("orphan").fromSnapshot("nothing").build()));
        assertTrue(e.getMessage().startsWith("no snapshot named 'nothing'"), e.getMessage());
        assertThrows(SnapshotNotFoundException.class, () -> engine.deleteSnapshot("nothing"));
        assertThrows(InvalidConfigException.class, () -> MachineConfig.builder().fromSnapshot("Bad Name"));
        assertThrows(MachineNotFoundException.class, () -> engine.connect("orphan"), "nothing was left behind");
    }

    @Test
    void forkMakesRunningClonesWithTheirOwnNamesAndHostnamesAndTheSnapshotGoesWithTheLast() {
        Engine engine = fakes.inMemory();
        Machine parent = engine.create(config("parent"));
        List<Machine> clones = parent.fork(3);
        assertEquals(MachineState.RUNNING, parent.status(), "the parent runs on");
        assertEquals(List.of("parent-fork-1", "parent-fork-2", "parent-fork-3"), clones.stream().map(Machine::name).toList());
        Set<String> ids = clones.stream().map(Machine::id).collect(Collectors.toSet());
        assertEquals(3, ids.size());
        for (Machine clone : clones) {
            assertEquals(MachineState.RUNNING, clone.status());
            assertEquals(Optional.of(clone.name()), fakes.backends.get(clone.id()).renewedHostname);
            assertEquals("hi\n", clone.exec(List.of("echo", "hi")).stdout());
        }
        Path forks = home.resolve("forks");
        assertEquals(1, forks.toFile().list().length, "one snapshot for all clones");
        clones.get(0).delete();
        clones.get(1).delete();
        assertEquals(1, forks.toFile().list().length, "kept while a clone exists");
        clones.get(2).delete();
        assertEquals(0, forks.toFile().list().length, "removed with the last clone");
        assertEquals(List.of(), engine.snapshots(), "a fork's snapshot is not a named one");
    }

    @Test
    void forkChecksItsArgumentsAndANameClashUndoesIt() {
        Engine engine = fakes.inMemory();
        Machine parent = engine.create(config("p"));
        engine.create(config("p-fork-2"));
        assertThrows(InvalidConfigException.class, () -> parent.fork(0));
        assertThrows(InvalidConfigException.class, () -> parent.fork(List.of("a", "a")));
        assertThrows(InvalidConfigException.class, () -> parent.fork(List.of("Not Valid")));
        String clash = assertThrows(InvalidConfigException.class, () -> parent.fork(2)).getMessage();
        assertTrue(clash.contains("a machine named p-fork-2 already exists"), clash);
        assertThrows(MachineNotFoundException.class, () -> engine.connect("p-fork-1"), "the first clone was undone");
        assertEquals(0, home.resolve("forks").toFile().list().length, "and the fork's snapshot with it");
        parent.pause();
        assertThrows(MachineStateException.class, () -> parent.fork(1));
    }
}
