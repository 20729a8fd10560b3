package dev.flint.machine;

import dev.flint.vmm.cpu.CpuVendor;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.snapshot.SnapshotFile;
import dev.flint.vmm.snapshot.SnapshotHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Warm pools through the engine, with fake backends whose pool machines wait on a gate, so a
 * test decides when a pool has machines ready: PREFER takes one or falls back, REQUIRE fails in
 * time, BYPASS never takes one, a checkout renames the machine and is refilled, pool machines
 * are not listed, and closing the engine deletes them.
 */
class WarmPoolEngineTest {
    @TempDir
    Path home;
    private final Map<String, FakeBackend> backends = new ConcurrentHashMap<>();
    private final CountDownLatch gate = new CountDownLatch(1);
    private LocalEngine engine;

    @BeforeEach
    void open() {
        TestHome.use(home);
        engine = new LocalEngine((id, config, createdAt, copy) -> {
            if (config.name().contains("-warm-")) {
                try {
                    assertTrue(gate.await(10, TimeUnit.SECONDS), "the test opens the gate");
                } catch (InterruptedException e) {
                    throw new FlintException("interrupted", e);
                }
            }
            FakeBackend backend = FakeBackend.define(id, config, createdAt, copy);
            backends.put(id, backend);
            return backend;
        }, null);
        engine.buildTemplate("base", TemplateSpec.builder().memoryMb(160).env("FROM", "template").setup(List.of("echo", "x"))
                .build());
    }

    @AfterEach
    void close() {
        gate.countDown();
        engine.close();
        TestHome.restore();
    }

