package dev.flint.machine;

import dev.flint.virtio.net.MacAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A paused machine in this JVM without a VM: which saved guest it takes as its own, what a resume
 * hands the restore (the saved MAC, VM state and hostname), and that a failed restore leaves it
 * paused with its saved state intact.
 */
class LocalMachinePauseTest {
    private static final String ID = "m-aaaaaaaaaaaaaaaa";
    @TempDir
    Path home;

    @BeforeEach
    void useHome() {
        TestHome.use(home);
    }

    @AfterEach
    void clearHome() {
        TestHome.restore();
    }

    private record Restore(MacAddress mac, Path vmState, Optional<String> hostname) {
    }

    private LocalMachine machine(String id, AtomicReference<Restore> seen) {
        MachineConfig config = MachineConfig.builder().name("saved").network(NetworkPolicy.none()).build();
        return new LocalMachine(id, config, Optional.empty(), Optional.empty(), new ConsoleLog(1024, null), Instant.now(),
                (cfg, disk, mac, console, timeout, cancel) -> {
                    throw new AgentUnavailableException("no boot in this test", null);
                },
                (cfg, disk, mac, console, timeout, vmState, hostname) -> {
                    seen.set(new Restore(mac, vmState, hostname));
                    throw new FlintException("machine saved could not be restored: the vm state is corrupt (test)");
                });
    }

    private Path paused() {
        return home.resolve("machines").resolve("saved").resolve(LocalMachine.PAUSED);
    }

    private Path save(String owner, Optional<String> hostname) throws IOException {
        Path vm = Files.createDirectories(paused().resolve("vm"));
        new SavedGuest(owner, MacAddress.parse("52:54:00:0a:0b:0c"), vm, hostname).write(paused());
        return vm;
    }

    @Test
    void aSavedGuestOfThisIdMakesItPausedAndAFailedRestoreKeepsItSo() throws Exception {
        Path vm = save(ID, Optional.of("saved"));
        AtomicReference<Restore> seen = new AtomicReference<>();
        LocalMachine machine = machine(ID, seen);
        assertEquals(MachineState.PAUSED, machine.status());

        FlintException e = assertThrows(FlintException.class, () -> machine.resume(Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("could not be restored"), e.getMessage());
        assertEquals(new Restore(MacAddress.parse("52:54:00:0a:0b:0c"), vm, Optional.of("saved")), seen.get());
        assertEquals(MachineState.PAUSED, machine.status());
        assertTrue(Files.isRegularFile(paused().resolve(SavedGuest.FILE)), "the saved guest stays for another try");
        assertTrue(machine.info().lastStopReason().orElseThrow().startsWith("paused; the last resume failed"));

        String command = assertThrows(FlintException.class, () -> machine.exec(List.of("true"), ExecOptions.DEFAULT))
                .getMessage();
        assertTrue(command.contains("could not be restored"), "a command tries to resume it: " + command);

        machine.stop(Duration.ofSeconds(1));
        assertEquals(MachineState.STOPPED, machine.status());
        assertFalse(Files.exists(paused()), "a stop drops the saved memory");
    }

    @Test
    void aSavedGuestOfAnotherMachineOfTheSameNameIsNotResumed() throws Exception {
        save("m-bbbbbbbbbbbbbbbb", Optional.empty());
        LocalMachine machine = machine(ID, new AtomicReference<>());
        assertEquals(MachineState.STOPPED, machine.status());
        assertThrows(MachineStateException.class, () -> machine.resume(Duration.ofSeconds(1)));
        assertTrue(Files.exists(paused()), "a diskless machine holds no lock on the directory: another JVM's may own it");
    }

    @Test
    void aResumeWhoseSavedVmIsGoneSaysWhatToDo() throws Exception {
        Path vm = save(ID, Optional.empty());
        Files.delete(vm);
        LocalMachine machine = machine(ID, new AtomicReference<>());
        String message = assertThrows(FlintException.class, () -> machine.resume(Duration.ofSeconds(1))).getMessage();
        assertTrue(message.contains("its saved VM " + vm + " is gone") && message.endsWith("stop() it and start() it again"),
                message);
    }

    @Test
    void aDeleteRemovesTheSavedGuest() throws Exception {
        save(ID, Optional.empty());
        LocalMachine machine = machine(ID, new AtomicReference<>());
        machine.delete();
        assertEquals(MachineState.DELETED, machine.status());
        assertFalse(Files.exists(paused()));
    }

    @Test
    void everyMachineKeepsOneUnicastMacAcrossBootsAndRestores() throws Exception {
        MacAddress mac = SavedGuest.macOf(ID);
        assertEquals(mac, SavedGuest.macOf(ID));
        assertNotEquals(mac, SavedGuest.macOf("m-bbbbbbbbbbbbbbbb"));
        assertTrue(mac.toString().startsWith("52:54:00:"), mac.toString());
        assertEquals(0, mac.bytes()[0] & 1, "unicast");

        Path vm = Files.createDirectories(home.resolve("vm"));
        new SavedGuest(ID, mac, vm, Optional.of("host")).write(home);
        assertEquals(Optional.of(new SavedGuest(ID, mac, vm, Optional.of("host"))), SavedGuest.read(home));
        Files.writeString(home.resolve(SavedGuest.FILE), "{\"machineId\":");
        assertEquals(Optional.empty(), SavedGuest.read(home), "a torn record is no saved guest");
    }
}
