package dev.flint.benchmarks.vsock;

import dev.flint.benchmarks.queue.RingDriver;
import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.vsock.VirtioVsock;
import dev.flint.virtio.vsock.VsockHeader;
import dev.flint.virtio.vsock.VsockMuxer;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A guest's virtio-vsock driver reduced to what the benchmarks need: it owns the three queues
 * of a {@link VirtioVsock} over heap guest memory, sends REQUEST, RW and CREDIT_UPDATE packets
 * on tx, and reposts rx buffers as the device fills them, granting credit the way Linux does
 * (a CREDIT_UPDATE once a quarter of its buffer was consumed) so that a long run never stalls.
 */
final class GuestVsockDriver {
    static final long GUEST_CID = 3;
    static final int GUEST_PORT = 5000;
    static final int BUFFER_BYTES = 256 * 1024;
    private static final int TX = 1;
    private static final int RX_BUFFERS = 32;
    private static final int RX_BUFFER_BYTES = VsockHeader.SIZE + 4096;

    private final VirtioVsock device;
    private final RingDriver rx;
    private final RingDriver tx;
    private final int controlHead;
    private final int dataHead;
    private final int payloadBytes;
    private int hostPort;
    private int received;
    private int receivedAdvertised;
    private int lastOp;

    /** A driver bound to {@code device}, which it activates; data packets carry {@code payloadBytes}. */
    GuestVsockDriver(VirtioVsock device, int payloadBytes) {
        this.device = device;
        this.payloadBytes = payloadBytes;
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 3 * RingDriver.SPAN)));
        rx = new RingDriver(memory, 256, 0);
        tx = new RingDriver(memory, 256, RingDriver.SPAN);
        RingDriver events = new RingDriver(memory, 256, 2 * RingDriver.SPAN);
        controlHead = tx.chain(RingDriver.Part.readable(VsockHeader.SIZE));
        dataHead = tx.chain(RingDriver.Part.readable(VsockHeader.SIZE), RingDriver.Part.readable(payloadBytes));
        device.activate(List.of(rx.queue(false), tx.queue(false), events.queue(false)), VirtioDevice.F_VERSION_1,
                new VirtioDevice.DriverSignals() {
                    @Override
                    public void usedBuffers() {
                        // The guest polls its used rings; an interrupt would only be counted.
                    }

                    @Override
                    public void deviceBroken() {
                        throw new IllegalStateException("the vsock device broke: see its log line");
                    }
                });
        for (int i = 0; i < RX_BUFFERS; i++) {
            rx.publish(rx.chain(RingDriver.Part.writable(RX_BUFFER_BYTES)));
        }
    }

    /** Sends REQUEST to {@code port} on the host and checks that the device answered RESPONSE. */
    void connect(int port) {
        hostPort = port;
        send(controlHead, VsockHeader.OP_REQUEST, 0);
        receive();
        if (lastOp != VsockHeader.OP_RESPONSE) {
            throw new IllegalStateException("the host answered REQUEST with " + VsockHeader.opName(lastOp));
        }
    }

    /** Sends one RW packet of the payload size (its bytes are whatever the buffer holds). */
    void sendData() {
        send(dataHead, VsockHeader.OP_RW, payloadBytes);
    }

    /** Puts one packet on tx and notifies the device, which serves it synchronously. */
    private void send(int head, int op, int length) {
        VsockHeader header = new VsockHeader(GUEST_CID, VsockMuxer.HOST_CID, GUEST_PORT, hostPort, length,
                VsockHeader.TYPE_STREAM, op, 0, BUFFER_BYTES, received);
        MemorySegment.copy(MemorySegment.ofArray(header.encode()), 0, tx.buffer(head), 0, VsockHeader.SIZE);
        tx.publish(head);
        device.queueNotify(TX);
        if (tx.takeUsed() != head) {
            throw new IllegalStateException("the device did not return the tx packet it was notified of");
        }
    }

    /**
     * Takes every rx buffer the device filled, reposts it, and grants more credit when due.
     *
     * @return payload bytes received
     */
    int receive() {
        int bytes = 0;
        for (int head = rx.takeUsed(); head >= 0; head = rx.takeUsed()) {
            MemorySegment packet = rx.buffer(head);
            VsockHeader header = VsockHeader.decode(packet.asSlice(0, VsockHeader.SIZE).asByteBuffer());
            lastOp = header.op();
            bytes += rx.lastUsedLength() - VsockHeader.SIZE;
            rx.publish(head);
        }
        received += bytes;
        if (received - receivedAdvertised >= BUFFER_BYTES / 4) {
            receivedAdvertised = received;
            send(controlHead, VsockHeader.OP_CREDIT_UPDATE, 0);
        }
        return bytes;
    }
}
