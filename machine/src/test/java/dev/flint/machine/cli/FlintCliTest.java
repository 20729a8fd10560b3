package dev.flint.machine.cli;

import dev.flint.machine.TestKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad arguments get one clear line and exit status 2, before any VM exists. */
class FlintCliTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return Flint.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String errors() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpDocumentsEveryBootOption() throws Exception {
        assertEquals(0, run("boot", "--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        for (String option : List.of("--kernel", "--initrd", "--cmdline", "--append", "--memory-mb", "--cpus",
                "--timeout", "--shell", "--dry-run", "--timings", "Exit status")) {
            assertTrue(help.contains(option), "help mentions " + option);
        }
        assertEquals(0, run("help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("boot"));
    }

    @Test
    void dryRunPrintsTheCommandLineAndBootsNothing() throws Exception {
        assertEquals(0, run("boot", "--dry-run", "--append", "quiet"));
        assertTrue(out.toString(StandardCharsets.UTF_8).trim().endsWith("flint.init=poweroff quiet"));
    }

    @Test
    void noCommandIsAUsageError() throws Exception {
        assertEquals(2, run());
    }

    @Test
    void missingKernelFileIsRejected() throws Exception {
        assertEquals(2, run("boot", "--kernel", dir.resolve("nope").toString()));
        assertTrue(errors().contains("--kernel") && errors().contains("no such file"), errors());
    }

    @Test
    void aFileThatIsNotAKernelIsRejected() throws Exception {
        Path text = Files.writeString(dir.resolve("readme.txt"), "not a kernel at all, just text");
        assertEquals(2, run("boot", "--kernel", text.toString()));
        assertTrue(errors().contains("neither an ELF vmlinux nor a bzImage"), errors());
    }

    @Test
    void aTruncatedKernelIsRejectedBeforeAnyVmExists() throws Exception {
        Path cut = TestKernels.elf(dir, "vmlinux-cut", false);
        assertEquals(2, run("boot", "--kernel", cut.toString()));
        assertTrue(errors().contains("is truncated or corrupt") && errors().contains("copy the whole kernel"), errors());
        assertEquals(2, run("boot", "--dry-run", "--kernel", cut.toString()));
        assertEquals(2, run("run", "--kernel", cut.toString(), "--", "true"));
        assertTrue(errors().endsWith("flint: kernel " + cut.toAbsolutePath() + " is truncated or corrupt: segment 0 wants"
                + " 4096 bytes at offset 120 of the file, which has 220 bytes; copy the whole kernel file again\n"
                + "Run 'flint run --help' for usage.\n"), errors());

        Path whole = TestKernels.elf(dir, "vmlinux", true);
        assertEquals(0, run("boot", "--dry-run", "--kernel", whole.toString()), errors());
        Path empty = Files.createFile(dir.resolve("empty.cpio"));
        assertEquals(2, run("boot", "--dry-run", "--kernel", whole.toString(), "--initrd", empty.toString()));
        assertTrue(errors().contains("initramfs " + empty + " is empty"), errors());
    }

    @Test
    void tooLittleMemoryIsRejected() throws Exception {
        assertEquals(2, run("boot", "--memory-mb", "16"));
        assertTrue(errors().contains("--memory-mb must be between 64"), errors());
    }

    @Test
    void nonNumbersAndUnknownOptionsAreRejected() throws Exception {
        assertEquals(2, run("boot", "--cpus", "two"));
        assertTrue(errors().contains("--cpus needs a whole number"), errors());
        assertEquals(2, run("boot", "--frobnicate"));
        assertTrue(errors().contains("unknown option for boot: --frobnicate"), errors());
        assertEquals(2, run("boot", "--timeout"));
        assertTrue(errors().contains("--timeout needs a value"), errors());
        assertEquals(2, run("dance"));
        assertTrue(errors().contains("unknown command: dance"), errors());
    }

    @Test
    void defaultCommandLineAsksInitToPowerOffAndAppends() throws Exception {
        BootCommand.Options options = BootCommand.parse(List.of("--append", "loglevel=8"));
        assertTrue(options.kernelCommandLine().contains("reboot=k"));
        assertTrue(options.kernelCommandLine().endsWith("flint.init=poweroff loglevel=8"));
        assertTrue(BootCommand.parse(List.of("--shell")).kernelCommandLine().contains("flint.init=shell"));
        assertEquals("console=ttyS0", BootCommand.parse(List.of("--cmdline", "console=ttyS0")).kernelCommandLine());
        assertThrows(UsageException.class, () -> BootCommand.parse(List.of("--memory-mb", "99999999")));
    }

    @Test
    void overheadHasHelpAndRejectsBadCounts() throws Exception {
        assertEquals(0, run("overhead", "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--machines=N"));
        assertEquals(2, run("overhead", "--machines", "0"));
        assertTrue(errors().contains("--machines"), errors());
        assertEquals(2, run("overhead", "--bogus"));
        assertTrue(errors().contains("unknown option for overhead: --bogus"), errors());
    }
}
