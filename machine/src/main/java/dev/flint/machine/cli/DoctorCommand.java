package dev.flint.machine.cli;

import dev.flint.machine.ExecOptions;
import dev.flint.machine.ExecResult;
import dev.flint.machine.ExecTimeoutException;
import dev.flint.machine.FlintException;
import dev.flint.machine.FlintHome;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.MachineFileException;
import dev.flint.machine.MachineFiles;
import dev.flint.machine.TerminalSession;
import dev.flint.machine.MachineMetrics;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code flint doctor}: proves on this host that machines work end to end (boot, exec, exit
 * codes, stderr, env, stdin, timeouts, large output, teardown without leaks) and measures boot
 * time and exec round trip.
 */
@Command(name = "doctor", description = {"check that machines work on this host and measure boot and exec times", "",
        "Boots a machine and checks that everything a sandbox needs works on this host: exec and its output, exit"
                + " codes, stderr, env and workdir, stdin, a timeout that kills the command and leaves the machine"
                + " usable, 1 MiB of output intact, a file on the machine's disk that survives stop and start, and a"
                + " delete that leaves no threads, file descriptors or disk behind. Prints one line per check, the time"
                + " from Machine.create to agent-ready, and the median round trip of exec([\"true\"])."},
        footer = "Exit status: 0 every check passed; 1 a check failed; 3 this host cannot run machines.")
final class DoctorCommand implements FlintCommand {
    /** Room for the files check's 64 MiB file beside the overlay; sparse, so only what is written costs. */
    private static final int DISK_MB = 160;
    private static final int FILE_MIB = 64;

    private final PrintStream out;
    private int passed;
    private int failed;

    @Option(names = "--memory-mb", paramLabel = "N", description = "guest memory in MiB (default 256)")
    private int memoryMb = 256;
    @Option(names = "--rounds", paramLabel = "N", description = "exec([\"true\"]) round trips to measure (default 20)")
    private int rounds = 20;
    private final CliContext context;

    DoctorCommand(CliContext context) {
        this.context = context;
        this.out = context.out();
    }

    @Override
    public int run() throws UsageException {
        OptionChecks.between("--memory-mb", memoryMb, MachineConfig.MIN_MEMORY_MB, 1 << 20);
        OptionChecks.between("--rounds", rounds, 1, 100_000);
        return check(MachineConfig.builder().name("doctor").memoryMb(memoryMb).diskMb(DISK_MB).build(), rounds,
                context.err());
    }

    private int check(MachineConfig config, int rounds, PrintStream err) {
        long fdsBefore = openFds();
        long start = System.nanoTime();
        try (Machine machine = Machine.create(config)) {
            out.printf("doctor: Machine.create to agent-ready %.1f ms%n", (System.nanoTime() - start) / 1e6);
            expect("uname -a names the guest kernel", machine.exec(List.of("uname", "-a")).stdout(), "Linux doctor 6.");
            expectEquals("whoami is root", machine.exec(List.of("whoami")).stdout(), "root\n");
            expectEquals("a failing command reports its exit code",
                    machine.exec(List.of("sh", "-c", "exit 3")).exitCode(), 3);
            ExecResult stderr = machine.exec(List.of("sh", "-c", "echo oops >&2"));
            expectEquals("stderr comes back apart from stdout", stderr.stderr() + "|" + stderr.stdout(), "oops\n|");
            expectEquals("env and workdir are applied", machine.exec(List.of("sh", "-c", "echo $GREETING; pwd"),
                    ExecOptions.builder().env("GREETING", "hello").workdir("/tmp").build()).stdout(), "hello\n/tmp\n");
            expectEquals("stdin reaches the command", machine.exec(List.of("cat"),
                    ExecOptions.builder().stdin("fed through stdin".getBytes()).build()).stdout(), "fed through stdin");
            expect("the guest draws entropy from the host (virtio-rng)",
                    machine.exec(List.of("cat", "/sys/class/misc/hw_random/rng_current")).stdout(), "virtio_rng");
            expect("a login shell loads /etc/profile (Machine.shell)", machine.shell("echo $PS1").stdout(), "\\h:\\w");
            checkTimeout(machine);
            checkLargeOutput(machine);
            checkDiskSurvivesRestart(machine);
            checkFiles(machine);
            checkTerminal(machine);
            measureRoundTrip(machine, rounds);
            checkMetrics(machine);
        } catch (FlintException e) {
            fail("machine works", e.getMessage());
        }
        checkNoLeaks(fdsBefore);
        expectEquals("delete removes the machine's disk", Files.exists(FlintHome.machineDirectory(config.name())), false);
        out.println(failed == 0 ? "doctor: all " + passed + " checks passed"
                : "doctor: " + failed + " of " + (passed + failed) + " checks failed");
        return failed == 0 ? 0 : 1;
    }

