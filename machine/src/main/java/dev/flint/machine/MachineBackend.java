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

    MachineInfo info();

    MachineMetrics metrics();

    String consoleLog();

    /** The host side of the machine's vsock; only a machine in this JVM has one to hand out. */
    VsockMuxer vsock();

    /** {@code listener} runs each time the machine changes state by itself (its guest powered off or crashed). */
    default void onStateChange(Runnable listener) {
    }
}
