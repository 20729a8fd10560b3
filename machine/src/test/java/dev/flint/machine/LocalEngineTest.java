package dev.flint.machine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine behind Machine: ids, unique names, lifecycle through the handle, list and paging, with fake backends. */
class LocalEngineTest {
    private final FakeEngines fakes = new FakeEngines();

    private static MachineConfig config(String name) {
        return MachineConfig.builder().name(name).network(NetworkPolicy.none()).build();
    }

    @Test
    void createBootsAndGivesAStableIdBesideTheName() {
        Engine engine = fakes.inMemory();
        Machine machine = engine.create(config("web"));
        assertTrue(machine.id().matches("m-[a-z2-7]{16}"), machine.id());
        assertEquals("web", machine.name());
        assertEquals(MachineState.RUNNING, machine.status());
        assertEquals(machine.id(), machine.info().id());
        assertEquals("hello\n", machine.exec(List.of("echo", "hello")).stdout());
        assertEquals(machine.id(), engine.connect(machine.id()).id());
        assertEquals(machine.id(), engine.connect("web").id());
    }

    @Test
    void aConnectedHandleClosesWithoutDeletingAndItsForksAreOwned() {
        Engine engine = fakes.inMemory();
        Machine created = engine.create(config("mine"));
        try (Machine attached = engine.connect("mine")) {
            assertFalse(attached.ownsMachine());
            attached.setEnv(java.util.Map.of("K", "v"));
        }
        assertEquals(MachineState.RUNNING, created.status());
        assertEquals(java.util.Map.of("K", "v"), created.env(), "both handles drive one machine");
        assertEquals("K=v\n", created.exec(List.of("env")).stdout());
        created.close();
        assertEquals(MachineState.DELETED, created.status());
        assertThrows(MachineStateException.class, () -> created.setEnv(java.util.Map.of()));
    }

    @Test
    void urlIsTheForwardedHostPortOfAGuestPort() {
        Machine machine = fakes.inMemory().create(config("web2"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> machine.url(80)).getMessage()
                .contains("forwards no host port to guest port 80"));
        assertThrows(InvalidConfigException.class, () -> machine.url(0));
        Machine served = fakes.inMemory().create(MachineConfig.builder().name("web3").port(PortSpec.tcp(18080, 80)).build());
        assertEquals(java.net.URI.create("http://127.0.0.1:18080/"), served.url(80));
    }

    @Test
    void createWithStartFalseLeavesItStoppedUntilStart() {
        Engine engine = fakes.inMemory();
        Machine machine = engine.create(MachineConfig.builder().name("later").start(false).build());
        assertEquals(MachineState.STOPPED, machine.status());
        assertThrows(MachineNotRunningException.class, () -> machine.exec(List.of("echo")));
        machine.start(Duration.ofSeconds(5));
        assertEquals(MachineState.RUNNING, machine.status());
        machine.restart();
        assertEquals(MachineState.RUNNING, machine.status());
    }

    @Test
    void namesAreUniqueUntilDeleted() {
        Engine engine = fakes.inMemory();
        Machine first = engine.create(config("dup"));
        String message = assertThrows(InvalidConfigException.class, () -> engine.create(config("dup"))).getMessage();
        assertTrue(message.contains("a machine named dup already exists (" + first.id() + ")"), message);
        first.delete();
        assertEquals(MachineState.DELETED, first.status());
        assertThrows(MachineNotFoundException.class, () -> engine.connect(first.id()));
        Machine second = engine.create(config("dup"));
        assertFalse(second.id().equals(first.id()), "ids are never reused");
    }

    @Test
    void aFailedBootDeletesTheMachineAndFreesTheName() {
        Engine engine = fakes.inMemory();
        MachineConfig broken = MachineConfig.builder().name("broken").bootArgs("fail-boot").build();
        assertThrows(AgentUnavailableException.class, () -> engine.create(broken));
        assertTrue(engine.list(MachineQuery.all()).machines().isEmpty());
        assertEquals(MachineState.RUNNING, engine.create(config("broken")).status());
    }

    @Test
    void shellIsALoginShellAndWorkdirIsTheDefaultOfEveryExec() {
        Engine engine = fakes.inMemory();
        Machine machine = engine.create(MachineConfig.builder().name("sh").workdir("/srv").build());
        assertEquals("login:echo $HOME", machine.shell("echo $HOME").stdout());
        assertEquals("/srv\n", machine.exec(List.of("pwd")).stdout());
        assertEquals("/tmp\n", machine.exec(List.of("pwd"), ExecOptions.builder().workdir("/tmp").build()).stdout());
        assertTrue(assertThrows(InvalidConfigException.class, () -> machine.exec(List.of())).getMessage()
                .contains("exec needs a command"));
    }

    @Test
    void listFiltersByStateNameAndMetadataAndPagesInCreationOrder() {
        Engine engine = fakes.inMemory();
        listAndPage(engine);
    }