    private void checkTimeout(Machine machine) {
        long start = System.nanoTime();
        try {
            machine.exec(List.of("sleep", "100"), ExecOptions.builder().timeout(Duration.ofSeconds(1)).build());
            fail("a timeout kills sleep 100", "sleep returned normally");
        } catch (ExecTimeoutException e) {
            double seconds = (System.nanoTime() - start) / 1e9;
            if (seconds < 30) {
                pass(String.format("a timeout kills sleep 100 (after %.1f s)", seconds));
            } else {
                fail("a timeout kills sleep 100", "took " + seconds + " s");
            }
        }
        expectEquals("the machine is usable after a timeout", machine.exec(List.of("echo", "alive")).stdout(), "alive\n");
    }

    private void checkLargeOutput(Machine machine) {
        ExecResult big = machine.exec(List.of("sh", "-c",
                "head -c 1048576 /dev/urandom > /tmp/big; sha256sum /tmp/big >&2; cat /tmp/big"));
        String guestSum = big.stderr().split(" ")[0];
        String hostSum = sha256(big.stdoutBytes());
        expectEquals("1 MiB of output arrives intact (sha256 on both sides)",
                big.stdoutBytes().length + " " + hostSum, (1 << 20) + " " + guestSum);
    }

    private void checkDiskSurvivesRestart(Machine machine) {
        machine.exec(List.of("sh", "-c", "echo kept-across-restart > /root/doctor-note")).assertSuccess();
        long start = System.nanoTime();
        machine.stop();
        machine.start();
        out.printf("doctor: stop and start took %.1f ms%n", (System.nanoTime() - start) / 1e6);
        expectEquals("a file written in the guest survives stop and start (overlay on the machine's disk)",
                machine.exec(List.of("cat", "/root/doctor-note")).stdout(), "kept-across-restart\n");
    }

