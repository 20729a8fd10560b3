package dev.flint.machine.cli;

import dev.flint.machine.Engine;
import dev.flint.machine.FakeEngines;
import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.MachinePage;
import dev.flint.machine.MachineQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The soak over fake machines: what it counts, and that a hang, a failed call and a leak each fail it. */
class SoakCommandTest {
    private static final Tolerance TOLERANCE = new Tolerance(4, 4, 256L << 20);

    @TempDir
    Path dir;

    private final List<FileChannel> leaked = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void cleanUp() throws IOException {
        release.countDown();
        for (FileChannel channel : leaked) {
            channel.close();
        }
    }

    /** The fake engine, with {@code onCreate} run before the n-th create (1-based). */
    private interface BeforeCreate {
        void run(int n) throws Exception;
    }

    private static Engine engine(BeforeCreate beforeCreate) {
        Engine fake = new FakeEngines().inMemory();
        AtomicInteger creates = new AtomicInteger();
        return new Engine() {
            @Override
            public Machine create(MachineConfig config) {
                try {
                    beforeCreate.run(creates.incrementAndGet());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return fake.create(config);
            }

            @Override
            public Machine connect(String idOrName) {
                return fake.connect(idOrName);
            }

            @Override
            public MachinePage list(MachineQuery query) {
                return fake.list(query);
            }

            @Override
            public java.util.List<dev.flint.machine.SnapshotInfo> snapshots() {
                return fake.snapshots();
            }

            @Override
            public void deleteSnapshot(String name) {
                fake.deleteSnapshot(name);
            }

            @Override
            public dev.flint.machine.TemplateInfo buildTemplate(String name, dev.flint.machine.TemplateSpec spec) {
                return fake.buildTemplate(name, spec);
            }

            @Override
            public java.util.List<dev.flint.machine.TemplateInfo> templates() {
                return fake.templates();
            }

            @Override
            public void deleteTemplate(String name) {
                fake.deleteTemplate(name);
            }

            @Override
            public dev.flint.machine.WarmPoolInfo createPool(String name, String template, int size) {
                return fake.createPool(name, template, size);
            }

            @Override
            public java.util.List<dev.flint.machine.WarmPoolInfo> pools() {
                return fake.pools();
            }

            @Override
            public void deletePool(String name) {
                fake.deletePool(name);
            }

            @Override
            public void close() {
                fake.close();
            }
        };
    }

    private static SoakRun.Settings settings(int cycles, int machines, Duration mix, Duration deadline, Duration settle) {
        return new SoakRun.Settings(cycles, machines, mix, 64, deadline, 7, TOLERANCE, settle);
    }

    private static String report(SoakRun.Result result) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SoakCommand.report(result, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static SoakRun.Result soak(Engine engine, SoakRun.Settings settings) {
        return new SoakRun(engine, settings, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    @Test
    void aSoakOverHealthyMachinesPassesAndCountsEveryCall() {
        SoakRun.Result result = soak(engine(n -> { }), settings(5, 3, Duration.ofMillis(300), Duration.ofSeconds(10),
                Duration.ofSeconds(10)));
        String report = report(result);
        assertTrue(result.passed(), report);
        long creates = result.calls().get("create");
        assertTrue(creates >= 3 + 5 + 3, "warm-up, cycles and one per mix worker at least: " + report);
        assertEquals(creates, result.calls().get("delete"), "every machine made was deleted: " + report);
        assertEquals(result.calls().get("exec") - 3 * 2, result.execs().count(), "execs timed after the warm-up");
        assertTrue(result.calls().get("exec") > 3 * 2 + 5, "the mix ran execs: " + report);
        assertEquals(result.calls().get("stop") + result.calls().get("start"), result.calls().get("status"),
                "each stop and start is checked by a status: " + report);
        assertTrue(report.startsWith("soak: passed") && report.contains("create p50 ") && report.contains("fds "), report);
    }

    @Test
    void aCallThatHangsFailsTheSoakWithinItsDeadline() {
        long began = System.nanoTime();
        SoakRun.Result result = soak(engine(n -> {
            if (n == 6) {
                release.await();
            }
        }), settings(10, 2, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(10)));
        assertFalse(result.passed());
        assertTrue(result.failures().get(0).contains("create soak-") && result.failures().get(0)
                .contains("did not end within 1 s (its deadline): a hang"), report(result));
        assertTrue(System.nanoTime() - began < Duration.ofSeconds(8).toNanos(), "the soak did not wait for the hung call");
        assertTrue(result.calls().get("create") < 10, "the first failure ended the run: " + report(result));
    }

    @Test
    void aFailedCallFailsTheSoakWithItsMessage() {
        SoakRun.Result result = soak(engine(n -> {
            if (n == 3) {
                throw new FlintException("the third machine would not boot");
            }
        }), settings(10, 1, Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(10)));
        String report = report(result);
        assertFalse(result.passed(), report);
        assertTrue(report.contains("soak: FAILED") && report.contains("failure: a call failed: ")
                && report.contains("the third machine would not boot"), report);
    }

    @Test
    void fdsLeakedPerMachineFailTheSoak() {
        SoakRun.Result result = soak(engine(n -> {
            Path file = Files.writeString(dir.resolve("leak-" + n), "x");
            leaked.add(FileChannel.open(file));
        }), settings(12, 1, Duration.ZERO, Duration.ofSeconds(10), Duration.ofMillis(500)));
        String report = report(result);
        assertFalse(result.passed(), report);
        assertTrue(report.contains("open fds grew from " + result.start().fds() + " to ") && report.contains("a leak"),
                report);
        assertTrue(result.end().fds() - result.start().fds() >= 12, report);
    }

    @Test
    void optionsAreParsedAndCheckedAndHelpSaysWhatItDoes() throws Exception {
        SoakRun.Settings settings = SoakCommand.parse(List.of("--minutes", "0.5", "--machines", "4", "--cycles", "9",
                "--seed", "11", "--deadline-s", "30", "--rss-tolerance-mb", "32"));
        assertEquals(Duration.ofSeconds(30), settings.mix());
        assertEquals(4, settings.machines());
        assertEquals(9, settings.cycles());
        assertEquals(11, settings.seed());
        assertEquals(32L << 20, settings.tolerance().residentBytes());
        assertTrue(assertThrows(UsageException.class, () -> SoakCommand.parse(List.of("--minutes", "soon"))).getMessage()
                .contains("--minutes needs a number"));
        assertThrows(UsageException.class, () -> SoakCommand.parse(List.of("--machines", "0")));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, Flint.run(List.of("soak", "--help"), new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("Usage: flint soak"));
    }
}
