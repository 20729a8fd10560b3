package dev.flint.machine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SQLite state store: rows, updates, filters and pages, WAL, and recovery from a host process that died. */
class MachineStoreTest {
    @TempDir
    Path home;

    private static MachineConfig config(String name, String team) {
        return MachineConfig.builder().name(name).cpus(1).memoryMb(128).metadata("team", team).env("A", "1").build();
    }

    @Test
    void createsReadsUpdatesAndDeletesARow() {
        Instant created = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        try (MachineStore store = MachineStore.open(home)) {
            long seq = store.insert("m-aaaaaaaaaaaaaaaa", config("one", "x"), MachineState.STOPPED, created, HostProcess.current());
            StoredMachine row = store.get("m-aaaaaaaaaaaaaaaa").orElseThrow();
            assertEquals(seq, row.seq());
            assertEquals("one", row.config().name());
            assertEquals(128, row.config().memoryMb());
            assertEquals("1", row.config().env().get("A"));
            assertEquals(created, row.createdAt());
            assertEquals(ProcessHandle.current().pid(), row.hostPid().getAsLong());
            Instant started = created.plusSeconds(1);
            store.updateState(row.id(), MachineState.RUNNING, Optional.of(started), Optional.empty());
            StoredMachine running = store.byName("one").orElseThrow();
            assertEquals(MachineState.RUNNING, running.state());
            assertEquals(started, running.startedAt().orElseThrow());
            store.delete(row.id());
            assertTrue(store.get(row.id()).isEmpty());
        }
    }

    @Test
    void aTakenNameIsAClearError() {
        try (MachineStore store = MachineStore.open(home)) {
            store.insert("m-aaaaaaaaaaaaaaaa", config("same", "x"), MachineState.STOPPED, Instant.now(), HostProcess.current());
            String message = assertThrows(InvalidConfigException.class, () -> store.insert("m-bbbbbbbbbbbbbbbb",
                    config("same", "y"), MachineState.STOPPED, Instant.now(), HostProcess.current())).getMessage();
            assertTrue(message.contains("a machine named same already exists"), message);
        }
    }

    @Test
    void listsFilteredAndPagedWithOneExtraRowForTheNextPage() {
        try (MachineStore store = MachineStore.open(home)) {
            for (int i = 0; i < 4; i++) {
                store.insert("m-" + "abcd".charAt(i) + "aaaaaaaaaaaaaaa", config("n" + i, i < 2 ? "red" : "blue.io/x"),
                        i == 3 ? MachineState.RUNNING : MachineState.STOPPED, Instant.now(), HostProcess.current());
            }
            List<StoredMachine> page = store.list(MachineQuery.builder().limit(2).build());
            assertEquals(List.of("n0", "n1", "n2"), page.stream().map(r -> r.config().name()).toList());
            List<StoredMachine> after = store.list(MachineQuery.builder().cursor(MachineQuery.cursorAfter(page.get(1).seq())).build());
            assertEquals(List.of("n2", "n3"), after.stream().map(r -> r.config().name()).toList());
            assertEquals(List.of("n2", "n3"), store.list(MachineQuery.builder().metadata("team", "blue.io/x").build())
                    .stream().map(r -> r.config().name()).toList());
            assertEquals(List.of("n3"), store.list(MachineQuery.builder().state(MachineState.RUNNING).build())
                    .stream().map(r -> r.config().name()).toList());
            assertEquals(List.of("n0", "n1", "n2"), store.list(MachineQuery.builder().state(MachineState.STOPPED)
                    .state(MachineState.BOOTING).build()).stream().map(r -> r.config().name()).toList());
        }
    }

    @Test
    void usesWriteAheadLogging() throws Exception {
        MachineStore.open(home).close();
        try (var connection = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(MachineStore.FILE_NAME));
             ResultSet rs = connection.createStatement().executeQuery("PRAGMA journal_mode")) {
            assertEquals("wal", rs.getString(1));
        }
    }

    @Test
    void openingMarksMachinesOfADeadHostStoppedAndFreesTheirSocket() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        HostProcess dead = new HostProcess(gone.pid(), Optional.of(Instant.now()));
        Path socket = Files.createFile(home.resolve("vsock.sock"));
        MachineConfig withSocket = MachineConfig.builder().name("orphan").vsockSocket(home.resolve("vsock.sock.new")).build();
        try (MachineStore store = MachineStore.open(home)) {
            store.insert("m-aaaaaaaaaaaaaaaa", withSocket, MachineState.RUNNING, Instant.now(), dead);
            store.insert("m-bbbbbbbbbbbbbbbb", config("alive", "x"), MachineState.RUNNING, Instant.now(), HostProcess.current());
        }
        Files.move(socket, home.resolve("vsock.sock.new"));   // the socket the dead host served
        try (MachineStore store = MachineStore.open(home)) {
            StoredMachine orphan = store.get("m-aaaaaaaaaaaaaaaa").orElseThrow();
            assertEquals(MachineState.STOPPED, orphan.state());
            assertTrue(orphan.hostPid().isEmpty());
            assertTrue(orphan.lastStopReason().orElseThrow().contains("its host process " + gone.pid() + " ended"));
            assertTrue(Files.notExists(home.resolve("vsock.sock.new")), "the stale vsock socket is removed");
            assertEquals(MachineState.RUNNING, store.get("m-bbbbbbbbbbbbbbbb").orElseThrow().state(),
                    "a machine of a live host is left alone");
        }
    }

    @Test
    void aPausedMachineOfADeadHostStaysPaused() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        HostProcess dead = new HostProcess(gone.pid(), Optional.of(Instant.now()));
        try (MachineStore store = MachineStore.open(home)) {
            store.insert("m-aaaaaaaaaaaaaaaa", config("napping", "x"), MachineState.PAUSED, Instant.now(), dead);
        }
        try (MachineStore store = MachineStore.open(home)) {
            StoredMachine paused = store.get("m-aaaaaaaaaaaaaaaa").orElseThrow();
            assertEquals(MachineState.PAUSED, paused.state(), "its saved guest is on disk, not in the process that ended");
            assertTrue(paused.hostPid().isEmpty(), "and no process holds it now");
        }
    }

    @Test
    void aReusedPidWithAnotherStartTimeCountsAsDead() {
        HostProcess reused = new HostProcess(ProcessHandle.current().pid(), Optional.of(Instant.EPOCH));
        assertTrue(!HostProcess.isAlive(reused.pid(), reused.startedAt()));
        assertTrue(HostProcess.isAlive(HostProcess.current().pid(), HostProcess.current().startedAt()));
    }
}
