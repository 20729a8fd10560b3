package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every config and exec-option rule, and the result helpers, without a VM. */
class MachineConfigTest {
    private static String rejected(Runnable build) {
        return assertThrows(InvalidConfigException.class, build::run).getMessage();
    }

    @Test
    void defaultsAreSmallAndValid() {
        MachineConfig config = MachineConfig.builder().build();
        assertEquals(1, config.cpus());
        assertEquals(256, config.memoryMb());
        assertEquals(Duration.ofSeconds(60), config.bootTimeout());
        assertTrue(config.kernel().isEmpty());
    }

    @Test
    void aKernelIsReadWholeWhenTheConfigIsBuilt(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path truncated = TestKernels.elf(dir, "cut", false);
        String message = rejected(() -> MachineConfig.builder().kernel(truncated).build());
        assertTrue(message.contains("truncated") && message.contains(truncated.toString()), message);
        Path whole = TestKernels.elf(dir, "whole", true);
        assertEquals(whole, MachineConfig.builder().kernel(whole).build().kernel().orElseThrow());
        Path empty = java.nio.file.Files.createFile(dir.resolve("empty.cpio"));
        assertTrue(rejected(() -> MachineConfig.builder().kernel(whole).initrd(empty).build()).contains("initramfs"));
    }

    @Test
    void workdirMetadataAndTimeToLiveAreKept() {
        MachineConfig config = MachineConfig.builder().workdir("/srv").metadata("team", "infra").metadata("app.io/tier", "web")
                .timeout(Duration.ofMinutes(5)).build();
        assertEquals("/srv", config.workdir().orElseThrow());
        assertEquals("web", config.metadata().get("app.io/tier"));
        assertEquals(Duration.ofMinutes(5), config.timeout().orElseThrow());
    }

    @Test
    void eachFieldIsValidatedWithAClearMessage() {
        assertTrue(rejected(() -> MachineConfig.builder().name("Bad Name").build()).contains("machine name"));
        assertTrue(rejected(() -> MachineConfig.builder().name("").build()).contains("machine name"));
        assertTrue(rejected(() -> MachineConfig.builder().cpus(0).build()).contains("cpus must be between 1"));
        assertTrue(rejected(() -> MachineConfig.builder().memoryMb(32).build()).contains("memoryMb must be at least 64"));
        assertEquals("memoryMb must be at most 1048576 (MAX_MEMORY_MB, 1 TiB), got 2147483647",
                rejected(() -> MachineConfig.builder().memoryMb(Integer.MAX_VALUE).build()));
        assertTrue(rejected(() -> MachineConfig.builder().bootTimeout(Duration.ZERO).build()).contains("bootTimeout"));
        assertTrue(rejected(() -> MachineConfig.builder().env("A=B", "x").build()).contains("environment variable name"));
        assertTrue(rejected(() -> MachineConfig.builder().kernel(Path.of("/no/such/kernel")).build()).contains("does not exist"));
        assertTrue(rejected(() -> MachineConfig.builder().bootArgs("a\nb").build()).contains("printable"));
        int host = Runtime.getRuntime().availableProcessors();
        assertTrue(rejected(() -> MachineConfig.builder().cpus(host + 1).build()).contains("more than the " + host + " CPUs"));
        assertTrue(rejected(() -> MachineConfig.builder().workdir("relative").build()).contains("workdir"));
        assertTrue(rejected(() -> MachineConfig.builder().metadata("bad key", "v").build()).contains("metadata key"));
        assertTrue(rejected(() -> MachineConfig.builder().metadata("k", "v".repeat(1025)).build()).contains("at most 1024"));
        MachineConfig.Builder many = MachineConfig.builder();
        for (int i = 0; i <= MachineConfig.MAX_METADATA; i++) {
            many.metadata("k" + i, "v");
        }
        assertTrue(rejected(many::build).contains("metadata entries"));
        assertTrue(rejected(() -> MachineConfig.builder().timeout(Duration.ZERO).build()).contains("time to live"));
    }

    @Test
    void execOptionsAreValidated() {
        assertTrue(rejected(() -> ExecOptions.builder().workdir("tmp")).contains("absolute"));
        assertTrue(rejected(() -> ExecOptions.builder().timeout(Duration.ofSeconds(-1))).contains("positive"));
        assertTrue(rejected(() -> ExecOptions.builder().env("", "x")).contains("non-empty"));
        ExecOptions options = ExecOptions.builder().env("A", "1").workdir("/srv").stdin(new byte[] {1})
                .timeout(Duration.ofSeconds(2)).build();
        assertEquals("/srv", options.workdir().orElseThrow());
        assertEquals(Duration.ofSeconds(2), options.timeout().orElseThrow());
    }

    @Test
    void assertSuccessNamesTheCommandStatusAndStderr() {
        ExecResult ok = new ExecResult(List.of("true"), 0, 0, new byte[0], new byte[0]);
        assertTrue(ok.success());
        assertEquals(ok, ok.assertSuccess());
        ExecResult failed = new ExecResult(List.of("make", "test"), 2, 0, "out".getBytes(),
                "error: no rule\n".getBytes(StandardCharsets.UTF_8));
        var e = assertThrows(CommandFailedException.class, failed::assertSuccess);
        assertEquals("make test failed with exit code 2; stderr:\nerror: no rule", e.getMessage());
        ExecResult killed = new ExecResult(List.of("sleep", "9"), -1, 9, new byte[0], new byte[0]);
        assertEquals("killed by signal 9", killed.status());
    }

    @Test
    void consoleLogKeepsTheTail() throws Exception {
        ConsoleLog log = new ConsoleLog(16, null);
        log.write("line one\nline two\nline three\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(16, log.text().length());
        assertEquals("line three", log.tail(1));
    }
}
