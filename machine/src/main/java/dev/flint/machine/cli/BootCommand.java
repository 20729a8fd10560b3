package dev.flint.machine.cli;

import dev.flint.kernel.GuestImages;
import dev.flint.vmm.HostUnsupportedException;
import dev.flint.vmm.VirtualMachine;
import dev.flint.vmm.VmConfig;
import dev.flint.vmm.VmExit;
import dev.flint.vmm.VmmException;
import dev.flint.vmm.boot.BootFiles;
import dev.flint.vmm.boot.InvalidKernelException;
import dev.flint.vmm.memory.X86MemoryMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code flint boot}: boots the guest, streams its console, exits 0 when it powers off. */
@Command(name = "boot", description = {"boot a microVM with Flint's guest kernel and stream its console", "",
        "Boots a microVM with Flint's guest kernel and initramfs (or the ones given), streams the guest's serial"
                + " console to stdout, and exits 0 when the guest powers itself off."},
        footer = "Exit status: 0 the guest powered off; 1 it crashed or was stopped; 2 bad arguments (a kernel or"
                + " initramfs that cannot boot included); 3 this host cannot run guests (the message says why); 124"
                + " timeout. A reset through the i8042 is a power-off only when the init wrote byte 15 to 0xc0000008"
                + " right before it (Flint's init and agent do: devmem 0xc0000008 8 15); any other, a kernel panic's"
                + " (panic=-1), is a crash.")
final class BootCommand implements FlintCommand {
    static final int EXIT_CRASH = 1;
    static final int EXIT_HOST = 3;
    static final int EXIT_TIMEOUT = 124;

    /** The parsed and validated options of one {@code flint boot}. */
    record Options(Optional<Path> kernel, Optional<Path> initrd, Optional<String> cmdline, String append,
                   int memoryMb, int cpus, Duration timeout, boolean shell, boolean dryRun,
                   boolean timings) {
        String kernelCommandLine() {
            String init = "flint.init=" + (shell ? "shell" : "poweroff");
            return cmdline.orElse(VirtualMachine.BASE_CMDLINE + " " + init + (append.isEmpty() ? "" : " " + append));
        }
    }