    private static MachineConfig config(String name, WarmPoolMode mode, Duration wait) {
        return MachineConfig.builder().name(name).env("MINE", "1").metadata("team", "a").template("base")
                .warmPool("pool", mode, wait).build();
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(5);
        }
    }

    private int ready() {
        return engine.pools().getFirst().ready();
    }

    @Test
    void requireFailsInTimeNamingThePoolAndPreferFallsBackCold() {
        engine.createPool("pool", "base", 2);
        long start = System.nanoTime();
        WarmPoolUnavailableException e = assertThrows(WarmPoolUnavailableException.class,
                () -> engine.create(config("w1", WarmPoolMode.REQUIRE, Duration.ofMillis(200))));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waited >= 190 && waited < 5000, "waited its 200 ms, not more: " + waited);
        assertEquals("warm pool pool had no ready machine within 200 ms (0 of 2 ready, 2 being made); wait longer, make"
                + " the pool larger, or use WarmPoolMode.PREFER to fall back to a cold create", e.getMessage());
        assertThrows(MachineNotFoundException.class, () -> engine.connect("w1"));

        Machine cold = engine.create(config("w2", WarmPoolMode.PREFER, Duration.ofMillis(50)));
        assertEquals(Optional.of(WarmPoolCheckout.COLD_FALLBACK), cold.info().warmPoolCheckout());
        assertEquals(MachineState.RUNNING, cold.status());
        assertEquals(Optional.of("w2"), backends.get(cold.id()).renewedHostname, "restored from the template's snapshot");
        assertEquals("a", cold.info().metadata().get("team"));
    }

    @Test
    void preferChecksOutAReadyMachineUnderTheRequestedNameAndThePoolRefills() throws Exception {
        engine.createPool("pool", "base", 2);
        gate.countDown();
        eventually("the pool is full", () -> ready() == 2);
        assertEquals(List.of(), engine.list(MachineQuery.all()).machines(), "pool machines are not the user's");

        Machine warm = engine.create(config("app", WarmPoolMode.PREFER, Duration.ofSeconds(5)));
        FakeBackend backend = backends.get(warm.id());
        assertEquals(Optional.of(WarmPoolCheckout.WARM), warm.info().warmPoolCheckout());
        assertEquals("app", warm.name());
        assertEquals(Optional.of("app"), backend.renewedHostname, "the guest renamed");
        assertEquals("1", warm.config().env().get("MINE"));
        assertEquals("template", warm.config().env().get("FROM"), "the template's env under the create's");
        assertEquals(160, warm.config().memoryMb());
        assertEquals("a", warm.info().metadata().get("team"));
        assertEquals(List.of("app"), engine.list(MachineQuery.all()).machines().stream().map(MachineInfo::name).toList());
        assertEquals("hi\n", warm.exec(List.of("echo", "hi")).stdout());
        assertEquals(MachineState.RUNNING, engine.connect("app").status());
        eventually("the pool refilled", () -> ready() == 2);
        String backs = assertThrows(MachineStateException.class, () -> engine.deleteSnapshot("template-base")).getMessage();
        assertTrue(List.of(backs.replace("snapshot template-base backs machines ", "").replace("; delete them first", "")
                .split(", ")).contains("app"), "the reference follows the rename: " + backs);

        Machine second = engine.create(config("app2", WarmPoolMode.REQUIRE, Duration.ofSeconds(5)));
        assertEquals(Optional.of(WarmPoolCheckout.WARM), second.info().warmPoolCheckout());
        warm.delete();
        second.delete();
    }

    @Test
    void aPoolOfATemplateTakenOnAnotherCpuVendorFillsWithColdMachinesThatSaySo() throws Exception {
        String other = CpuVendor.ofHost().equals("GenuineIntel") ? "AuthenticAMD" : "GenuineIntel";
        SnapshotFile.write(home.resolve("snapshots/template-base").resolve(SnapshotStore.VM),
                new SnapshotHeader(other, List.of(), List.of(new MemoryRange(0, 4096))), new byte[0]);
        engine.createPool("pool", "base", 1);
        gate.countDown();
        eventually("the pool is full", () -> ready() == 1);
        Machine warm = engine.create(config("app", WarmPoolMode.REQUIRE, Duration.ofSeconds(5)));
        FakeBackend backend = backends.get(warm.id());
        assertEquals(Optional.of(WarmPoolCheckout.WARM), warm.info().warmPoolCheckout());
        assertEquals(List.of(List.of("echo", "x")), backend.commands, "booted cold and set up, not restored");
        String why = warm.info().templateColdBoot().orElseThrow();
        assertTrue(why.contains("was taken on " + other), why);
        assertEquals("a", warm.info().metadata().get("team"), "the create's own metadata too");
        warm.delete();
    }

    @Test
    void poolMachinesOfAKilledProcessDoNotKeepTheTemplatesSnapshot() throws Exception {
        engine.createPool("pool", "base", 2);
        gate.countDown();
        eventually("the pool is full", () -> ready() == 2);
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        for (String name : List.of("pool-warm-1", "pool-warm-2")) {
            Path mark = home.resolve("machines").resolve(name).resolve(SnapshotStore.WARM_MARK);
            assertEquals(ProcessHandle.current().pid() + "", java.nio.file.Files.readString(mark).split(" ")[0]);
            java.nio.file.Files.writeString(mark, ended.pid() + " 0");   // as if a process killed with -9 had kept them
        }
        new SnapshotStore(home).delete("template-base");
        assertTrue(java.nio.file.Files.notExists(home.resolve("machines").resolve("pool-warm-1")), "pruned");
        assertEquals(List.of(), new SnapshotStore(home).list());
    }

    @Test
    void aCheckedOutMachineLosesItsPoolMark() throws Exception {
        engine.createPool("pool", "base", 1);
        gate.countDown();
        eventually("the pool is full", () -> ready() == 1);
        engine.create(config("mine", WarmPoolMode.REQUIRE, Duration.ofSeconds(5)));
        assertTrue(java.nio.file.Files.notExists(home.resolve("machines/mine").resolve(SnapshotStore.WARM_MARK)));
        String backs = assertThrows(MachineStateException.class,
                () -> new SnapshotStore(home).delete("template-base")).getMessage();
        assertTrue(backs.contains("mine"), "a user's machine is never pruned: " + backs);
    }

    @Test
    void bypassNeverTakesAPoolMachine() throws Exception {
        engine.createPool("pool", "base", 1);
        gate.countDown();
        eventually("the pool is full", () -> ready() == 1);
        Machine machine = engine.create(config("b1", WarmPoolMode.BYPASS, Duration.ofSeconds(1)));
        assertEquals(Optional.of(WarmPoolCheckout.BYPASSED), machine.info().warmPoolCheckout());
        assertEquals(1, ready(), "the ready one stays in the pool");
        assertTrue(!machine.id().isEmpty() && backends.get(machine.id()).renewedHostname.equals(Optional.of("b1")));
    }

    @Test
    void poolsAreCheckedAndTheirMachinesGoWithThePoolAndTheEngine() throws Exception {
        assertThrows(TemplateNotFoundException.class, () -> engine.createPool("other", "nothing", 1));
        assertThrows(InvalidConfigException.class, () -> engine.createPool("pool", "base", 0));
        assertThrows(InvalidConfigException.class, () -> engine.createPool("Bad", "base", 1));
        String none = assertThrows(InvalidConfigException.class,
                () -> engine.create(config("x", WarmPoolMode.PREFER, Duration.ZERO))).getMessage();
        assertTrue(none.startsWith("no warm pool named pool"), none);
        engine.createPool("pool", "base", 2);
        assertThrows(InvalidConfigException.class, () -> engine.createPool("pool", "base", 1));
        gate.countDown();
        eventually("the pool is full", () -> ready() == 2);
        String used = assertThrows(MachineStateException.class, () -> engine.deleteTemplate("base")).getMessage();
        assertEquals("template base fills warm pool pool; delete it first", used);
        List<FakeBackend> pooled = backends.values().stream().filter(b -> b.config().name().startsWith("pool-warm-")).toList();
        assertEquals(2, pooled.size());
        engine.deletePool("pool");
        assertEquals(List.of(), engine.pools());
        pooled.forEach(b -> assertEquals(MachineState.DELETED, b.status(), "deleted with its pool"));
        engine.deleteTemplate("base");

        engine.buildTemplate("base", TemplateSpec.builder().build());
        engine.createPool("pool", "base", 1);
        eventually("the pool is full", () -> ready() == 1);
        engine.close();
        backends.values().forEach(b -> assertEquals(MachineState.DELETED, b.status(), "closing the engine deletes them"));
    }
}
