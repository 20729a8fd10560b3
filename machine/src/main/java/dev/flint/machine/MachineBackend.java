package dev.flint.machine;

import dev.flint.virtio.vsock.VsockMuxer;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a {@link Machine} handle drives: a VM in this JVM ({@link LocalMachine}) or one a server
 * hosts ({@link RemoteMachine}). Arguments arrive validated by the handle, so both backends
 * see the same calls and answer with the same exceptions.
 */
interface MachineBackend {
    String id();

    MachineConfig config();

    MachineState status();

    void start(Duration bootTimeout);

    void stop(Duration timeout);

    void restart();

    void delete();

    ExecResult exec(List<String> argv, ExecOptions options);

    /** Streams output to the consumers as it comes; the result carries the exit status and no output. */
    ExecResult exec(List<String> argv, ExecOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr);

    /**
     * Runs {@code argv} in the root of OCI image {@code image} (pulled by the options' policy);
     * streams to the consumers as {@link #exec(List, ExecOptions, Consumer, Consumer)} does, or
     * buffers the output when they are null.
     */
    ExecResult run(String image, List<String> argv, RunOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr);

    /** Saves the running guest and releases its VM: {@link MachineState#PAUSED} until {@link #resume}. */
    void pause();

    /** Restores a paused machine and waits up to {@code timeout} for its agent. */
    void resume(Duration timeout);

    /** Takes snapshot {@code name} of the running machine, which runs on. */
    default void snapshot(String name) {
        throw new FlintException("machine " + config().name() + " cannot be snapshotted here");
    }

    /** Makes running clones named {@code names} of the running machine, which runs on. */
    default List<Machine> fork(List<String> names) {
        throw new FlintException("machine " + config().name() + " cannot be forked here");
    }

    /**
     * Writes the running machine's snapshot into {@code directory} ({@link SnapshotStore}'s layout);
     * only a machine in this JVM has one to write.
     */
    default void saveSnapshot(java.nio.file.Path directory, String name) {
        throw new FlintException("machine " + config().name() + " is not hosted in this JVM");
    }

    /**
     * Takes this running machine (one a warm pool made) as {@code config}'s: its name (the guest's
     * new hostname), env, metadata and time to live; its hardware stays.
     */
    default void adopt(MachineConfig config) {
        throw new FlintException("machine " + config().name() + " cannot be checked out of a warm pool here");
    }

    /** The running machine's files through its agent. */
    default MachineFiles files() {
        throw new FlintException("the files of machine " + config().name() + " cannot be reached here; use a machine"
                + " in this JVM");
    }

    /** Starts {@code argv} on a terminal of {@code size}, its output to {@code output}. */
    default TerminalSession openTerminal(List<String> argv, ExecOptions options, dev.flint.agent.TerminalSize size,
                                         Consumer<byte[]> output) {
        throw new FlintException("a terminal in machine " + config().name() + " reaches only a machine in this JVM"
                + " for now; use exec, or run the program in the JVM that hosts the machine");
    }

    MachineInfo info();

    /** Counters since the last start; a paused machine resumes for them only if {@code wake}, else is an error. */
    MachineMetrics metrics(boolean wake);

    /** Replaces the machine's own env (already validated) and keeps it with the machine. */
    void setEnv(java.util.Map<String, String> env);

    /** The machine's own env as it is now. */
    default java.util.Map<String, String> env() {
        return config().env();
    }

    /** The host at which the caller reaches forwarded port {@code port}. */
    default String reachableHost(PortSpec port) {
        return port.hostAddress().equals("0.0.0.0") ? "127.0.0.1" : port.hostAddress();
    }

    String consoleLog();

    /** The host side of the machine's vsock; only a machine in this JVM has one to hand out. */
    VsockMuxer vsock();

    /** {@code listener} runs each time the machine changes state by itself (its guest powered off or crashed). */
    default void onStateChange(Runnable listener) {
    }
}
