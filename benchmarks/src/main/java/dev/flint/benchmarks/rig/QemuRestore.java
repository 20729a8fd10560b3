package dev.flint.benchmarks.rig;

import dev.flint.agent.AgentClient;
import dev.flint.agent.ExecRequest;
import dev.flint.agent.ExecTimeoutException;
import dev.flint.agent.ProcessResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The peer's restore: QEMU microvm boots the guest to agent-ready once, is stopped and saves its
 * migration stream to a file over QMP ({@code migrate "exec:cat > FILE"}); each {@link #restore}
 * then starts a fresh QEMU with the same devices and {@code -incoming "exec:cat FILE"}, resumes it
 * with {@code cont} once the stream is loaded, and times it to the agent's HELLO over vhost-vsock
 * and the first exec after that.
 *
 * <p>The agent is already running in a restored guest, so it prints no ready line: agent-ready is
 * the first vsock connection that gets its HELLO and answers a ping. QEMU sends the guest a vsock
 * TRANSPORT_RESET shortly after it resumes, which drops the connections made before the guest
 * handled it; see {@link #agentAfterRestore}.
 */
final class QemuRestore {
    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration HELLO_TIMEOUT = Duration.ofSeconds(5);
    /** How long the first connection after cont waits for its HELLO; doubled per retry (see agentAfterRestore). */
    private static final Duration FIRST_HELLO_WAIT = Duration.ofMillis(100);
    /** No throttle on saving: the default (32 MiB/s in QEMU 7.2) would time the limit, not QEMU. */
    private static final long MAX_BANDWIDTH = 1L << 40;

    private final QemuMicrovm peer;
    private final Path directory;
    private final Path state;

    /**
     * One restore's times in nanoseconds from the process start, the first exec's round trip, and
     * how many agent connections were started to get there.
     */
    record Timings(long loadedNanos, long readyNanos, long firstExecNanos, int connectAttempts) {
    }

    private record Ready(AgentClient agent, int attempts) {
    }

    /** @param directory where the migration file and QMP sockets go (a tmpfs in the rig) */
    QemuRestore(QemuMicrovm peer, Path directory) {
        if (peer.vsockCid().isEmpty()) {
            throw new IllegalArgumentException("the peer's restore is timed to its agent over vsock: it needs a vsock device");
        }
        this.peer = peer;
        this.directory = directory;
        this.state = directory.resolve("qemu-migration.bin");
    }

    Path state() {
        return state;
    }

    /** Boots the guest to agent-ready, stops it and writes its migration stream; returns the file's size. */
    long save() throws IOException, InterruptedException {
        Path qmp = freshSocket("save.qmp");
        Files.deleteIfExists(state);
        try (WatchedProcess qemu = WatchedProcess.start(peer.commandWithQmp(qmp))) {
            qemu.await(line -> line.contains(FlintBoot.READY), "QEMU's guest's '" + FlintBoot.READY + "' line", BOOT_TIMEOUT);
            try (QmpClient client = QmpClient.connect(qmp, STEP_TIMEOUT)) {
                client.execute("migrate-set-parameters", Map.of("max-bandwidth", MAX_BANDWIDTH));
                client.execute("stop", Map.of());
                client.execute("migrate", Map.of("uri", "exec:cat > " + state));
                awaitMigration(client);
                quit(client);
            } catch (IOException e) {
                throw new IOException("saving QEMU's state failed: " + e.getMessage() + "; QEMU's last output:\n"
                        + qemu.recentOutput(), e);
            }
            // The restored QEMU claims the same guest CID, which is free only once this one is gone.
            if (!qemu.waitFor(Duration.ofSeconds(30))) {
                throw new IOException("QEMU did not exit within 30 s of QMP quit");
            }
        }
        return Files.size(state);
    }

    /** Polls query-migrate until the stream is written; a failed migration says why. */
    private void awaitMigration(QmpClient client) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (true) {
            Object info = client.execute("query-migrate", Map.of());
            String status = QmpClient.field(info, "status").orElse("none");
            switch (status) {
                case "completed" -> {
                    return;
                }
                case "failed", "cancelled" -> throw new IOException("QEMU's migration to " + state + " ended "
                        + status + ": " + QmpClient.field(info, "error-desc").orElse("no error-desc"));
                default -> {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("QEMU's migration still " + status + " after " + STEP_TIMEOUT.toSeconds() + " s");
                    }
                    Thread.sleep(10);
                }
            }
        }
    }

    /** QEMU may close the socket before or after its reply to quit; either way it is going. */
    private static void quit(QmpClient client) {
        try {
            client.execute("quit", Map.of());
        } catch (IOException e) {
            // The exit is checked by the caller.
        }
    }

    /** One restore from the saved file to agent-ready, then one exec(["true"]); the process is killed after. */
    Timings restore() throws IOException, InterruptedException, ExecTimeoutException {
        Path qmp = freshSocket("restore.qmp");
        try (WatchedProcess qemu = WatchedProcess.start(peer.restoreCommand(qmp, state))) {
            try (QmpClient client = QmpClient.connect(qmp, STEP_TIMEOUT)) {
                awaitLoaded(client);
                long loaded = qemu.nanosSinceStart();
                client.execute("cont", Map.of());
                Ready ready = agentAfterRestore();
                long readyAt = qemu.nanosSinceStart();
                long start = System.nanoTime();
                AgentClient agent = ready.agent();
                int attempts = ready.attempts();
                try {
                    ProcessResult result;
                    try {
                        result = agent.exec(ExecRequest.builder(RigBench.TRUE).build());
                    } catch (IOException e) {
                        // The transport reset came after the ping: what a user's first exec meets too.
                        agent.close();
                        Ready again = agentAfterRestore();
                        agent = again.agent();
                        attempts += again.attempts();
                        result = agent.exec(ExecRequest.builder(RigBench.TRUE).build());
                    }
                    long firstExec = System.nanoTime() - start;
                    if (result.exitCode() != 0) {
                        throw new IOException("exec(true) after QEMU's restore exited " + result.exitCode());
                    }
                    return new Timings(loaded, readyAt, firstExec, attempts);
                } finally {
                    agent.close();
                }
            } catch (IOException | IllegalStateException e) {
                throw new IOException("QEMU's restore failed: " + e.getMessage() + "; QEMU's last output:\n"
                        + qemu.recentOutput(), e);
            }
        }
    }

    /**
     * Waits while QEMU loads the incoming stream ({@code inmigrate}); the saved VM was stopped, so
     * a loaded one is {@code paused}. Any other state means the load failed.
     */
    private static void awaitLoaded(QmpClient client) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (true) {
            String status = QmpClient.field(client.execute("query-status", Map.of()), "status").orElse("none");
            switch (status) {
                case "paused" -> {
                    return;
                }
                case "inmigrate" -> {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("QEMU still loading its migration stream after " + STEP_TIMEOUT.toSeconds() + " s");
                    }
                    Thread.sleep(2);
                }
                default -> throw new IOException("QEMU's incoming migration ended in state " + status + ", not paused");
            }
        }
    }

    /**
     * The first agent connection that answers its HELLO and a ping. A connection made right after
     * {@code cont}, before the guest has handled QEMU's TRANSPORT_RESET, hears nothing, and the
     * agent (one connection at a time) serves no other until the host closes it; in the rig a first
     * connection sat out a whole 5 s HELLO timeout, and staggered parallel ones queued behind it.
     * So each attempt waits a short, doubling time ({@link #FIRST_HELLO_WAIT}, up to
     * {@link #HELLO_TIMEOUT}) before it is closed and the next one made; the attempts are counted.
     */
    private static Ready agentAfterRestore() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Duration wait = FIRST_HELLO_WAIT;
        for (int attempt = 1; ; attempt++) {
            AgentClient agent = null;
            try {
                agent = AgentClient.connect(VsockChannel.connect(FlintBoot.GUEST_CID, FlintBoot.AGENT_PORT), wait);
                agent.ping();
                return new Ready(agent, attempt);
            } catch (IOException e) {
                if (agent != null) {
                    agent.close();
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("the restored guest's agent gave no HELLO and ping over vsock for 20 s ("
                            + attempt + " connections): " + e.getMessage(), e);
                }
                wait = wait.multipliedBy(2).compareTo(HELLO_TIMEOUT) > 0 ? HELLO_TIMEOUT : wait.multipliedBy(2);
                Thread.sleep(2);
            }
        }
    }

    private Path freshSocket(String name) throws IOException {
        Path socket = directory.resolve(name);
        Files.deleteIfExists(socket);
        return socket;
    }
}
