package dev.flint.machine;

import dev.flint.vmm.cpu.CpuVendor;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.snapshot.SnapshotFile;
import dev.flint.vmm.snapshot.SnapshotHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Templates through the engine, with fake backends (no VM): a build runs the setup and leaves a
 * snapshot and a record but no machine, a failing setup leaves nothing, machines restore from it
 * (or boot cold and set up, saying why, when its snapshot is gone or was taken on another CPU
 * vendor or format), and the disk size is the template's.
 */
class TemplateEngineTest {
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

    private static TemplateSpec spec(String... setup) {
        TemplateSpec.Builder spec = TemplateSpec.builder().cpus(1).memoryMb(192).env("LANG", "C.UTF-8").env("MODE", "template");
        for (String command : setup) {
            spec.setup(List.of(command.split(" ")));
        }
        return spec.build();
    }

    @Test
    void aBuildRunsTheSetupSnapshotsAndDeletesItsMachine() {
        Engine engine = fakes.inMemory();
        TemplateInfo info = engine.buildTemplate("py", spec("echo one", "echo two"));
        assertEquals("py", info.name());
        assertTrue(info.snapshot());
        FakeBackend builder = fakes.backends.values().iterator().next();
        assertEquals(List.of(List.of("echo", "one"), List.of("echo", "two")), builder.commands, "the setup, in order");
        assertEquals("template-py", builder.config().name());
        assertEquals(MachineState.DELETED, builder.status(), "the build machine is gone");
        assertEquals(List.of(), engine.list(MachineQuery.all()).machines());
        assertEquals(List.of("template-py"), engine.snapshots().stream().map(SnapshotInfo::name).toList());
        assertEquals(List.of("py"), engine.templates().stream().map(TemplateInfo::name).toList());
        assertEquals(192, engine.templates().getFirst().spec().memoryMb(), "the spec is kept");
        String taken = assertThrows(InvalidConfigException.class, () -> engine.buildTemplate("py", spec())).getMessage();
        assertTrue(taken.contains("a template named py already exists"), taken);
    }

    @Test
    void aFailingSetupCommandFailsTheBuildAndLeavesNothing() {
        Engine engine = fakes.inMemory();
        TemplateBuildException e = assertThrows(TemplateBuildException.class,
                () -> engine.buildTemplate("broken", spec("echo ok", "fail now", "echo never")));
        assertEquals("template broken: setup command [fail, now] failed with exit code 3; stderr: failing on purpose",
                e.getMessage());
        FakeBackend builder = fakes.backends.values().iterator().next();
        assertEquals(List.of(List.of("echo", "ok"), List.of("fail", "now")), builder.commands, "it stops at the failure");
        assertEquals(MachineState.DELETED, builder.status());
        assertEquals(List.of(), engine.templates());
        assertEquals(List.of(), engine.snapshots());
        assertEquals(List.of(), engine.list(MachineQuery.all()).machines());
        assertFalse(Files.exists(home.resolve("templates").resolve("broken")));
        assertThrows(TemplateNotFoundException.class,
                () -> engine.create(MachineConfig.builder().name("w").template("broken").build()));
    }

    @Test
    void aMachineOfATemplateIsRestoredWithTheTemplateEnvUnderItsOwn() {
        Engine engine = fakes.inMemory();
        engine.buildTemplate("base", spec("echo setup"));
        Machine machine = engine.create(MachineConfig.builder().name("worker").env("MODE", "mine").metadata("team", "a")
                .template("base").build());
        FakeBackend backend = fakes.backends.get(machine.id());
        assertEquals(MachineState.RUNNING, machine.status());
        assertEquals(Optional.of("worker"), backend.renewedHostname, "restored, and renamed by the renewal");
        assertEquals(List.of(), backend.commands, "a restore runs no setup: the snapshot has it");
        assertEquals(192, machine.config().memoryMb(), "the template's hardware");
        assertEquals("C.UTF-8", machine.config().env().get("LANG"));
        assertEquals("mine", machine.config().env().get("MODE"), "the create's env wins");
        assertEquals(Optional.empty(), machine.info().warmPoolCheckout(), "no pool named");
        String backs = assertThrows(MachineStateException.class, () -> engine.deleteTemplate("base")).getMessage();
        assertEquals("snapshot template-base backs machine worker; delete it first", backs);
        machine.delete();
        engine.deleteTemplate("base");
        assertEquals(List.of(), engine.templates());
        assertEquals(List.of(), engine.snapshots(), "its snapshot goes with it");
        assertThrows(TemplateNotFoundException.class, () -> engine.deleteTemplate("base"));
    }

    @Test
    void aTemplateWithoutItsSnapshotBootsColdAndRunsTheSetup() {
        Engine engine = fakes.inMemory();
        engine.buildTemplate("cold", spec("echo setup"));
        engine.deleteSnapshot("template-cold");
        assertFalse(engine.templates().getFirst().snapshot());
        Machine machine = engine.create(MachineConfig.builder().name("c1").template("cold").build());
        FakeBackend backend = fakes.backends.get(machine.id());
        assertEquals(MachineState.RUNNING, machine.status());
        assertEquals(Optional.empty(), backend.renewedHostname, "booted, not restored");
        assertEquals(List.of(List.of("echo", "setup")), backend.commands, "the setup ran at create");
        assertEquals(192, machine.config().memoryMb(), "the spec's resources");
        assertEquals("template", machine.config().env().get("MODE"));
        assertEquals(Optional.of("template cold has no snapshot"), machine.info().templateColdBoot());
        String deferred = assertThrows(InvalidConfigException.class,
                () -> engine.create(MachineConfig.builder().name("c2").template("cold").start(false).build())).getMessage();
        assertTrue(deferred.contains("has no snapshot, so its machines boot cold"), deferred);
    }

