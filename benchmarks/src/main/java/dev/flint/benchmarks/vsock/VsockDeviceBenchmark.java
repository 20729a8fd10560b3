package dev.flint.benchmarks.vsock;

import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.virtio.vsock.VsockStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One small (64-byte) stream packet through the virtio-vsock device in each direction, with a
 * scripted guest driver on heap memory and the host's {@link VsockStream} on the other side.
 * Everything runs on the benchmark thread, as the device's event loop would run it, so the
 * score is the CPU cost of the path, without thread hand-offs or wake-ups.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VsockDeviceBenchmark {
    private static final int HOST_PORT = 1024;
    private static final int PAYLOAD = 64;

    private GuestVsockDriver guest;
    private VirtioVsock device;
    private VsockStream host;
    private final ByteBuffer hostBuffer = ByteBuffer.allocate(PAYLOAD);

    @Setup
    public void connect() throws Exception {
        device = new VirtioVsock(GuestVsockDriver.GUEST_CID);
        CompletableFuture<VsockStream> accepted = new CompletableFuture<>();
        device.muxer().listen(HOST_PORT, accepted::complete);
        guest = new GuestVsockDriver(device, PAYLOAD);
        guest.connect(HOST_PORT);
        host = accepted.get(10, TimeUnit.SECONDS);
    }

    @TearDown
    public void close() {
        device.reset();
    }

    /** Host write, the device filling one rx buffer, the guest taking it and reposting the buffer. */
    @Benchmark
    public int hostToGuest() throws IOException {
        hostBuffer.clear();
        host.write(hostBuffer);
        device.pumpRx();
        int received = guest.receive();
        if (received != PAYLOAD) {
            throw new IllegalStateException("guest received " + received + " bytes, expected " + PAYLOAD);
        }
        return received;
    }

    /** The guest's tx packet, the device handing it to the muxer, the host reading it. */
    @Benchmark
    public int guestToHost() throws IOException {
        guest.sendData();
        hostBuffer.clear();
        int read = host.read(hostBuffer);
        // Credit updates the host owes the guest arrive in rx now and then.
        guest.receive();
        return read;
    }
}
