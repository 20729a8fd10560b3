package dev.flint.benchmarks.vsock;

import dev.flint.agent.AgentClient;
import dev.flint.agent.ExecRequest;
import dev.flint.agent.ProcessResult;
import dev.flint.benchmarks.queue.RingDriver;
import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.vmm.EventLoop;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The host side of one exec round trip over virtio-vsock, threads and all: {@link AgentClient}
 * on a {@code VsockStream} sends EXEC, the muxer wakes the device, the device (on a real
 * {@link EventLoop} thread, woken through its eventfd) fills an rx buffer in mmap'ed guest
 * memory and interrupts the guest; a {@link ScriptedAgentGuest} on its own thread answers
 * STARTED, STDOUT ({@code outputBytes} of it) and EXIT on tx and kicks the device through an
 * eventfd, as KVM's ioeventfd would; the device hands the packets to the muxer, the client's
 * reader thread decodes the frames and completes the exec. What it leaves out is the guest
 * itself (a vCPU, its kernel and the real agent's fork+exec) and KVM's eventfd plumbing.
 *
 * <p>Sampled, not averaged: on a shared host a preempted hand-off costs milliseconds now and
 * then, which moves the mean a lot and the median little.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ExecRoundTripBenchmark {
    private static final int TX = 1;
    private static final int RX = 0;

    /** Bytes of stdout each exec prints: 0 is {@code exec(["true"])}. */
    @Param({"0", "65536"})
    public int outputBytes;

    private GuestMemory memory;
    private EventLoop loop;
    private final List<EventFd> eventFds = new ArrayList<>();
    private VirtioVsock device;
    private ScriptedAgentGuest guest;
    private AgentClient client;
    private ExecRequest request;

    @Setup
    public void boot() throws Exception {
        memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 3 * RingDriver.SPAN)));
        loop = new EventLoop("bench-vsock", failure -> failure.printStackTrace());
        device = new VirtioVsock(ScriptedAgentGuest.GUEST_CID);
        device.attached(new LoopContext());
        EventFd txKick = onLoop(() -> device.queueNotify(TX));
        EventFd rxKick = onLoop(() -> device.queueNotify(RX));
        guest = new ScriptedAgentGuest(memory, outputBytes, txKick, rxKick);
        device.activate(guest.queues(), VirtioDevice.F_VERSION_1, guest.signals());
        guest.start();
        client = AgentClient.connect(device.muxer().connect(ScriptedAgentGuest.AGENT_PORT, Duration.ofSeconds(10)),
                Duration.ofSeconds(10));
        request = ExecRequest.builder(List.of("true")).build();
    }

    @TearDown
    public void shutDown() throws Exception {
        client.close();
        guest.stop();
        loop.close();
        device.reset();
        eventFds.forEach(EventFd::close);
        memory.close();
    }

    @Benchmark
    public ProcessResult exec() throws Exception {
        ProcessResult result = client.exec(request);
        if (result.exitCode() != 0 || result.stdout().length != outputBytes) {
            throw new IllegalStateException("exec gave exit code " + result.exitCode() + " and "
                    + result.stdout().length + " bytes of stdout, expected 0 and " + outputBytes);
        }
        return result;
    }

    private EventFd onLoop(Runnable handler) throws ErrnoException {
        EventFd fd = EventFd.create();
        eventFds.add(fd);
        loop.register(fd, handler);
        return fd;
    }

    /** The part of a VM the vsock device uses: guest memory and eventfds served by the event loop. */
    private final class LoopContext implements DeviceContext {
        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public MmioSlot attachMmio(BusDevice busDevice) {
            throw new UnsupportedOperationException("the benchmark drives the device without a transport");
        }

        @Override
        public EventFd interruptLine(int gsi) {
            throw new UnsupportedOperationException("the scripted guest is interrupted by an unpark");
        }

        @Override
        public void onMmioWrite(long address, int length, OptionalLong datamatch, Runnable handler) {
            throw new UnsupportedOperationException("the scripted guest kicks through eventfds of its own");
        }

        @Override
        public EventFd onSignal(Runnable handler) throws ErrnoException {
            return onLoop(handler);
        }

        @Override
        public java.util.concurrent.Executor ioWorker(String name) {
            throw new UnsupportedOperationException("vsock serves on the event loop");
        }

        @Override
        public void appendKernelArgs(String args) {
            throw new UnsupportedOperationException("no kernel here");
        }
    }
}
