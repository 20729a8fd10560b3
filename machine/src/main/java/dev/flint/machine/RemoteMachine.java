package dev.flint.machine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.agent.BoundedOutput;
import dev.flint.machine.wire.ApiErrors;
import dev.flint.machine.wire.MachineJson;
import dev.flint.virtio.vsock.VsockMuxer;

import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** A machine a Flint server hosts, driven through its HTTP API by {@link RemoteEngine}. */
final class RemoteMachine implements MachineBackend {
    private final RemoteEngine engine;
    private final String id;
    private final MachineConfig config;
    private final String path;
    private volatile boolean deleted;

    RemoteMachine(RemoteEngine engine, String id, MachineConfig config) {
        this.engine = engine;
        this.id = id;
        this.config = config;
        this.path = RemoteEngine.machinePath(id);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public MachineConfig config() {
        return config;
    }

    @Override
    public MachineState status() {
        return info().state();
    }

    @Override
    public void start(Duration bootTimeout) {
        engine.call("POST", path + "/start", MachineJson.object().put("bootTimeoutMs", bootTimeout.toMillis()));
    }

    @Override
    public void stop(Duration timeout) {
        engine.call("POST", path + "/stop", MachineJson.object().put("timeoutMs", timeout.toMillis()));
    }

    @Override
    public void pause() {
        engine.call("POST", path + "/pause", MachineJson.object());
    }

    @Override
    public void resume(Duration timeout) {
        engine.call("POST", path + "/resume", MachineJson.object().put("timeoutMs", timeout.toMillis()));
    }

    @Override
    public void snapshot(String name) {
        engine.call("POST", path + "/snapshot", MachineJson.object().put("name", name));
    }

    /** The server makes the clones; this side gets a handle on each. */
    @Override
    public List<Machine> fork(List<String> names) {
        com.fasterxml.jackson.databind.node.ObjectNode body = MachineJson.object().put("count", names.size());
        names.forEach(body.putArray("names")::add);
        JsonNode answer = engine.call("POST", path + "/fork", body);
        List<Machine> clones = new java.util.ArrayList<>();
        for (JsonNode clone : answer.path("machines")) {
            clones.add(engine.handle(clone));
        }
        return clones;
    }

    @Override
    public void restart() {
        engine.call("POST", path + "/restart", MachineJson.object());
    }

    /** Deletes the machine in the server; deleting it again (or after another client did) does nothing. */
    @Override
    public void delete() {
        if (deleted) {
            return;
        }
        try {
            engine.call("DELETE", path, null);
        } catch (MachineNotFoundException e) {
            // Already gone: delete is idempotent, as it is locally.
        }
        deleted = true;
    }

    @Override
    public ExecResult exec(List<String> argv, ExecOptions options) {
        return buffered(options.maxOutputBytes(), (stdout, stderr) -> exec(argv, options, stdout, stderr));
    }

    /** The server streams all the output; this side keeps at most {@code maxOutput} bytes of each stream. */
    private static ExecResult buffered(int maxOutput,
                                       java.util.function.BiFunction<Consumer<byte[]>, Consumer<byte[]>, ExecResult> command) {
        BoundedOutput stdout = new BoundedOutput(maxOutput);
        BoundedOutput stderr = new BoundedOutput(maxOutput);
        ExecResult status = command.apply(stdout::write, stderr::write);
        return new ExecResult(status.command(), status.exitCode(), status.signal(), stdout.toByteArray(),
                stderr.toByteArray(), stdout.truncated() || stderr.truncated());
    }

    /** Reads the server's exec frames (stdout, stderr, then exit or error) as they arrive. */
    @Override
    public ExecResult exec(List<String> argv, ExecOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr) {
        return streamed("/exec", MachineJson.exec(argv, options), argv, onStdout, onStderr);
    }

    /** Runs in the server's machine: the image is pulled into the server's store, not this host's. */
    @Override
    public ExecResult run(String image, List<String> argv, RunOptions options, Consumer<byte[]> onStdout,
                          Consumer<byte[]> onStderr) {
        if (onStdout == null) {
            return buffered(options.exec().maxOutputBytes(),
                    (stdout, stderr) -> streamed("/run", MachineJson.run(image, argv, options), argv, stdout, stderr));
        }
        return streamed("/run", MachineJson.run(image, argv, options), argv, onStdout, onStderr);
    }

    private ExecResult streamed(String route, ObjectNode body, List<String> argv, Consumer<byte[]> onStdout,
                                Consumer<byte[]> onStderr) {
        requireNotDeleted();
        try (Stream<String> lines = engine.lines("POST", path + route, body)) {
            Iterator<String> frames = lines.iterator();
            while (frames.hasNext()) {
                String line = frames.next();
                if (line.isBlank()) {
                    continue;
                }
                JsonNode frame = MachineJson.parse(line, "exec frame");
                switch (frame.path("type").asText()) {
                    case "stdout" -> onStdout.accept(Base64.getDecoder().decode(frame.path("data").asText()));
                    case "stderr" -> onStderr.accept(Base64.getDecoder().decode(frame.path("data").asText()));
                    case "exit" -> {
                        return new ExecResult(argv, frame.path("exitCode").asInt(), frame.path("signal").asInt(),
                                new byte[0], new byte[0]);
                    }
                    case "error" -> throw ApiErrors.exception(frame.path("error"));
                    default -> throw new FlintException("the server sent an exec frame of unknown type: " + line);
                }
            }
        }
        throw new AgentUnavailableException("the server ended the output of " + String.join(" ", argv)
                + " without its exit status (connection lost?); check the machine with info()", null);
    }

    @Override
    public MachineInfo info() {
        if (deleted) {
            return deletedInfo();
        }
        try {
            return MachineJson.info(engine.call("GET", path, null));
        } catch (MachineNotFoundException e) {
            deleted = true;   // another client deleted it
            return deletedInfo();
        }
    }

    private MachineInfo deletedInfo() {
        return new MachineInfo(config.name(), MachineState.DELETED, config.cpus(), config.memoryMb(), config.diskMb(),
                config.mounts(), java.util.Optional.empty(), List.of(), config.metadata(), java.time.Instant.EPOCH,
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.of("deleted"), id);
    }

    @Override
    public MachineMetrics metrics(boolean wake) {
        requireNotDeleted();
        return MachineJson.metrics(engine.call("GET", path + "/metrics" + (wake ? "" : "?wake=false"), null));
    }

    @Override
    public TerminalSession openTerminal(List<String> argv, ExecOptions options, dev.flint.agent.TerminalSize size,
                                        Consumer<byte[]> output) {
        requireNotDeleted();
        return RemoteTerminal.open(engine, path, argv, options, size, output);
    }

    @Override
    public MachineFiles files() {
        requireNotDeleted();
        return new RemoteMachineFiles(engine, path);
    }

    @Override
    public void setEnv(java.util.Map<String, String> env) {
        requireNotDeleted();
        engine.call("PUT", path + "/env", MachineJson.env(env));
    }

    @Override
    public java.util.Map<String, String> env() {
        requireNotDeleted();
        return MachineJson.env(engine.call("GET", path + "/env", null));
    }

    /** A forwarded port listens on the server's host; a loopback one is reached only there. */
    @Override
    public String reachableHost(PortSpec port) {
        return engine.server().getHost();
    }

    @Override
    public String consoleLog() {
        requireNotDeleted();
        return engine.text(path + "/logs");
    }

    @Override
    public VsockMuxer vsock() {
        throw new FlintException("vsock() reaches a machine only in the JVM that hosts it; machine " + config.name()
                + " runs in the server at " + engine.server() + ": forward a port (MachineConfig ports) or use exec");
    }

    private void requireNotDeleted() {
        if (deleted) {
            MachineLifecycle.require(config.name(), MachineState.DELETED, MachineLifecycle.Action.EXEC);
        }
    }
}
