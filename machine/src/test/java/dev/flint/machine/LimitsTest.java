package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exec protocol's limits and the host's memory, checked in the builders before anything reaches a VM. */
class LimitsTest {
    private static String rejected(Runnable build) {
        return assertThrows(InvalidConfigException.class, build::run).getMessage();
    }

    @Test
    void moreMemoryThanTheHostHasIsRefusedByBuild() {
        long host = HostMemory.totalMb();
        assertTrue(host > 0, "this host has a /proc/meminfo");
        int tooMuch = (int) Math.min(MachineConfig.MAX_MEMORY_MB, host + 1);
        assertTrue(rejected(() -> MachineConfig.builder().memoryMb(tooMuch).build())
                .contains("is more than the " + host + " MiB of physical memory this host has (/proc/meminfo MemTotal)"));
        assertEquals(15_928, HostMemory.totalMb(List.of("MemFree: 1 kB", "MemTotal:       16310272 kB")));
        assertEquals(0, HostMemory.totalMb(List.of("nothing here")), "unknown: not checked");
    }

    @Test
    void fiveThousandVariablesAreRefusedNamingTheLimit() {
        ExecOptions.Builder options = ExecOptions.builder();
        MachineConfig.Builder config = MachineConfig.builder();
        for (int i = 0; i < 5000; i++) {
            options.env("V" + i, "1");
            config.env("V" + i, "1");
        }
        assertEquals("5000 environment variables; the limit is 4096", rejected(options::build));
        assertEquals("5000 environment variables; the limit is 4096", rejected(config::build));
    }

    @Test
    void stringsAndTheWorkdirAreBoundedInEveryBuilder() {
        String big = "x".repeat(131_072);
        assertTrue(rejected(() -> ExecOptions.builder().env("K", big)).contains("the limit is 131071"));
        assertTrue(rejected(() -> RunOptions.builder().env("K", big)).contains("the limit is 131071"));
        assertTrue(rejected(() -> MachineConfig.builder().env("K", big).build()).contains("the limit is 131071"));
        String deep = "/" + "d".repeat(4095);
        assertEquals("workdir is 4096 bytes; the limit is 4095 (PATH_MAX)", rejected(() -> ExecOptions.builder().workdir(deep)));
        assertEquals("workdir is 4096 bytes; the limit is 4095 (PATH_MAX)",
                rejected(() -> MachineConfig.builder().workdir(deep).build()));
        assertTrue(rejected(() -> ExecOptions.builder().maxOutputBytes(0)).contains("maxOutputBytes must be positive"));
        assertEquals(64 << 20, ExecOptions.DEFAULT.maxOutputBytes());
    }

    @Test
    void argvIsBoundedBeforeTheMachineSeesIt() {
        Machine machine = new FakeEngines().inMemory().create(MachineConfig.builder().name("argv").build());
        assertEquals("argv[1] is 131072 bytes; the limit is 131071 (the kernel's MAX_ARG_STRLEN less its NUL)",
                rejected(() -> machine.exec(List.of("echo", "x".repeat(131_072)))));
        assertEquals("argv has 4097 entries; the limit is 4096",
                rejected(() -> machine.exec(Collections.nCopies(4097, "echo"))));
        assertTrue(rejected(() -> machine.run("alpine", List.of("y".repeat(131_072)))).contains("argv[0]"));
    }
}
