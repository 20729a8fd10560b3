package dev.flint.machine.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.ExecOptions;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.MachineInfo;
import dev.flint.machine.MachineState;
import dev.flint.machine.MountSpec;
import dev.flint.machine.NetworkPolicy;
import dev.flint.machine.PortSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire format: configs, infos and exec requests survive a round trip; bad JSON says which field. */
class MachineJsonTest {
    @TempDir
    Path dir;

    private MachineConfig fullConfig() {
        return MachineConfig.builder().name("full").cpus(1).memoryMb(300).env("A", "1").bootTimeout(Duration.ofSeconds(7))
                .bootArgs("loglevel=8").diskMb(64).retainDisk(true).mount(MountSpec.of(dir, "/work"))
                .network(NetworkPolicy.allowOnly("10.0.0.0/8")).port(PortSpec.tcp(8080, 80)).workdir("/work")
                .metadata("team", "a").timeout(Duration.ofMinutes(5)).onTimeout(dev.flint.machine.TimeoutAction.PAUSE)
                .fromSnapshot("golden").start(false).build();
    }

    @Test
    void aConfigSurvivesTheRoundTripThroughTheValidatingBuilder() {
        MachineConfig config = fullConfig();
        JsonNode json = MachineJson.parse(MachineJson.write(MachineJson.config(config)), "config");
        assertEquals(config, MachineJson.config(json));
        assertEquals(config, MachineJson.reportedConfig(json));
        assertEquals("allow_listed", json.get("network").get("egress").asText());
        assertEquals("pause", json.get("onTimeout").asText());
        assertEquals("golden", json.get("snapshot").asText());
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineJson.config(MachineJson.parse(
                "{\"onTimeout\":\"sleep\"}", "config"))).getMessage().contains("onTimeout must be one of [stop, pause]"));
    }

    @Test
    void snapshotsAndThePausedStateSurviveTheRoundTrip() {
        dev.flint.machine.SnapshotInfo snapshot = new dev.flint.machine.SnapshotInfo("base", "web", Instant.ofEpochSecond(7),
                2, 512, 1024);
        assertEquals(List.of(snapshot), MachineJson.snapshots(MachineJson.parse(MachineJson.write(
                MachineJson.snapshots(List.of(snapshot))), "snapshots")));
        assertEquals("paused", MachineJson.state(MachineState.PAUSED));
        assertEquals(MachineState.PAUSED, MachineJson.state("paused"));
        assertEquals(404, ApiErrors.status(ApiErrors.code(dev.flint.machine.SnapshotNotFoundException.of("x"))));
        assertTrue(ApiErrors.exception(ApiErrors.SNAPSHOT_NOT_FOUND, "gone") instanceof dev.flint.machine.SnapshotNotFoundException);
    }

    @Test
    void aCrashedMachineSaysSoInItsJson() {
        MachineInfo crashed = new MachineInfo("c", MachineState.STOPPED, 1, 128, 0, List.of(), Optional.empty(), List.of(),
                Map.of(), Instant.EPOCH, Optional.empty(), Optional.empty(),
                Optional.of(MachineInfo.CRASHED + "Kernel panic - not syncing: sysrq triggered crash"), "m-aaaaaaaaaaaaaaaa");
        JsonNode json = MachineJson.parse(MachineJson.write(MachineJson.info(crashed, null)), "machine");
        assertTrue(json.get("crashed").asBoolean());
        assertEquals("crashed: Kernel panic - not syncing: sysrq triggered crash", json.get("lastStopReason").asText());
        assertTrue(MachineJson.info(json).crashed());
        MachineInfo stopped = new MachineInfo("s", MachineState.STOPPED, 1, 128, 0, List.of(), Optional.empty(), List.of(),
                Map.of(), Instant.EPOCH, Optional.empty(), Optional.empty(), Optional.of("stopped by the host"),
                "m-bbbbbbbbbbbbbbbb");
        assertEquals(false, MachineJson.parse(MachineJson.write(MachineJson.info(stopped, null)), "machine")
                .get("crashed").asBoolean(true));
        assertEquals(503, ApiErrors.status(ApiErrors.code(new dev.flint.machine.GuestCrashedException("crashed"))));
        assertTrue(ApiErrors.exception(ApiErrors.GUEST_CRASHED, "m crashed") instanceof dev.flint.machine.GuestCrashedException);
    }

    @Test
    void missingFieldsTakeTheBuildersDefaults() {
        MachineConfig config = MachineJson.config(MachineJson.parse("{\"name\":\"d\"}", "config"));
        assertEquals(MachineConfig.builder().name("d").build(), config);
    }

    @Test
    void badFieldsAreNamed() {
        String unknown = assertThrows(InvalidConfigException.class,
                () -> MachineJson.config(MachineJson.parse("{\"name\":\"x\",\"memory\":1}", "config"))).getMessage();
        assertTrue(unknown.contains("unknown field 'memory'") && unknown.contains("memoryMb"), unknown);
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineJson.config(MachineJson.parse(
                "{\"retainDisk\":\"yes\"}", "config"))).getMessage().contains("retainDisk must be true or false"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineJson.config(MachineJson.parse(
                "{\"env\":{\"A\":1}}", "config"))).getMessage().contains("env.A must be a string"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineJson.config(MachineJson.parse(
                "{\"network\":{\"egress\":\"some\"}}", "config"))).getMessage().contains("network.egress must be one of"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineJson.parse("[1]", "config")).getMessage()
                .contains("must be a JSON object"));
    }

    @Test
    void aReportedConfigSkipsTheChecksOfThisHost() throws Exception {
        Path socket = dir.resolve("vsock.sock");
        MachineConfig config = MachineConfig.builder().name("sock").vsockSocket(socket).build();
        JsonNode json = MachineJson.config(config);
        Files.createFile(socket);   // a running machine's socket exists
        assertThrows(InvalidConfigException.class, () -> MachineJson.config(json));
        assertEquals(socket, MachineJson.reportedConfig(json).vsockSocket().orElseThrow());
    }

    @Test
    void anInfoSurvivesTheRoundTrip() {
        MachineInfo info = new MachineInfo("i", MachineState.RUNNING, 1, 256, 0, List.of(MountSpec.of(dir, "/w")),
                Optional.of("10.0.2.15"), List.of(PortSpec.tcp(8080, 80)), Map.of("k", "v"), Instant.parse("2026-01-02T03:04:05Z"),
                Optional.of(Instant.parse("2026-01-02T03:04:06Z")), Optional.of(Duration.ofMillis(120)), Optional.empty(),
                "m-aaaaaaaaaaaaaaaa");
        assertEquals(info, MachineJson.info(MachineJson.parse(MachineJson.write(MachineJson.info(info, null)), "info")));
    }

    @Test
    void anExecRequestSurvivesTheRoundTrip() {
        ExecOptions options = ExecOptions.builder().env("A", "b").workdir("/srv").stdin(new byte[] {0, 1, 2})
                .timeout(Duration.ofSeconds(3)).build();
        MachineJson.ExecCall call = MachineJson.exec(MachineJson.exec(List.of("cat", "-"), options));
        assertEquals(List.of("cat", "-"), call.argv());
        assertEquals(options.env(), call.options().env());
        assertEquals(options.workdir(), call.options().workdir());
        assertArrayEquals(new byte[] {0, 1, 2}, call.options().stdin().orElseThrow());
        assertEquals(options.timeout(), call.options().timeout());
        assertTrue(assertThrows(InvalidConfigException.class, () -> MachineJson.exec(MachineJson.parse(
                "{\"argv\":[\"x\"],\"stdin\":\"***\"}", "exec"))).getMessage().contains("base64"));
    }
}
