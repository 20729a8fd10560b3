package dev.flint.benchmarks.agent;

import dev.flint.agent.ExecRequest;
import dev.flint.agent.Frame;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The host side of the agent protocol (guest-agent/PROTOCOL.md) on the CPU alone: encoding an
 * EXEC frame for a typical command, and encoding and decoding a full 64 KiB STDOUT frame, the
 * size the guest's pipes deliver under load. Decoding reads from an in-memory channel.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class FrameCodecBenchmark {
    /**
     * {@code ExecRequest.encode()} is package-private: AgentClient is its only caller and needs a
     * live agent. The benchmarks run on the class path (one unnamed module), where a private
     * lookup may reach it; a constant handle costs nothing once compiled.
     */
    private static final MethodHandle ENCODE_EXEC = execEncoder();

    private ExecRequest exec;
    private byte[] output;
    private ReplayChannel execOnWire;
    private ReplayChannel outputOnWire;

    @Setup
    public void frames() throws Throwable {
        exec = ExecRequest.builder(List.of("/bin/sh", "-c", "uname -a && ls -l /tmp"))
                .env("PATH", "/usr/local/bin:/usr/bin:/bin")
                .env("HOME", "/root")
                .env("LANG", "C.UTF-8")
                .workdir("/tmp")
                .timeout(Duration.ofSeconds(30))
                .build();
        output = new byte[64 * 1024];
        new Random(1).nextBytes(output);
        execOnWire = new ReplayChannel(encodeExec());
        outputOnWire = new ReplayChannel(new Frame(Frame.STDOUT, 1, output).encode());
    }

    @Benchmark
    public ByteBuffer encodeExecRequest() throws Throwable {
        return encodeExec();
    }

    /** Frame-level only: the guest's agent (C) parses an EXEC payload, the host never does. */
    @Benchmark
    public Frame decodeExecFrame() throws IOException {
        return Frame.read(execOnWire.rewind());
    }

    @Benchmark
    public ByteBuffer encodeOutput64k() {
        return new Frame(Frame.STDOUT, 1, output).encode();
    }

    @Benchmark
    public Frame decodeOutput64k() throws IOException {
        return Frame.read(outputOnWire.rewind());
    }

    private ByteBuffer encodeExec() throws Throwable {
        return new Frame(Frame.EXEC, 1, (byte[]) ENCODE_EXEC.invokeExact(exec)).encode();
    }

    private static MethodHandle execEncoder() {
        try {
            return MethodHandles.privateLookupIn(ExecRequest.class, MethodHandles.lookup())
                    .findVirtual(ExecRequest.class, "encode", MethodType.methodType(byte[].class));
        } catch (ReflectiveOperationException | IllegalAccessError e) {
            throw new IllegalStateException("cannot reach ExecRequest.encode(): run the benchmarks on the class path", e);
        }
    }
}
