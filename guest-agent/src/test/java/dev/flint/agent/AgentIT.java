package dev.flint.agent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real C agent, built for the host, driven by {@link AgentClient} over a Unix socket. */
class AgentIT {
    @TempDir
    Path dir;

    private Process agent;
    private AgentClient client;

    private static Path buildAgent() throws Exception {
        Path source = Path.of(System.getProperty("flint.agent.source", "src/main/c/flint-agent.c"));
        Path out = Path.of(System.getProperty("flint.agent.build", "target/agent")).resolve("flint-agent");
        Files.createDirectories(out.getParent());
        if (!Files.exists(out) || Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(source)) < 0) {
            Process gcc;
            try {
                gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out.toString(), source.toString())
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                assumeTrue(false, "needs gcc to build the agent for the host: " + e.getMessage());
                return null;
            }
            String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, gcc.waitFor(), "gcc:\n" + log);
        }
        return out;
    }

    @BeforeEach
    void startAgent() throws Exception {
        startAgent("");
    }

    /** Starts the agent through {@code sh -c "SETUP exec agent ..."}, SETUP being e.g. a ulimit. */
    private void startAgent(String setup) throws Exception {
        startAgent(setup, "");
    }

    /**
     * Starts the agent through {@code sh -c "SETUP exec LAUNCHER agent ..."}, LAUNCHER being a
     * program that execs the agent in the same process (unshare).
     */
    private void startAgent(String setup, String launcher) throws Exception {
        Path binary = buildAgent();
        Path socket = dir.resolve("agent.sock");
        Files.deleteIfExists(socket);
        agent = new ProcessBuilder("sh", "-c", setup + " exec " + launcher + " \"$0\" --listen \"unix:$1\"",
                binary.toString(), socket.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        // The socket file appears at bind, a moment before the agent listens: retry a refused connect.
        for (int attempt = 0; ; attempt++) {
            try {
                client = connectAgain();
                return;
            } catch (java.net.SocketException e) {
                if (attempt == 200) {
                    throw e;
                }
                Thread.sleep(10);
            }
        }
    }

    /** A new connection to the running agent. */
    private AgentClient connectAgain() throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(dir.resolve("agent.sock")));
            return AgentClient.connect(channel, Duration.ofSeconds(5));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    @AfterEach
    void stopAgent() {
        if (client != null) {
            client.close();
        }
        if (agent != null) {
            agent.destroyForcibly();
            try {
                agent.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private ProcessResult run(String... argv) throws Exception {
        return client.exec(ExecRequest.builder(List.of(argv)).env("PATH", "/usr/bin:/bin").build());
    }

    @Test
    void helloCarriesTheAgentVersion() {
        assertEquals("0.1.0", client.agentVersion());
    }

    @Test
    void stdoutStderrAndExitCodes() throws Exception {
        ProcessResult echo = run("echo", "hello");
        assertEquals("hello\n", echo.stdoutText());
        assertTrue(echo.success());
        ProcessResult failing = run("sh", "-c", "echo err >&2; exit 3");
        assertEquals(3, failing.exitCode());
        assertEquals("err\n", failing.stderrText());
        assertEquals("", failing.stdoutText());
    }

    @Test
    void stdinEnvAndWorkdirAreHonoured() throws Exception {
        ProcessResult cat = client.exec(ExecRequest.builder(List.of("cat")).env("PATH", "/usr/bin:/bin")
                .stdin("piped in".getBytes(StandardCharsets.UTF_8)).build());
        assertEquals("piped in", cat.stdoutText());
        ProcessResult env = client.exec(ExecRequest.builder(List.of("sh", "-c", "echo $GREETING; pwd"))
                .env("PATH", "/usr/bin:/bin").env("GREETING", "hi there").workdir(dir.toString()).build());
        assertEquals("hi there\n" + dir.toRealPath() + "\n", env.stdoutText());
    }

    @Test
    void aMissingCommandFailsWithItsErrno() throws Exception {
        var e = assertThrows(ExecFailedException.class, () -> run("/no/such/command"));
        assertStartFailure(e, StartFailure.Step.EXEC, 2, "ENOENT", "/no/such/command");
        assertTrue(e.getMessage().contains("exec /no/such/command: No such file or directory (ENOENT, errno 2)"),
                e.getMessage());
        assertEquals("next\n", run("echo", "next").stdoutText(), "the connection stays usable");
    }

    private static void assertStartFailure(ExecFailedException e, StartFailure.Step step, int errno,
                                           String errnoName, String path) {
        assertEquals(new StartFailure(step, errno, errnoName, path), e.failure(), e.getMessage());
    }

    @Test
    void aFileThatIsNotExecutableFailsWithEacces() throws Exception {
        Path plain = Files.writeString(dir.resolve("plain.sh"), "#!/bin/sh\necho never\n");
        var e = assertThrows(ExecFailedException.class, () -> run(plain.toString()));
        assertStartFailure(e, StartFailure.Step.EXEC, 13, "EACCES", plain.toString());
        assertTrue(e.getMessage().contains("Permission denied"), e.getMessage());
        assertEquals("next\n", run("echo", "next").stdoutText(), "the connection stays usable");
    }

    /** A request the builder would refuse, sent as is: the agent's decoder checks the same limits. */
    @Test
    void theAgentRefusesAnArgvEntryOverTheLimitAndServesTheNextExec() throws Exception {
        String huge = "x".repeat(ExecLimits.MAX_STRING + 1);
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.builder(List.of("echo", huge)));
        ExecRequest unchecked = new ExecRequest(List.of("echo", huge), java.util.Map.of("PATH", "/usr/bin:/bin"), "/",
                0, 0, Optional.empty(), Optional.empty());
        var e = assertThrows(ExecFailedException.class, () -> client.exec(unchecked));
        assertStartFailure(e, StartFailure.Step.REQUEST, 7, "E2BIG", "");
        assertTrue(e.getMessage().contains("argv[1] of 131072 bytes is over the limit of 131071"), e.getMessage());
        var tooMany = new ExecRequest(List.of("true"), java.util.stream.IntStream.range(0, 5000).boxed()
                .collect(java.util.stream.Collectors.toMap(i -> "V" + i, i -> "1")), "/", 0, 0,
                Optional.empty(), Optional.empty());
        var many = assertThrows(ExecFailedException.class, () -> client.exec(tooMany));
        assertTrue(many.getMessage().contains("5000 env entries are over the limit of 4096"), many.getMessage());
        assertEquals("next\n", run("echo", "next").stdoutText(), "the connection stays usable");
    }

    /** The kernel's own E2BIG: argv within every string limit but over ARG_MAX (a small stack rlimit). */
    @Test
    void anArgvOverTheKernelsLimitFailsAtExecAndTheNextExecWorks() throws Exception {
        stopAgent();
        startAgent("ulimit -s 256 &&");   // ARG_MAX becomes its floor, 128 KiB
        List<String> argv = new ArrayList<>(List.of("echo"));
        for (int i = 0; i < 100; i++) {
            argv.add("y".repeat(2000));
        }
        var e = assertThrows(ExecFailedException.class, () -> client.exec(ExecRequest.builder(argv)
                .env("PATH", "/usr/bin:/bin").build()));
        assertStartFailure(e, StartFailure.Step.EXEC, 7, "E2BIG", e.failure().path());
        assertTrue(e.failure().path().matches("/(usr/)?bin/echo"), "the PATH match that exec refused: " + e.failure().path());
        assertTrue(e.getMessage().contains("Argument list too long"), e.getMessage());
        assertEquals("next\n", run("echo", "next").stdoutText(), "the connection stays usable");
    }

    @Test
    void timeoutKillsTheProcessAndTheClientStaysUsable() throws Exception {
        long start = System.nanoTime();
        var e = assertThrows(ExecTimeoutException.class, () -> client.exec(ExecRequest.builder(List.of("sleep", "30"))
                .env("PATH", "/usr/bin:/bin").timeout(Duration.ofMillis(300)).build()));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "killed long before sleep ended");
        assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
        assertEquals("still here\n", run("echo", "still here").stdoutText());
    }

    @Test
    void aSignalledProcessReportsTheSignal() throws Exception {
        ProcessResult killed = run("sh", "-c", "kill -TERM $$");
        assertEquals(15, killed.signal());
        assertEquals(-1, killed.exitCode());
    }

    @Test
    void fourMegabytesOfOutputArriveIntactAndInOrder() throws Exception {
        ProcessResult big = run("sh", "-c", "head -c 4194304 /dev/urandom | tee " + dir.resolve("sent") + " ");
        byte[] sent = Files.readAllBytes(dir.resolve("sent"));
        assertEquals(4 << 20, big.stdout().length);
        assertArrayEquals(sha256(sent), sha256(big.stdout()));
    }

    @Test
    void eightProcessesRunAtOnceOnOneConnection() throws Exception {
        List<CompletableFuture<ProcessResult>> runs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String n = Integer.toString(i);
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return run("sh", "-c", "sleep 0.2; echo " + n);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        long start = System.nanoTime();
        for (int i = 0; i < 8; i++) {
            assertEquals(i + "\n", runs.get(i).get(20, TimeUnit.SECONDS).stdoutText());
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "they ran concurrently, not one by one");
    }

    @Test
    void streamingDeliversChunksAndStdinCanBeFedLive() throws Exception {
        StringBuilder seen = new StringBuilder();
        ExecHandle cat = client.start(ExecRequest.builder(List.of("cat")).env("PATH", "/usr/bin:/bin")
                .interactiveStdin().build(), new OutputListener() {
                    @Override
                    public void stdout(byte[] chunk) {
                        synchronized (seen) {
                            seen.append(new String(chunk, StandardCharsets.UTF_8));
                        }
                    }

                    @Override
                    public void stderr(byte[] chunk) {
                    }
                });
        assertTrue(cat.pid() > 0);
        cat.writeStdin("first\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 200; i++) {
            synchronized (seen) {
                if (seen.toString().equals("first\n")) {
                    break;
                }
            }
            Thread.sleep(10);
        }
        synchronized (seen) {
            assertEquals("first\n", seen.toString(), "output arrived before the process ended");
        }
        cat.closeStdin();
        assertEquals(0, cat.waitFor(Duration.ofSeconds(10)).exitCode());
    }

    @Test
    void killAndPing() throws Exception {
        assertTrue(client.ping().toMillis() < 5_000);
        ExecHandle sleeper = client.start(ExecRequest.builder(List.of("sleep", "30")).env("PATH", "/usr/bin:/bin").build(),
                OutputListener.NONE);
        sleeper.pid();
        sleeper.kill(9);
        assertEquals(9, sleeper.waitFor(Duration.ofSeconds(10)).signal());
    }

    @Test
    void childrenStartWithDefaultSignalDispositions() throws Exception {
        assertEquals("SigIgn:\t0000000000000000\n", run("grep", "SigIgn", "/proc/self/status").stdoutText());
        long start = System.nanoTime();
        ProcessResult pipeline = run("sh", "-c", "(yes; echo \"yes: $?\" >&2) | head -n1");
        assertEquals("y\n", pipeline.stdoutText());
        assertEquals("yes: 141\n", pipeline.stderrText(), "yes died of SIGPIPE (128 + 13), not of EPIPE");
        assertEquals(0, pipeline.exitCode());
        assertEquals(0, run("sh", "-c", "yes | head -n1; exit 0").exitCode());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void supplementaryGroupsReplaceTheAgentsOwn() throws Exception {
        ProcessResult nobody = client.exec(ExecRequest.builder(List.of("id", "-G")).env("PATH", "/usr/bin:/bin")
                .user(65534, 65534).groups(List.of(65534, 4242)).build());
        assertEquals("65534 4242\n", nobody.stdoutText(), nobody.stderrText());
        assertEquals("0\n", run("id", "-G").stdoutText(), "root with no groups asked for gets none, not the agent's");
        ProcessResult rootWithGroups = client.exec(ExecRequest.builder(List.of("id", "-G")).env("PATH", "/usr/bin:/bin")
                .groups(List.of(4242)).build());
        assertEquals("0 4242\n", rootWithGroups.stdoutText());
    }

    @Test
    void theUserAndGroupAskedForAreTheChildsAndNotTheAgents() throws Exception {
        ProcessResult nobody = client.exec(ExecRequest.builder(List.of("sh", "-c", "id -u; id -g")).env("PATH", "/usr/bin:/bin")
                .user(65534, 65533).build());
        assertEquals("65534\n65533\n", nobody.stdoutText(), nobody.stderrText());
        assertEquals("0\n", run("id", "-u").stdoutText(), "the next exec runs as the agent's root again");
    }

    @Test
    void anExecutableWithoutAShebangLineRunsWithTheShellAndItsArguments() throws Exception {
        Path script = dir.resolve("no-shebang");
        Files.writeString(script, "echo \"ran with $# arguments: $*\"\n");
        script.toFile().setExecutable(true);
        ProcessResult result = client.exec(ExecRequest.builder(List.of(script.toString(), "one", "two"))
                .env("PATH", "/usr/bin:/bin").build());
        assertEquals("ran with 2 arguments: one two\n", result.stdoutText(), result.stderrText());
    }

    @Test
    void aTimeoutKillsTheWholeGroupEvenAfterTheLeaderExited() throws Exception {
        Path pidFile = dir.resolve("sleeper.pid");
        long start = System.nanoTime();
        var e = assertThrows(ExecTimeoutException.class, () -> client.exec(ExecRequest.builder(
                        List.of("sh", "-c", "sleep 1000 & echo $! > " + pidFile))
                .env("PATH", "/usr/bin:/bin").timeout(Duration.ofSeconds(1)).build()));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4), "the agent ended it, not the client's grace");
        assertEquals(9, e.partial().signal());
        assertEquals(-1, e.partial().exitCode());
        assertGone(Long.parseLong(Files.readString(pidFile).trim()));
    }

    @Test
    void killReachesTheGroupAfterTheLeaderExited() throws Exception {
        Path pidFile = dir.resolve("sleeper.pid");
        ExecHandle shell = client.start(ExecRequest.builder(List.of("sh", "-c", "sleep 1000 & echo $! > " + pidFile))
                .env("PATH", "/usr/bin:/bin").build(), OutputListener.NONE);
        shell.pid();
        for (int i = 0; i < 500 && (!Files.exists(pidFile) || Files.size(pidFile) == 0); i++) {
            Thread.sleep(10);
        }
        Thread.sleep(200);
        assertEquals(null, shell.waitFor(Duration.ofMillis(100)), "the background sleep keeps stdout open");
        shell.kill(9);
        assertEquals(0, shell.waitFor(Duration.ofSeconds(5)).exitCode(), "EXIT carries the leader's own status");
        assertGone(Long.parseLong(Files.readString(pidFile).trim()));
    }

    /** Gone or a zombie waiting for whichever reaper it was given to. */
    private static void assertGone(long pid) throws Exception {
        for (int i = 0; i < 200; i++) {
            Path stat = Path.of("/proc/" + pid + "/stat");
            String state;
            try {
                String line = Files.readString(stat);
                state = line.substring(line.lastIndexOf(')') + 2, line.lastIndexOf(')') + 3);
            } catch (IOException gone) {
                return;
            }
            if (state.equals("Z") || state.equals("X")) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("process " + pid + " still runs");
    }

    @Test
    void programsAreFoundOnThePathOfTheRequest() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path script = bin.resolve("flint-path-probe");
        Files.writeString(script, "#!/bin/sh\necho found on the PATH of the request\n");
        script.toFile().setExecutable(true);
        Path plain = bin.resolve("flint-not-executable");
        Files.writeString(plain, "#!/bin/sh\necho never\n");
        ProcessResult found = client.exec(ExecRequest.builder(List.of("flint-path-probe"))
                .env("PATH", "/nonexistent:" + bin).build());
        assertEquals("found on the PATH of the request\n", found.stdoutText(), found.stderrText());
        var missing = assertThrows(ExecFailedException.class, () -> client.exec(ExecRequest.builder(
                List.of("flint-path-probe")).env("PATH", "/usr/bin:/bin").build()));
        assertEquals(2, missing.failure().errno(), missing.getMessage());
        var notExecutable = assertThrows(ExecFailedException.class, () -> client.exec(ExecRequest.builder(
                List.of("flint-not-executable")).env("PATH", bin + ":/nonexistent").build()));
        assertEquals(13, notExecutable.failure().errno(), notExecutable.getMessage());
        assertEquals("/usr/bin/env\n", client.exec(ExecRequest.builder(List.of("sh", "-c", "command -v env"))
                .env("PATH", "/usr/bin:/bin").build()).stdoutText());
        assertEquals("hi\n", client.exec(ExecRequest.builder(List.of("echo", "hi")).build()).stdoutText(),
                "without PATH the default one is searched");
    }

    @Test
    void aMissingWorkdirSaysSo() throws Exception {
        var e = assertThrows(ExecFailedException.class, () -> client.exec(ExecRequest.builder(List.of("true"))
                .env("PATH", "/usr/bin:/bin").workdir("/no/such/dir").build()));
        assertStartFailure(e, StartFailure.Step.CHDIR, 2, "ENOENT", "/no/such/dir");
        assertTrue(e.getMessage().contains("chdir /no/such/dir: No such file or directory"), e.getMessage());
        assertEquals("next\n", run("echo", "next").stdoutText(), "the connection stays usable");
    }

    /** Skips unless this host can run image roots: root, overlayfs, mount namespaces, a static busybox. */
    private static void assumeImageRoots() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "image roots need root (mounts, pivot_root)");
        assumeTrue(Files.readString(Path.of("/proc/filesystems")).contains("\toverlay\n"), "needs overlayfs");
        Process unshare;
        try {
            unshare = new ProcessBuilder("unshare", "--mount", "true").redirectErrorStream(true).start();
        } catch (IOException e) {
            unshare = null;
        }
        assumeTrue(unshare != null && unshare.waitFor() == 0, "needs mount namespaces (unshare --mount)");
        Path busybox = Path.of("/bin/busybox");
        assumeTrue(Files.isExecutable(busybox), "builds its image from a static /bin/busybox (apt-get install busybox-static)");
        String binary = new String(Files.readAllBytes(busybox), StandardCharsets.ISO_8859_1);
        assumeTrue(!binary.contains("/lib64/ld-linux") && !binary.contains("/lib/ld-linux"), "/bin/busybox is not static");
    }

    /** A tiny image tree: busybox with a few applets, /etc/passwd, an empty /tmp. */
    private Path buildImage(String name) throws IOException {
        Path root = dir.resolve(name);
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "ls", "head", "echo", "id", "pwd")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Files.writeString(Files.createDirectories(root.resolve("etc")).resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.createDirectories(root.resolve("tmp"));
        return root;
    }

    private static List<String> tree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            return paths.map(path -> root.relativize(path) + " " + path.toFile().length()).sorted().toList();
        }
    }

    private static long mountCount() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).size();
    }

    private ProcessResult inImage(Path lower, String upper, String script) throws Exception {
        return client.exec(ExecRequest.builder(List.of("sh", "-c", script)).env("PATH", "/bin")
                .imageRoot(lower.toString(), upper).timeout(Duration.ofSeconds(20)).build());
    }

    @Test
    void anImageRootWithAFreshUpperLeavesNothingBehind() throws Exception {
        assumeImageRoots();
        Path lower = buildImage("image");
        List<String> before = tree(lower);
        long mounts = mountCount();
        ProcessResult result = inImage(lower, "",
                "cat /etc/hosts; ls /dev; cat /proc/self/status | head -1; echo x > /written; cat /written; pwd");
        String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        assertEquals("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n127.0.1.1 " + hostname + "\n"
                + "fd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n"
                + "Name:\tcat\nx\n/\n", result.stdoutText(), result.stderrText());
        assertEquals(0, result.exitCode());
        Path resolv = Path.of("/etc/resolv.conf");
        if (Files.isReadable(resolv)) {
            assertEquals(Files.readString(resolv), inImage(lower, "", "cat /etc/resolv.conf").stdoutText());
        }
        assertEquals("", inImage(lower, "", "cat /written 2>/dev/null; ls -a / | grep flint-old").stdoutText(),
                "each exec starts from a fresh upper, and the machine's old root is gone");
        assertEquals("crw-rw-rw- 1,3 /dev/null\n", inImage(lower, "",
                "ls -l /dev/null | while read mode links u g major minor rest; do echo \"$mode $major$minor /dev/null\"; done")
                .stdoutText().replace(", ", ","));
        assertEquals(before, tree(lower), "the lower is read only");
        assertEquals(mounts, mountCount(), "nothing stays mounted on the host");
        Path scratch = Path.of("/run/flint/exec");
        if (Files.exists(scratch)) {
            try (var left = Files.list(scratch)) {
                assertEquals(List.of(), left.toList(), "the scratch tmpfs lived only in the child's namespace");
            }
        }
        var missing = assertThrows(ExecFailedException.class, () -> client.exec(ExecRequest.builder(List.of("true"))
                .env("PATH", "/bin").imageRoot(lower.toString(), "").workdir("/nope").build()));
        assertTrue(missing.getMessage().contains("chdir /nope: No such file or directory"), missing.getMessage());
    }

    @Test
    void aPersistentUpperIsSharedByEveryExecNamingIt() throws Exception {
        assumeImageRoots();
        Path lower = buildImage("image");
        List<String> before = tree(lower);
        long mounts = mountCount();
        String upper = dir.resolve("state").toString();
        assertEquals(0, inImage(lower, upper, "echo kept > /kept; mkdir -p /srv").exitCode());
        assertEquals("kept\n", client.exec(ExecRequest.builder(List.of("cat", "kept")).env("PATH", "/bin")
                .imageRoot(lower.toString(), upper).workdir("/").build()).stdoutText());
        assertEquals("/srv\n", client.exec(ExecRequest.builder(List.of("pwd")).env("PATH", "/bin")
                .imageRoot(lower.toString(), upper).workdir("/srv").build()).stdoutText());
        assertEquals("kept\n", Files.readString(Path.of(upper, "upper", "kept")), "writes land in UPPER/upper");
        assertEquals("65534 4242\n", client.exec(ExecRequest.builder(List.of("id", "-G")).env("PATH", "/bin")
                .imageRoot(lower.toString(), upper).user(65534, 65534).groups(List.of(65534, 4242)).build()).stdoutText());
        assertEquals(before, tree(lower));
        Path otherLower = buildImage("other");
        var twice = assertThrows(ExecFailedException.class, () -> inImage(otherLower, upper, "true"));
        assertEquals(16, twice.failure().errno(), twice.getMessage());
        assertTrue(twice.getMessage().contains("already mounted over " + lower), twice.getMessage());
        assertEquals(mounts, mountCount(), "the persistent overlay is in the agent's own namespace");
        assertThrows(IllegalArgumentException.class, () -> inImage(lower, upper + "/../x", "true"));
        Path alias = Files.createSymbolicLink(dir.resolve("alias"), Path.of(upper));
        assertEquals(16, assertThrows(ExecFailedException.class, () -> inImage(otherLower, alias.toString(), "true"))
                .failure().errno(), "a symlink to an upper is that upper");
        assertEquals("kept\n", inImage(lower, alias.toString(), "cat /kept").stdoutText());
    }

    @Test
    void theAgentRefusesImagePathsTheClientWouldNotSend() throws Exception {
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(dir.resolve("agent.sock")));
            assertEquals(Frame.HELLO, Frame.read(raw).type());
            byte[] good = ExecRequest.builder(List.of("true")).imageRoot("/image", "/state/upper").build().encode();
            byte[] bad = new String(good, StandardCharsets.ISO_8859_1).replace("/state/upper", "/state/../up")
                    .getBytes(StandardCharsets.ISO_8859_1);
            raw.write(new Frame(Frame.EXEC, 1, bad).encode());
            Frame reply = Frame.read(raw);
            assertEquals(Frame.EXEC_FAILED, reply.type());
            assertEquals(22, java.nio.ByteBuffer.wrap(reply.payload()).getInt());
        }
    }

    /**
     * The agent in a UTS namespace of its own, so that sethostname renames only it, and without
     * {@code capabilities} ("-sys_time"): the tests run as root, and an agent with CAP_SYS_TIME
     * would set this host's clock. CAP_SYS_ADMIN kept, its RNG ioctls mix 64 random bytes into
     * this host's pool and reseed it, which does no harm.
     */
    private void startAgentWithout(String capabilities) throws Exception {
        Process probe;
        try {
            probe = new ProcessBuilder("unshare", "--uts", "setpriv", "--bounding-set", capabilities, "true")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            probe = null;
        }
        assumeTrue(probe != null && probe.waitFor() == 0, "needs root, unshare --uts and setpriv (util-linux)");
        stopAgent();
        startAgent("", "unshare --uts setpriv --bounding-set " + capabilities);
    }

    private static void assertRenewFailure(RenewFailedException.Failure failure, RenewFailedException.Step step,
                                           String messageStart) {
        assertEquals(step, failure.step(), failure.toString());
        assertEquals(1, failure.errno(), failure.toString());
        assertEquals("EPERM", failure.errnoName());
        assertTrue(failure.message().startsWith(messageStart) && failure.message().endsWith(": Operation not permitted"),
                failure.message());
    }

    private static String clockMessage(Renewal renewal) {
        return "set the clock to " + renewal.wallClock().getEpochSecond() + "."
                + String.format("%09d", renewal.wallClock().getNano());
    }

    @Test
    void renewAddsEntropyReseedsAndRenamesWhereOnlyTheClockIsNotAllowed() throws Exception {
        startAgentWithout("-sys_time");
        String hostsName = hostsName();
        Renewal renewal = Renewal.now(Optional.of("renewed-clone"));
        var e = assertThrows(RenewFailedException.class, () -> client.renew(renewal));
        assertEquals(1, e.failures().size(), "entropy, reseed and hostname worked: " + e.getMessage());
        assertRenewFailure(e.failures().getFirst(), RenewFailedException.Step.CLOCK, clockMessage(renewal));
        assertEquals("the guest's agent could not renew it: clock: " + clockMessage(renewal)
                + ": Operation not permitted (EPERM, errno 1)", e.getMessage());
        assertEquals("renewed-clone\n", run("cat", "/proc/sys/kernel/hostname").stdoutText(),
                "later processes see the new name");
        assertEquals(hostsName, hostsName(), "only the agent's namespace was renamed");

        var kept = assertThrows(RenewFailedException.class, () -> client.renew(Renewal.now(Optional.empty())));
        assertEquals(List.of(RenewFailedException.Step.CLOCK), kept.failures().stream()
                .map(RenewFailedException.Failure::step).toList());
        assertEquals("renewed-clone\n", run("cat", "/proc/sys/kernel/hostname").stdoutText(), "no hostname: kept");
    }

    @Test
    void renewTriesEveryStepAndNamesEachThatFailedWithItsErrno() throws Exception {
        startAgentWithout("-sys_time,-sys_admin");
        Renewal renewal = Renewal.now(Optional.of("not-allowed"));
        var e = assertThrows(RenewFailedException.class, () -> client.renew(renewal));
        assertEquals(4, e.failures().size(), e.getMessage());
        assertRenewFailure(e.failures().get(0), RenewFailedException.Step.CLOCK, clockMessage(renewal));
        assertRenewFailure(e.failures().get(1), RenewFailedException.Step.ENTROPY, "add 64 bytes of entropy to /dev/urandom");
        assertRenewFailure(e.failures().get(2), RenewFailedException.Step.RESEED, "reseed the kernel's RNG");
        assertRenewFailure(e.failures().get(3), RenewFailedException.Step.HOSTNAME, "set the hostname to not-allowed");
        assertTrue(e.getMessage().contains("(EPERM, errno 1); entropy: add 64 bytes"), e.getMessage());
        assertEquals("after\n", run("echo", "after").stdoutText(), "the connection goes on");
    }

    /** A RENEW the host's checks would refuse, as raw bytes: nothing is done, the connection goes on. */
    @Test
    void theAgentRefusesARenewOverItsLimitsWithoutTryingAnyStep() throws Exception {
        startAgentWithout("-sys_time");
        byte[] good = new Renewal(java.time.Instant.ofEpochSecond(1_800_000_000L, 5), new byte[32],
                Optional.of("good")).encode();
        byte[] tooMuch = java.nio.ByteBuffer.allocate(8 + 4 + 4 + 513 + 4).putLong(1_800_000_000L).putInt(0)
                .putInt(513).put(new byte[513]).putInt(0).array();
        byte[] badName = good.clone();
        badName[badName.length - 2] = '_';                                   // "go_d"
        byte[] badNanos = good.clone();
        java.nio.ByteBuffer.wrap(badNanos).putInt(8, 1_000_000_000);
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        byte[] hugeLength = java.util.Arrays.copyOf(good, 16);
        java.nio.ByteBuffer.wrap(hugeLength).putInt(12, 64);                  // more entropy than the payload holds
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(dir.resolve("agent.sock")));
            Frame hello = Frame.read(raw);
            assertEquals(Frame.HELLO, hello.type());
            assertTrue(java.nio.ByteBuffer.wrap(hello.payload()).getShort() >= 3, "protocol 3 and later have RENEW");
            assertRefused(raw, tooMuch, 7, "entropy of 513 bytes is outside the limits of 32 to 512 bytes");
            assertRefused(raw, badName, 22, "hostname is not 1-64 bytes of dot-separated labels");
            assertRefused(raw, badNanos, 22, "wall clock 1800000000.1000000000 is not a time");
            assertRefused(raw, trailing, 22, "malformed RENEW request");
            assertRefused(raw, hugeLength, 22, "malformed RENEW request");
        }
        assertEquals(hostsName(), run("cat", "/proc/sys/kernel/hostname").stdoutText(), "no step was tried");
    }

    private static String hostsName() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/hostname"));
    }

    private static void assertRefused(SocketChannel raw, byte[] payload, int errno, String messageStart) throws Exception {
        raw.write(new Frame(Frame.RENEW, 9, payload).encode());
        Frame reply = Frame.read(raw);
        assertEquals(Frame.RENEW_FAILED, reply.type());
        assertEquals(9, reply.id());
        reply.checkFromAgent();
        RenewFailedException.Failure failure = RenewFailedException.decode(reply.payload()).failures().getFirst();
        assertEquals(1, RenewFailedException.decode(reply.payload()).failures().size());
        assertEquals(RenewFailedException.Step.REQUEST, failure.step());
        assertEquals(errno, failure.errno(), failure.toString());
        assertTrue(failure.message().startsWith(messageStart), failure.message());
    }

    /**
     * Starts a shell printing on {@code on} and waits until its output flows; its pid. It ignores
     * SIGPIPE and goes on when its output is gone: only the agent's kill ends it.
     */
    private static long streaming(AgentClient on) throws Exception {
        CountDownLatch flowing = new CountDownLatch(16);
        ExecHandle yes = on.start(ExecRequest.builder(List.of("sh", "-c",
                        "trap '' PIPE; while :; do echo output nobody reads || sleep 0.01; done"))
                .env("PATH", "/usr/bin:/bin").build(), new OutputListener() {
                    @Override
                    public void stdout(byte[] chunk) {
                        flowing.countDown();
                    }

                    @Override
                    public void stderr(byte[] chunk) {
                    }
                });
        assertTrue(flowing.await(10, TimeUnit.SECONDS), "yes printed");
        return yes.pid();
    }

    /**
     * What a vsock transport reset (a restored guest) does to the agent: every connection dies
     * under it while its processes print. Closing our side with their output unread makes the
     * agent's reads fail with ECONNRESET and its writes with EPIPE. Each connection's processes
     * are killed (no host can reattach to them), the agent goes on, and every slot is free again.
     */
    @Test
    void afterEveryConnectionDiesMidExecTheAgentServesAsManyNewOnesAndRenews() throws Exception {
        startAgentWithout("-sys_time");
        List<AgentClient> clients = new ArrayList<>(List.of(client));
        for (int i = 1; i < 16; i++) {
            clients.add(connectAgain());
        }
        List<Long> pids = new ArrayList<>();
        for (AgentClient each : clients) {
            pids.add(streaming(each));
        }
        clients.forEach(AgentClient::close);
        for (long pid : pids) {
            assertGone(pid);
        }
        List<AgentClient> after = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                after.add(connectAgain());   // a slot still held by a dead connection would refuse the 16th
            }
            for (AgentClient each : after) {
                assertEquals("again\n", each.exec(ExecRequest.builder(List.of("echo", "again"))
                        .env("PATH", "/usr/bin:/bin").build()).stdoutText());
            }
            client = after.getLast();
            var e = assertThrows(RenewFailedException.class, () -> client.renew(Renewal.now(Optional.of("after-reset"))));
            assertEquals(RenewFailedException.Step.CLOCK, e.failures().getFirst().step());
            assertEquals("after-reset\n", run("cat", "/proc/sys/kernel/hostname").stdoutText());
        } finally {
            after.forEach(AgentClient::close);
        }
    }

    @Test
    void aConnectionClosedWhileItsProcessPrintsLeavesTheOthersRunning() throws Exception {
        AgentClient other = connectAgain();
        try {
            CompletableFuture<ProcessResult> survivor = CompletableFuture.supplyAsync(() -> {
                try {
                    return other.exec(ExecRequest.builder(List.of("sh", "-c", "sleep 1; echo survived"))
                            .env("PATH", "/usr/bin:/bin").build());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long pid = streaming(client);
            client.close();
            assertGone(pid);
            assertEquals("survived\n", survivor.get(10, TimeUnit.SECONDS).stdoutText());
            assertEquals("still\n", other.exec(ExecRequest.builder(List.of("echo", "still")).env("PATH", "/usr/bin:/bin")
                    .build()).stdoutText());
        } finally {
            other.close();
        }
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).getBytes();
    }

    // ---- files (PROTOCOL.md, "Files") ----------------------------------------------------------

    private static String sha256(InputStream in) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Test
    void severalMegabytesGoInAndComeOutIntactWithTheirMode() throws Exception {
        byte[] data = new byte[5 * 1024 * 1024 + 12345];
        new java.util.Random(42).nextBytes(data);
        String expected = sha256(new ByteArrayInputStream(data));
        Path file = dir.resolve("big.bin");
        GuestFiles files = client.files();
        assertEquals(data.length, files.write(file.toString(), new ByteArrayInputStream(data), 0640));
        assertEquals(expected, sha256(Files.newInputStream(file)), "the file the agent wrote");
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (InputStream in = files.read(file.toString())) {
            assertEquals(expected, sha256(in), "the file read back through the agent");
        }
        files.write(file.toString(), "short".getBytes(StandardCharsets.UTF_8), 0600);
        assertEquals("short", Files.readString(file), "a write truncates what was there");
        assertEquals("short", new String(files.readAllBytes(file.toString(), 100), StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> files.readAllBytes(file.toString(), 4));
        files.write(dir.resolve("empty").toString(), new byte[0], 0644);
        assertEquals(0, files.readAllBytes(dir.resolve("empty").toString(), 10).length);
    }

    @Test
    void aReadStoppedEarlyLeavesTheConnectionUsable() throws Exception {
        Path file = dir.resolve("big.bin");
        Files.write(file, new byte[8 * 1024 * 1024]);
        try (InputStream in = client.files().read(file.toString())) {
            assertEquals(1024, in.readNBytes(1024).length);
        }
        assertEquals(8 * 1024 * 1024, client.files().stat(file.toString()).size());
        assertEquals("hello\n", run("echo", "hello").stdoutText());
    }

    @Test
    void listAndStatShowTypesModesSizesAndSymlinks() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("a.txt"), "12345");
        Files.setPosixFilePermissions(tree.resolve("a.txt"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path script = Files.writeString(tree.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        Files.createDirectories(tree.resolve("sub"));
        Files.createSymbolicLink(tree.resolve("link"), Path.of("a.txt"));
        Files.setLastModifiedTime(tree.resolve("a.txt"), java.nio.file.attribute.FileTime.from(java.time.Instant.ofEpochSecond(1_700_000_000, 5)));

        var entries = new java.util.TreeMap<String, FileEntry>();
        client.files().list(tree.toString()).forEach(entry -> entries.put(entry.name(), entry));
        assertEquals(List.of("a.txt", "link", "run.sh", "sub"), List.copyOf(entries.keySet()));
        FileEntry a = entries.get("a.txt");
        assertEquals(FileEntry.Type.FILE, a.type());
        assertEquals(0600, a.mode());
        assertEquals(5, a.size());
        assertEquals(java.time.Instant.ofEpochSecond(1_700_000_000, 5), a.modified());
        assertEquals(0750, entries.get("run.sh").mode());
        assertEquals(FileEntry.Type.DIRECTORY, entries.get("sub").type());
        assertEquals(FileEntry.Type.SYMLINK, entries.get("link").type());
        assertEquals("a.txt", entries.get("link").linkTarget());
        assertEquals("", a.linkTarget());

        FileEntry link = client.files().stat(tree.resolve("link").toString());
        assertEquals(FileEntry.Type.SYMLINK, link.type(), "stat does not follow a symlink");
        assertEquals("link", link.name());
        FileEntry root = client.files().stat("/");
        assertEquals("/", root.name());
        assertTrue(root.isDirectory());
        assertEquals(List.of(), client.files().list(tree.resolve("sub").toString()));
        assertEquals(4, client.files().list(tree + "/").size(), "a trailing slash names the same directory");
    }

    @Test
    void mkdirsMakesEveryMissingParentWithTheMode() throws Exception {
        Path deep = dir.resolve("x/y/z");
        client.files().mkdirs(deep.toString(), 0700);
        assertTrue(Files.isDirectory(deep));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("x/y"))));
        client.files().mkdirs(deep.toString(), 0700);   // already there: nothing to do
        client.files().mkdirs(dir.resolve("x//w/").toString(), 0755);
        assertTrue(Files.isDirectory(dir.resolve("x/w")));
        Files.writeString(dir.resolve("file"), "");
        GuestFileException overFile = assertThrows(GuestFileException.class,
                () -> client.files().mkdirs(dir.resolve("file/sub").toString(), 0755));
        assertEquals("ENOTDIR", overFile.errnoName());
        assertTrue(overFile.getMessage().contains("Not a directory"), overFile.getMessage());
    }

    @Test
    void removeTakesFilesSymlinksAndWholeTreesOnlyWhenAsked() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/a/b"));
        Files.writeString(tree.resolve("f"), "x");
        Path target = Files.writeString(dir.resolve("target"), "kept");
        Files.createSymbolicLink(dir.resolve("tree/a/link"), target);
        Files.createSymbolicLink(dir.resolve("tree/dirlink"), dir);
        Path tree0 = dir.resolve("tree");
        GuestFileException notEmpty = assertThrows(GuestFileException.class, () -> client.files().remove(tree0.toString(), false));
        assertEquals("ENOTEMPTY", notEmpty.errnoName());
        client.files().remove(tree.resolve("f").toString(), false);
        assertTrue(Files.notExists(tree.resolve("f")));
        client.files().remove(tree.toString(), false);
        assertTrue(Files.notExists(tree), "an empty directory goes without recursive");
        client.files().remove(tree0.toString(), true);
        assertTrue(Files.notExists(tree0));
        assertEquals("kept", Files.readString(target), "symlinks are removed, not followed");
        assertTrue(Files.exists(dir.resolve("agent.sock")), "a symlink to a directory was not followed either");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> client.files().remove(tree0.toString(), true));
        assertEquals("EBUSY", assertThrows(GuestFileException.class, () -> client.files().remove("/", true)).errnoName());
        assertEquals("EINVAL", assertThrows(GuestFileException.class,
                () -> client.files().remove(dir + "/..", true)).errnoName());
    }

    @Test
    void everyFileErrorNamesItsCause() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        String missing = dir.resolve("missing").toString();
        var noFile = assertThrows(java.nio.file.NoSuchFileException.class, () -> client.files().read(missing));
        assertTrue(noFile.getMessage().contains("open " + missing + ": No such file or directory"), noFile.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> client.files().stat(missing));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> client.files().list(missing));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> client.files().write(missing + "/x", new byte[1], 0644));
        GuestFileException isDir = assertThrows(GuestFileException.class, () -> client.files().read(dir.toString()));
        assertEquals("EISDIR", isDir.errnoName());
        assertTrue(isDir.getMessage().contains("Is a directory"), isDir.getMessage());
        assertEquals("EISDIR", assertThrows(GuestFileException.class,
                () -> client.files().write(dir.toString(), new byte[1], 0644)).errnoName());
        assertEquals("ENOTDIR", assertThrows(GuestFileException.class,
                () -> client.files().list(dir.resolve("file").toString())).errnoName());
        assertEquals("ENOTDIR", assertThrows(GuestFileException.class,
                () -> client.files().write(dir.resolve("file/x").toString(), new byte[1], 0644)).errnoName());
        assertThrows(IllegalArgumentException.class, () -> client.files().stat("relative"));
        assertThrows(IllegalArgumentException.class, () -> client.files().stat("/a\0b"));
        assertThrows(IllegalArgumentException.class, () -> client.files().mkdirs("/a", 010000));
        assertThrows(IllegalArgumentException.class, () -> client.files().stat("/" + "a".repeat(GuestFiles.MAX_PATH)));
        assertEquals("hello\n", run("echo", "hello").stdoutText(), "the connection goes on after every error");
    }

    @Test
    void aFileOrDirectoryTheAgentMayNotTouchIsPermissionDenied() throws Exception {
        if ("root".equals(System.getProperty("user.name"))) {
            startAgentWithout("-dac_override,-dac_read_search,-fowner");   // so root meets the modes
        }
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Path secret = Files.writeString(dir.resolve("secret"), "x");
        Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
        var denied = assertThrows(java.nio.file.AccessDeniedException.class,
                () -> client.files().write(locked.resolve("x").toString(), new byte[1], 0644));
        assertTrue(denied.getMessage().contains("Permission denied"), denied.getMessage());
        assertThrows(java.nio.file.AccessDeniedException.class, () -> client.files().read(secret.toString()));
        assertThrows(java.nio.file.AccessDeniedException.class, () -> client.files().mkdirs(locked.resolve("d").toString(), 0755));
        Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    /** File requests the host's checks would refuse, as raw bytes: each is FILE_ERROR, the connection goes on. */
    @Test
    void theAgentRefusesMalformedFileRequests() throws Exception {
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(dir.resolve("agent.sock")));
            assertEquals(Frame.HELLO, Frame.read(raw).type());
            byte[] good = GuestFiles.encode(Optional.empty(), "/tmp", null);
            assertFileRefused(raw, Frame.FILE_STAT, java.util.Arrays.copyOf(good, good.length - 1), 22);   // path runs past the payload
            assertFileRefused(raw, Frame.FILE_STAT, java.util.Arrays.copyOf(good, good.length + 1), 22);   // bytes after it
            byte[] huge = good.clone();
            java.nio.ByteBuffer.wrap(huge).putInt(8, -1);   // a path length of 4 GiB
            assertFileRefused(raw, Frame.FILE_STAT, huge, 22);
            assertFileRefused(raw, Frame.FILE_STAT, rawPath("/t\0p"), 22);
            assertFileRefused(raw, Frame.FILE_STAT, rawPath("tmp"), 22);
            assertFileRefused(raw, Frame.FILE_STAT, rawPath("/" + "a".repeat(5000)), 7);
            byte[] mode = GuestFiles.encode(Optional.empty(), dir.resolve("m").toString(), 010000);
            assertFileRefused(raw, Frame.FILE_WRITE, mode, 22);
            assertFileRefused(raw, Frame.FILE_STAT, GuestFiles.encode(Optional.of(new ExecRequest.ImageRoot("/image", "/state")),
                    "/tmp", null).clone(), -1);
            raw.write(new Frame(Frame.PING, 99, new byte[] {1}).encode());
            assertEquals(Frame.PONG, Frame.read(raw).type());
        }
    }

    private static byte[] rawPath(String path) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(12 + bytes.length).putInt(0).putInt(0).putInt(bytes.length).put(bytes).array();
    }

    /** errno -1: any FILE_ERROR. */
    private static void assertFileRefused(SocketChannel raw, int type, byte[] payload, int errno) throws Exception {
        raw.write(new Frame(type, 5, payload).encode());
        Frame reply = Frame.read(raw);
        assertEquals(Frame.FILE_ERROR, reply.type(), "answer to a malformed request");
        assertEquals(5, reply.id());
        if (errno >= 0) {
            assertEquals(errno, java.nio.ByteBuffer.wrap(reply.payload()).getInt());
        }
    }

    @Test
    void filesOfAnImageRootResolveInsideIt() throws Exception {
        assumeImageRoots();
        Path lower = buildImage("image");
        String upper = dir.resolve("state").toString();
        GuestFiles files = client.files(new ExecRequest.ImageRoot(lower.toString(), upper));
        assertEquals("root:x:0:0:root:/root:/bin/sh\n",
                new String(files.readAllBytes("/etc/passwd", 1000), StandardCharsets.UTF_8));
        files.write("/tmp/../../etc/motd", "hi".getBytes(StandardCharsets.UTF_8), 0644);
        assertEquals("hi", Files.readString(Path.of(upper, "upper", "etc", "motd")), "written to the upper, not the lower");
        assertTrue(Files.notExists(lower.resolve("etc/motd")));
        assertEquals("hi", inImage(lower, upper, "cat /etc/motd").stdoutText(), "what the image's processes see");
        Files.createSymbolicLink(Path.of(upper, "upper", "escape"), Path.of("/"));
        assertTrue(files.list("/escape").stream().anyMatch(entry -> entry.name().equals("bin")),
                "an absolute symlink resolves inside the image");
    }

    private static String describeTree(Path root) throws Exception {
        StringBuilder out = new StringBuilder();
        try (var walk = Files.walk(root)) {
            for (Path path : walk.sorted().toList()) {
                String mode = Integer.toOctalString((Integer) Files.getAttribute(path, "unix:mode",
                        java.nio.file.LinkOption.NOFOLLOW_LINKS) & 07777);
                String what = Files.isSymbolicLink(path) ? "-> " + Files.readSymbolicLink(path)
                        : Files.isDirectory(path) ? "dir " + mode : "file " + mode + " " + sha256(Files.newInputStream(path));
                out.append(root.relativize(path)).append(' ').append(what).append('\n');
            }
        }
        return out.toString();
    }

    @Test
    void aTreeCopiedInAndOutKeepsModesSymlinksAndContent() throws Exception {
        Path source = Files.createDirectories(dir.resolve("source/sub/deeper"));
        source = dir.resolve("source");
        byte[] big = new byte[3 * 1024 * 1024];
        new java.util.Random(7).nextBytes(big);
        Files.write(source.resolve("big.bin"), big);
        Files.writeString(source.resolve("sub/run.sh"), "#!/bin/sh\necho hi\n");
        Files.setAttribute(source.resolve("sub/run.sh"), "unix:mode", 04755);
        Files.setAttribute(source.resolve("sub/deeper"), "unix:mode", 0700);
        Files.createSymbolicLink(source.resolve("rel"), Path.of("sub/run.sh"));
        Files.createSymbolicLink(source.resolve("sub/abs"), Path.of("/etc/hostname"));
        Files.createSymbolicLink(source.resolve("dangling"), Path.of("nowhere"));
        String guest = dir.resolve("guest/copy").toString();
        assertEquals(7, client.files().copyIn(source, guest));
        assertEquals(describeTree(source), describeTree(Path.of(guest)), "copied in");
        assertEquals(7, client.files().copyIn(source, guest), "a second copy replaces files and symlinks");
        Path back = dir.resolve("back");
        assertEquals(7, client.files().copyOut(guest, back));
        assertEquals(describeTree(source), describeTree(back), "copied out");
        assertEquals("ENOTDIR", assertThrows(GuestFileException.class,
                () -> client.files().copyOut(guest + "/big.bin", dir.resolve("x"))).errnoName());
        assertThrows(java.nio.file.NotDirectoryException.class,
                () -> client.files().copyIn(dir.resolve("source/big.bin"), guest));
    }

    @Test
    void aSymlinkIsMadeAsGivenAndNotOverAnExistingPath() throws Exception {
        Path link = dir.resolve("link");
        client.files().symlink("../some/where", link.toString());
        assertEquals(Path.of("../some/where"), Files.readSymbolicLink(link));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> client.files().symlink("x", link.toString()));
        assertThrows(IllegalArgumentException.class, () -> client.files().symlink("", dir.resolve("l2").toString()));
    }

    /** Output of a process on a terminal, as it comes, with a wait for some text to appear. */
    private static final class Screen implements OutputListener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void stdout(byte[] chunk) {
            text.append(new String(chunk, StandardCharsets.UTF_8));
            notifyAll();
        }

        @Override
        public void stderr(byte[] chunk) {
            throw new AssertionError("a terminal has one output stream, got stderr: " + new String(chunk));
        }

        synchronized String await(String expected) throws InterruptedException {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!text.toString().contains(expected)) {
                long left = deadline - System.nanoTime();
                assertTrue(left > 0, "waited 10 s for '" + expected + "'; the terminal shows: " + text);
                wait(left / 1_000_000 + 1);
            }
            return text.toString();
        }
    }

    private ExecHandle onTerminal(Screen screen, String... argv) throws IOException {
        return client.start(ExecRequest.builder(List.of(argv)).env("PATH", "/usr/bin:/bin")
                .terminal(new TerminalSize(24, 80)).build(), screen);
    }

    @Test
    void aTerminalIsTheProcessesControllingTtyWithItsSizeEchoAndExitCode() throws Exception {
        Screen screen = new Screen();
        ExecHandle shell = onTerminal(screen, "sh", "-c", "test -t 0 && test -t 1 && test -t 2 && echo all-ttys;"
                + " stty size; read line; echo got:$line; exit 7");
        screen.await("24 80");
        shell.writeStdin("hello\n".getBytes(StandardCharsets.UTF_8));
        String shown = screen.await("got:hello");
        assertTrue(shown.contains("all-ttys"), shown);
        assertTrue(shown.contains("hello\r\n"), "the terminal echoes what is typed, with its own line ends: " + shown);
        ProcessResult result = shell.waitFor(Duration.ofSeconds(10));
        assertEquals(7, result.exitCode());
    }

    @Test
    void resizingATerminalReachesTheProcessAndCtrlCInterruptsIt() throws Exception {
        Screen screen = new Screen();
        ExecHandle shell = onTerminal(screen, "sh", "-c", "echo ready; read x; stty size; exec sleep 30");
        screen.await("ready");
        shell.resize(new TerminalSize(50, 132));
        shell.writeStdin("go\n".getBytes(StandardCharsets.UTF_8));
        screen.await("50 132");
        long start = System.nanoTime();
        shell.writeStdin(new byte[] {3});   // Ctrl-C: SIGINT to the terminal's foreground group
        ProcessResult result = shell.waitFor(Duration.ofSeconds(10));
        assertEquals(2, result.signal(), "SIGINT ended sleep");
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "well before sleep's 30 s");
    }

    @Test
    void aTerminalOfAnImpossibleSizeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TerminalSize(0, 80));
        assertThrows(IllegalArgumentException.class, () -> new TerminalSize(24, TerminalSize.MAX + 1));
    }
}
