package dev.flint.machine;

import dev.flint.virtio.vsock.VsockMuxer;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * A machine as its {@link LocalEngine} hands it out: the backend, with the engine told of every
 * state change (so the store follows a stop, a crash or an expired time to live) and of the
 * delete (so the engine forgets it).
 */
final class HostedMachine implements MachineBackend {
    private final LocalEngine engine;
    private final MachineBackend backend;
    private volatile MachineState recorded;

    HostedMachine(LocalEngine engine, MachineBackend backend) {
        this.engine = engine;
        this.backend = backend;
        this.recorded = backend.status();
        backend.onStateChange(this::status);   // a crash reaches the store without waiting for a call
    }

    @Override
    public String id() {
        return backend.id();
    }

    @Override
    public MachineFiles files() {
        return backend.files();
    }

    @Override
    public MachineConfig config() {
        return backend.config();
    }

    @Override
    public MachineState status() {
        MachineState state = backend.status();
        if (state != recorded) {
            record();
        }
        return state;
    }

    /** Tells the engine the state as it is now. */
    void record() {
        MachineInfo info = backend.info();
        recorded = info.state();
        engine.recordState(info);
    }

    @Override
    public void start(java.time.Duration bootTimeout) {
        try {
            backend.start(bootTimeout);
        } finally {
            record();
        }
    }

    @Override
    public void stop(Duration timeout) {
        try {
            backend.stop(timeout);
        } finally {
            record();
        }
    }

    @Override
    public void restart() {
        try {
            backend.restart();
        } finally {
            record();
        }
    }

    @Override
    public void pause() {
        try {
            backend.pause();
        } finally {
            record();
        }
    }

    @Override
    public void resume(Duration timeout) {
        try {
            backend.resume(timeout);
        } finally {
            record();
        }
    }

    @Override
    public void snapshot(String name) {
        engine.snapshot(backend, name);
    }

    @Override
    public List<Machine> fork(List<String> names) {
        return engine.fork(backend, names);
    }

    @Override
    public void saveSnapshot(java.nio.file.Path directory, String name) {
        backend.saveSnapshot(directory, name);
    }

    @Override
    public void delete() {
        if (backend.status() == MachineState.DELETED) {
            return;
        }
        try {
            backend.delete();
        } finally {
            engine.forget(backend.id());
        }
    }

    @Override
    public ExecResult exec(List<String> argv, ExecOptions options) {
        return backend.exec(argv, options);
    }

    @Override
    public ExecResult exec(List<String> argv, ExecOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr) {
        return backend.exec(argv, options, onStdout, onStderr);
    }

    @Override
    public ExecResult run(String image, List<String> argv, RunOptions options, Consumer<byte[]> onStdout,
                          Consumer<byte[]> onStderr) {
        return backend.run(image, argv, options, onStdout, onStderr);
    }

    @Override
    public TerminalSession openTerminal(List<String> argv, ExecOptions options, dev.flint.agent.TerminalSize size,
                                        Consumer<byte[]> output) {
        return backend.openTerminal(argv, options, size, output);
    }

    @Override
    public MachineInfo info() {
        MachineInfo info = backend.info();
        if (info.state() != recorded) {
            recorded = info.state();
            engine.recordState(info);
        }
        return info;
    }

    @Override
    public MachineMetrics metrics(boolean wake) {
        return backend.metrics(wake);
    }

    /** The store keeps the new env, so a server that restarts hands it to the machine again. */
    @Override
    public void setEnv(java.util.Map<String, String> env) {
        backend.setEnv(env);
        engine.recordConfig(backend.id(), backend.config());
    }

    @Override
    public String consoleLog() {
        return backend.consoleLog();
    }

    @Override
    public VsockMuxer vsock() {
        return backend.vsock();
    }
}