    @Option(names = "--kernel", paramLabel = "FILE",
            description = "kernel to boot: an ELF vmlinux or a bzImage (default: Flint's guest kernel)")
    private Path kernel;
    @Option(names = "--initrd", paramLabel = "FILE", description = "initramfs to load (default: Flint's guest initramfs)")
    private Path initrd;
    @Option(names = "--cmdline", paramLabel = "STRING", description = "replace the whole kernel command line")
    private String cmdline;
    @Option(names = "--append", paramLabel = "STRING", description = "add to the default kernel command line")
    private String append = "";
    @Option(names = "--memory-mb", paramLabel = "N", description = "guest memory in MiB (default 256, at least 64)")
    private int memoryMb = 256;
    @Option(names = "--cpus", paramLabel = "N", description = "vCPUs (default 1)")
    private int cpus = 1;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "stop the VM after this long and exit 124 (default 300)")
    private int timeoutSeconds = 300;
    @Option(names = "--shell", description = "ask Flint's init for a shell on the console (stdin is the terminal)")
    private boolean shell;
    @Option(names = "--timings", description = "print where the host's setup time went, step by step")
    private boolean timings;
    @Option(names = "--dry-run", description = "check the options (a given kernel and initramfs read whole), print the"
            + " kernel command line, boot nothing")
    private boolean dryRun;

    private final CliContext context;

    BootCommand(CliContext context) {
        this.context = context;
    }

    static Options parse(List<String> args) throws UsageException {
        return Flint.parse(Flint.withCommand("boot", args), BootCommand.class).options();
    }

    @Override
    public int run() throws UsageException, InterruptedException {
        return run(options(), context.out(), context.err());
    }

    /** The options, checked: numbers in range, a given kernel and initramfs that can boot. */
    Options options() throws UsageException {
        OptionChecks.between("--memory-mb", memoryMb, (int) (X86MemoryMap.MIN_MEMORY >> 20), 1 << 20);
        OptionChecks.between("--cpus", cpus, 1, VmConfig.MAX_VCPUS);
        OptionChecks.between("--timeout", timeoutSeconds, 1, 86_400);
        Optional<Path> kernelFile = kernel == null ? Optional.empty() : Optional.of(OptionChecks.existingFile("--kernel", kernel));
        Optional<Path> initrdFile = initrd == null ? Optional.empty() : Optional.of(OptionChecks.existingFile("--initrd", initrd));
        if (kernelFile.isPresent()) {
            checkBootFiles(kernelFile.get(), initrdFile, memoryMb);
        }
        return new Options(kernelFile, initrdFile, Optional.ofNullable(cmdline), append, memoryMb, cpus,
                Duration.ofSeconds(timeoutSeconds), shell, dryRun, timings);
    }

    /** A kernel or initramfs that cannot boot (truncated, corrupt, too large) is a bad argument, found before any VM exists. */
    private static void checkBootFiles(Path kernel, Optional<Path> initrd, int memoryMb) throws UsageException {
        try {
            BootFiles.check(kernel, initrd, (long) memoryMb << 20);
        } catch (InvalidKernelException | IOException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static int run(Options options, PrintStream out, PrintStream err) throws UsageException, InterruptedException {
        if (options.dryRun()) {
            out.println(options.kernelCommandLine());
            return 0;
        }
        Path kernel = options.kernel().orElse(null);
        Path initrd = options.initrd().orElse(null);
        if (kernel == null || initrd == null) {
            try {
                GuestImages.Images images = GuestImages.locate();
                kernel = kernel != null ? kernel : images.vmlinux();
                initrd = initrd != null ? initrd : images.initramfs();
            } catch (IllegalStateException e) {
                throw new UsageException(e.getMessage());
            }
        }
        checkBootFiles(kernel, Optional.of(initrd), options.memoryMb());
        // Buffered (the UART flushes at each newline) so a byte of console output is not a
        // write(2) on the vCPU thread; unbuffered for --shell, whose prompt ends without one.
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        OutputStream console = options.shell() ? stdout : new BufferedOutputStream(stdout, 8192);
        VmConfig config;
        try {
            config = new VmConfig("boot", kernel, Optional.of(initrd), options.kernelCommandLine(),
                    options.memoryMb(), options.cpus(), console);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try (VirtualMachine vm = VirtualMachine.start(config)) {
            if (options.shell()) {
                ConsoleInput.forward(System.in, vm);
            }
            VmExit exit = vm.awaitExit(options.timeout());
            flushQuietly(console);
            err.printf("flint: guest %s; VMM setup %.1f ms%s%n", describe(exit), vm.setupNanos() / 1e6,
                    vm.bootMarkerNanos().isPresent()
                            ? String.format(", boot marker (init started) at %.1f ms", vm.bootMarkerNanos().getAsLong() / 1e6)
                            : ", no boot marker seen");
            vm.agentListeningNanos().ifPresent(agent -> err.printf("flint: agent listening at %.1f ms%n", agent / 1e6));
            if (options.timings()) {
                err.println("flint: VMM setup steps: " + vm.timeline());
            }
            return switch (exit.reason()) {
                case POWER_OFF, HALT -> 0;
                case TIMEOUT -> EXIT_TIMEOUT;
                case STOPPED, CRASH -> EXIT_CRASH;
            };
        } catch (HostUnsupportedException e) {
            err.println("flint: " + e.getMessage());
            return EXIT_HOST;
        } catch (VmmException e) {
            err.println("flint: " + e.getMessage());
            return EXIT_CRASH;
        }
    }

    private static void flushQuietly(OutputStream console) {
        try {
            console.flush();
        } catch (IOException e) {
            // stdout is gone; the exit status still tells how the guest ended.
        }
    }

    private static String describe(VmExit exit) {
        return switch (exit.reason()) {
            case POWER_OFF -> "powered off";
            case HALT -> "halted";
            case STOPPED -> "was stopped";
            case TIMEOUT -> "timed out (" + exit.detail() + ")";
            case CRASH -> "crashed: " + exit.detail();
        };
    }
}