    /** Files both ways through the agent: a large one whole (sha256 on both sides), a tree with modes and a symlink, an error. */
    private void checkFiles(Machine machine) {
        MachineFiles files = machine.files();
        byte[] block = new byte[1 << 20];
        new java.util.Random(42).nextBytes(block);
        MessageDigest sent = digest();
        long start = System.nanoTime();
        files.write("/root/doctor-big", new java.security.DigestInputStream(repeated(block, FILE_MIB), sent), 0600);
        double in = (System.nanoTime() - start) / 1e9;
        String hostSum = HexFormat.of().formatHex(sent.digest());
        String guestSum = machine.exec(List.of("sha256sum", "/root/doctor-big")).stdout().split(" ")[0];
        start = System.nanoTime();
        MessageDigest received = digest();
        long bytes = 0;
        try (InputStream read = files.readStream("/root/doctor-big")) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = read.read(buffer)) > 0; bytes += n) {
                received.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new FlintException("reading /root/doctor-big back failed: " + e.getMessage(), e);
        }
        double back = (System.nanoTime() - start) / 1e9;
        out.printf("doctor: files: %d MiB in %.0f ms (%.1f MiB/s), out %.0f ms (%.1f MiB/s)%n", FILE_MIB, in * 1e3,
                FILE_MIB / in, back * 1e3, FILE_MIB / back);
        expectEquals(FILE_MIB + " MiB file in and out through the agent (sha256 on host, guest, host)",
                guestSum + " " + HexFormat.of().formatHex(received.digest()) + " " + bytes,
                hostSum + " " + hostSum + " " + ((long) FILE_MIB << 20));
        files.remove("/root/doctor-big", false);
        checkTreeCopy(files);
        try {
            files.stat("/root/no-such-file");
            fail("a missing file is ENOENT", "stat succeeded");
        } catch (MachineFileException e) {
            expectEquals("a missing file is ENOENT", e.errnoName(), "ENOENT");
        }
    }

    /** A command on a pseudo-terminal: it is one, and Ctrl-C typed into it interrupts the foreground job. */
    private void checkTerminal(Machine machine) {
        StringBuilder screen = new StringBuilder();
        java.util.concurrent.CountDownLatch shown = new java.util.concurrent.CountDownLatch(1);
        try (TerminalSession session = machine.openTerminal(List.of("sh", "-c",
                "test -t 0 && test -t 1 && echo on-a-tty-$TERM; exec sleep 30"), ExecOptions.DEFAULT, 24, 80, chunk -> {
                    synchronized (screen) {
                        screen.append(new String(chunk, java.nio.charset.StandardCharsets.UTF_8));
                        if (screen.indexOf("on-a-tty") >= 0) {
                            shown.countDown();
                        }
                    }
                })) {
            if (!shown.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                fail("a command on a terminal sees one, and Ctrl-C interrupts it", "no output in 30 s: " + screen);
                return;
            }
            session.write(new byte[] {3});
            ExecResult result = session.waitFor(Duration.ofSeconds(30)).orElse(null);
            synchronized (screen) {
                expectEquals("a command on a terminal sees one, and Ctrl-C interrupts it",
                        (screen.indexOf("on-a-tty-xterm-256color") >= 0 ? "a tty, TERM set" : screen.toString())
                                + ", " + (result == null ? "still running" : "signal " + result.signal()),
                        "a tty, TERM set, signal 2");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** copyIn then copyOut of a small tree: contents, modes and a symlink survive both ways. */
    private void checkTreeCopy(MachineFiles files) {
        Path host = null;
        try {
            host = Files.createTempDirectory("flint-doctor-");
            Path tree = Files.createDirectories(host.resolve("in/bin"));
            Files.writeString(tree.resolve("run.sh"), "#!/bin/sh\necho ran\n");
            Files.setPosixFilePermissions(tree.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
            Files.createSymbolicLink(host.resolve("in/link"), Path.of("bin/run.sh"));
            files.copyIn(host.resolve("in"), "/root/doctor-tree");
            files.copyOut("/root/doctor-tree", host.resolve("out"));
            Path back = host.resolve("out");
            expectEquals("a tree with modes and a symlink copies in and out", Files.readString(back.resolve("bin/run.sh"))
                            + PosixFilePermissions.toString(Files.getPosixFilePermissions(back.resolve("bin/run.sh")))
                            + " -> " + Files.readSymbolicLink(back.resolve("link")),
                    "#!/bin/sh\necho ran\nrwxr-x--- -> bin/run.sh");
            files.remove("/root/doctor-tree", true);
        } catch (IOException e) {
            fail("a tree with modes and a symlink copies in and out", e.toString());
        } finally {
            deleteTree(host);
        }
    }

    private static void deleteTree(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // a temp directory left behind is the only cost
        }
    }

    /** {@code block} {@code times} over, as a stream: a large file that is never held whole (the parts share the block). */
    private static InputStream repeated(byte[] block, int times) {
        List<InputStream> parts = Stream.generate(() -> (InputStream) new java.io.ByteArrayInputStream(block))
                .limit(times).toList();
        return new java.io.SequenceInputStream(java.util.Collections.enumeration(parts));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void checkMetrics(Machine machine) {
        MachineMetrics metrics = machine.metrics();
        out.printf("doctor: metrics since the restart: vCPU time %d ms, guest memory resident %d MiB, %d VM exits,"
                        + " vsock %d B in / %d B out, disk %d B read / %d B written%n", metrics.vcpuTime().toMillis(),
                metrics.guestMemoryResidentBytes() >> 20, metrics.vmExits(), metrics.vsockBytesToGuest(),
                metrics.vsockBytesFromGuest(), metrics.diskBytesRead(), metrics.diskBytesWritten());
        boolean counted = metrics.vcpuTime().toNanos() > 0 && metrics.guestMemoryResidentBytes() > 0 && metrics.vmExits() > 0
                && metrics.vsockBytesToGuest() > 0 && metrics.vsockBytesFromGuest() > 0 && metrics.diskBytesRead() > 0;
        expectEquals("metrics count vCPU time, resident memory, exits, vsock and disk bytes", counted, true);
    }

    private void measureRoundTrip(Machine machine, int rounds) {
        long[] nanos = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            machine.exec(List.of("true")).assertSuccess();
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        out.printf("doctor: exec([\"true\"]) round trip median %.2f ms, min %.2f ms, max %.2f ms over %d runs%n",
                nanos[rounds / 2] / 1e6, nanos[0] / 1e6, nanos[rounds - 1] / 1e6, rounds);
    }

    private void checkNoLeaks(long fdsBefore) {
        long threads = 0;
        long fds = 0;
        for (int i = 0; i < 100; i++) {
            threads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("flint-")).count();
            fds = openFds();
            if (threads == 0 && fds <= fdsBefore) {
                break;
            }
            sleep();
        }
        expectEquals("no flint threads left after delete", threads, 0L);
        if (fds <= fdsBefore) {
            pass("no KVM, eventfd, epoll or socket descriptors left after delete (" + fds + " open, " + fdsBefore
                    + " before)");
        } else {
            fail("no file descriptors left after delete", fds + " open, " + fdsBefore + " before");
        }
    }

    /**
     * File descriptors a machine could leak: KVM's, eventfds, epoll and sockets. Jar files the
     * JVM opens while loading classes are not the machine's.
     */
    private static long openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(DoctorCommand::target)
                    .filter(target -> target.startsWith("anon_inode:") || target.equals("/dev/kvm")
                            || target.startsWith("socket:"))
                    .count();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String target(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void expect(String check, String actual, String expectedPrefix) {
        if (actual.startsWith(expectedPrefix)) {
            pass(check + ": " + actual.strip());
        } else {
            fail(check, "got '" + actual.strip() + "', expected it to start with '" + expectedPrefix + "'");
        }
    }

    private void expectEquals(String check, Object actual, Object expected) {
        if (actual.equals(expected)) {
            pass(check);
        } else {
            fail(check, "got '" + actual + "', expected '" + expected + "'");
        }
    }

    private void pass(String check) {
        passed++;
        out.println("ok - " + check);
    }

    private void fail(String check, String why) {
        failed++;
        out.println("FAIL - " + check + ": " + why);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