    @Test
    void aSnapshotTakenOnAnotherCpuVendorOrFormatBootsColdAndSaysWhy() throws Exception {
        Engine engine = fakes.inMemory();
        engine.buildTemplate("moved", spec("echo setup"));
        Path vm = home.resolve("snapshots").resolve("template-moved").resolve(SnapshotStore.VM);
        String here = CpuVendor.ofHost();
        String other = here.equals("GenuineIntel") ? "AuthenticAMD" : "GenuineIntel";

        writeVmState(vm, here);
        Machine restored = engine.create(MachineConfig.builder().name("same").template("moved").build());
        assertEquals(Optional.of("same"), fakes.backends.get(restored.id()).renewedHostname, "this host's vendor: restored");
        assertEquals(Optional.empty(), restored.info().templateColdBoot());

        writeVmState(vm, other);
        Machine foreign = engine.create(MachineConfig.builder().name("foreign").template("moved").build());
        FakeBackend backend = fakes.backends.get(foreign.id());
        assertEquals(MachineState.RUNNING, foreign.status());
        assertEquals(Optional.empty(), backend.renewedHostname, "booted, not restored");
        assertEquals(List.of(List.of("echo", "setup")), backend.commands, "the setup ran at create");
        String why = foreign.info().templateColdBoot().orElseThrow();
        assertTrue(why.startsWith("template moved's snapshot cannot restore on this host: the snapshot ") && why.endsWith(
                " was taken on " + other + ", this host is " + here + ": a snapshot restores only on the same CPU vendor"), why);

        byte[] version9 = ByteBuffer.allocate(16).put("FLINTSNP".getBytes(StandardCharsets.US_ASCII)).putInt(9).array();
        Files.write(vm.resolve(SnapshotFile.STATE_FILE), version9);
        Machine newer = engine.create(MachineConfig.builder().name("newer").template("moved").build());
        assertEquals(Optional.empty(), fakes.backends.get(newer.id()).renewedHostname, "booted, not restored");
        String version = newer.info().templateColdBoot().orElseThrow();
        assertTrue(version.contains("is a snapshot of format version 9; this Flint reads version " + SnapshotFile.FORMAT_VERSION), version);
        String deferred = assertThrows(InvalidConfigException.class, () -> engine.create(MachineConfig.builder()
                .name("later").template("moved").start(false).build())).getMessage();
        assertTrue(deferred.startsWith(version + ", so its machines boot cold"), deferred);
    }

    /** A {@code vm.state} whose header says {@code vendor}, as a snapshot taken on such a host has. */
    private static void writeVmState(Path vm, String vendor) throws Exception {
        SnapshotFile.write(vm, new SnapshotHeader(vendor, List.of(), List.of(new MemoryRange(0, 4096))), new byte[0]);
    }

    @Test
    void aColdBootWhoseSetupFailsLeavesNoMachine() {
        Engine engine = fakes.inMemory();
        Template.checkName("flaky");
        engine.buildTemplate("flaky", spec());
        engine.deleteSnapshot("template-flaky");
        // A spec whose setup fails now: rewrite the record as a host whose setup broke would have it.
        new TemplateStore(home).delete("flaky");
        new TemplateStore(home).write("flaky", spec("fail"));
        assertThrows(TemplateBuildException.class, () -> engine.create(MachineConfig.builder().name("f1").template("flaky")
                .build()));
        assertThrows(MachineNotFoundException.class, () -> engine.connect("f1"));
    }

    @Test
    void aLargerDiskThanTheTemplatesIsRefused() {
        Engine engine = fakes.inMemory();
        engine.buildTemplate("small", spec());
        String message = assertThrows(InvalidConfigException.class,
                () -> engine.create(MachineConfig.builder().name("big").diskMb(64).template("small").build())).getMessage();
        assertEquals("diskMb 64 is larger than the 0 MiB disk of template small, which is fixed when the template is built;"
                + " ask for at most that (or leave diskMb out), or build a template with a larger disk", message);
        assertThrows(MachineNotFoundException.class, () -> engine.connect("big"));
    }

    @Test
    void templateNamesAndConfigsAreChecked() {
        assertThrows(InvalidConfigException.class, () -> Template.checkName("Bad Name"));
        assertThrows(InvalidConfigException.class, () -> Template.checkName("x".repeat(55)), "template-NAME must fit 63");
        assertThrows(InvalidConfigException.class, () -> MachineConfig.builder().warmPool("p", WarmPoolMode.PREFER,
                java.time.Duration.ZERO).build(), "a pool needs its template");
        assertThrows(InvalidConfigException.class, () -> MachineConfig.builder().template("t").fromSnapshot("s").build());
        assertThrows(InvalidConfigException.class, () -> TemplateSpec.builder().setup(List.of()));
        assertThrows(InvalidConfigException.class, () -> TemplateSpec.builder().memoryMb(1).build());
    }
}