    @Test
    void listFiltersAndPagesTheSameWithTheStore(@TempDir Path home) {
        try (Engine engine = fakes.persistent(home)) {
            listAndPage(engine);
        }
    }

    /** Five machines: a0..a4, team=a for even ones, a1 and a3 stopped. */
    static void listAndPage(Engine engine) {
        for (int i = 0; i < 5; i++) {
            MachineConfig.Builder config = MachineConfig.builder().name("a" + i).start(i % 2 == 0);
            if (i % 2 == 0) {
                config.metadata("team", "a");
            }
            engine.create(config.build());
        }
        assertEquals(List.of("a0", "a1", "a2", "a3", "a4"), names(engine.list(MachineQuery.all())));
        assertEquals(List.of("a1", "a3"), names(engine.list(MachineQuery.builder().state(MachineState.STOPPED).build())));
        assertEquals(List.of("a0", "a2", "a4"), names(engine.list(MachineQuery.builder().metadata("team", "a").build())));
        assertEquals(List.of("a3"), names(engine.list(MachineQuery.builder().name("a3").build())));
        assertEquals(List.of(), names(engine.list(MachineQuery.builder().name("a3").metadata("team", "a").build())));

        MachinePage first = engine.list(MachineQuery.builder().limit(2).build());
        assertEquals(List.of("a0", "a1"), names(first));
        MachinePage second = engine.list(MachineQuery.builder().limit(2).cursor(first.nextCursor().orElseThrow()).build());
        assertEquals(List.of("a2", "a3"), names(second));
        MachinePage third = engine.list(MachineQuery.builder().limit(2).cursor(second.nextCursor().orElseThrow()).build());
        assertEquals(List.of("a4"), names(third));
        assertTrue(third.nextCursor().isEmpty());
        MachinePage exact = engine.list(MachineQuery.builder().limit(5).build());
        assertTrue(exact.nextCursor().isEmpty(), "a full last page has no next cursor");
    }

    private static List<String> names(MachinePage page) {
        return page.machines().stream().map(MachineInfo::name).toList();
    }

    @Test
    void aCrashedGuestReadsAsStoppedInListsAndCanStartAgain(@TempDir Path home) {
        try (Engine engine = fakes.persistent(home)) {
            Machine machine = engine.create(config("crashy"));
            fakes.backends.get(machine.id()).crash();
            try (MachineStore store = MachineStore.open(home)) {   // recorded at once, before any call asks
                StoredMachine row = store.get(machine.id()).orElseThrow();
                assertEquals(MachineState.STOPPED, row.state());
                assertTrue(row.info().crashed(), row.toString());
            }
            MachinePage stopped = engine.list(MachineQuery.builder().state(MachineState.STOPPED).build());
            assertEquals(List.of("crashy"), names(stopped));
            assertEquals("crashed: Kernel panic - not syncing: test", stopped.machines().get(0).lastStopReason().orElseThrow());
            assertTrue(stopped.machines().get(0).crashed());
            machine.start();
            assertEquals(List.of("crashy"), names(engine.list(MachineQuery.builder().state(MachineState.RUNNING).build())));
        }
    }

    @Test
    void aServerRestartFindsItsMachinesStoppedAndTakesThemOver(@TempDir Path home) {
        String id;
        try (Engine engine = fakes.persistent(home)) {
            Machine machine = engine.create(MachineConfig.builder().name("keep").metadata("app", "x").build());
            id = machine.id();
        }
        try (Engine engine = fakes.persistent(home)) {
            MachineInfo info = engine.list(MachineQuery.all()).machines().get(0);
            assertEquals(id, info.id());
            assertEquals(MachineState.STOPPED, info.state());
            assertEquals("stopped by the host", info.lastStopReason().orElseThrow());
            Machine again = engine.connect(id);
            again.start();
            assertEquals(MachineState.RUNNING, again.status());
            assertEquals("x", again.info().metadata().get("app"));
            again.delete();
            assertTrue(engine.list(MachineQuery.all()).machines().isEmpty());
        }
    }

    @Test
    void machineStaticMethodsUseTheEngineTheOptionsName() {
        Machine machine = Machine.define(MachineConfig.builder().name("static-define").network(NetworkPolicy.none()).build(), null);
        try {
            assertEquals(machine.id(), Machine.connect(machine.id(), ConnectOptions.local()).id());
            assertTrue(Machine.list(MachineQuery.builder().name("static-define").build(), ConnectOptions.local())
                    .machines().stream().anyMatch(i -> i.id().equals(machine.id())));
        } finally {
            machine.close();
        }
        String gone = assertThrows(MachineNotFoundException.class,
                () -> Machine.connect(machine.id(), ConnectOptions.local())).getMessage();
        assertTrue(gone.contains("in this JVM") && gone.contains("FLINT_SERVER"), gone);
    }

    @Test
    void aClosedEngineSaysSo(@TempDir Path home) {
        Engine engine = fakes.persistent(home);
        engine.close();
        assertTrue(assertThrows(FlintException.class, () -> engine.create(config("late"))).getMessage().contains("closed"));
    }
}
