package dev.flint.benchmarks.vsock;

import dev.flint.agent.AgentClient;
import dev.flint.agent.Frame;
import dev.flint.benchmarks.queue.RingDriver;
import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.virtio.vsock.VsockHeader;
import dev.flint.virtio.vsock.VsockMuxer;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * A guest on its own thread that plays the Linux vsock driver and {@code flint-agent} for one
 * connection, so a benchmark measures the host side of an exec with its thread hand-offs: it
 * takes the rx buffers the device filled (woken by the device's interrupt, an unpark here),
 * answers the host's REQUEST, says HELLO, and answers every EXEC with STARTED, optional STDOUT
 * and EXIT, each frame in its own packets as the agent's writes make them; it kicks tx and rx
 * through eventfds, as KVM's ioeventfds would. It keeps to the host's credit, and allocates
 * nothing per exec, so the allocation a run reports is the host's.
 */
final class ScriptedAgentGuest implements Runnable {
    static final long GUEST_CID = 3;
    static final int AGENT_PORT = 1024;
    private static final int BUFFER_BYTES = 256 * 1024;
    private static final int RX_BUFFERS = 32;
    private static final int RX_PAYLOAD = 4096;
    private static final int TX_SLOTS = 3;
    /** Linux's largest vsock packet payload (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE). */
    private static final int TX_PAYLOAD = 64 * 1024;
    private static final int PID = 42;

    private final RingDriver rx;
    private final RingDriver tx;
    private final RingDriver events;
    private final EventFd txKick;
    private final EventFd rxKick;
    private final int[] freeTx = new int[TX_SLOTS];
    private int freeTxCount;
    private volatile Thread thread;
    private volatile boolean running = true;

    // The connection, as the guest sees it.
    private int hostPort = -1;
    private int received;
    private int receivedAdvertised;
    private int sent;
    private int hostBufAlloc;
    private int hostForwarded;
    private int controlOwed;

    // Frames from the host: one parsed at a time out of this buffer.
    private final byte[] inbox = new byte[Frame.HEADER + Frame.MAX_PAYLOAD];
    private int inboxLength;

    // Frames to the host: a queue of (template, id), the head one being sent from templateOffset.
    private final byte[] hello;
    private final byte[] startedFrame = frame(Frame.STARTED, ByteBuffer.allocate(4).putInt(PID).array());
    private final byte[] stdoutFrame;
    private final byte[] exitFrame = frame(Frame.EXIT, new byte[8]);
    private final byte[][] outFrames = new byte[64][];
    private final int[] outIds = new int[64];
    private int outHead;
    private int outCount;
    private int templateOffset;
    private long execs;

    /** A guest over {@code memory} (3 {@link RingDriver#SPAN}s from 0) whose EXECs print {@code outputBytes}. */
    ScriptedAgentGuest(GuestMemory memory, int outputBytes, EventFd txKick, EventFd rxKick) {
        if (outputBytes > Frame.MAX_PAYLOAD) {
            throw new IllegalArgumentException("one STDOUT frame holds at most " + Frame.MAX_PAYLOAD + " bytes");
        }
        this.rx = new RingDriver(memory, 256, 0);
        this.tx = new RingDriver(memory, 256, RingDriver.SPAN);
        this.events = new RingDriver(memory, 256, 2 * RingDriver.SPAN);
        this.txKick = txKick;
        this.rxKick = rxKick;
        this.stdoutFrame = outputBytes == 0 ? null : frame(Frame.STDOUT, new byte[outputBytes]);
        byte[] version = "scripted".getBytes(StandardCharsets.UTF_8);
        this.hello = frame(Frame.HELLO, ByteBuffer.allocate(2 + version.length)
                .putShort((short) AgentClient.PROTOCOL_VERSION).put(version).array());
        for (int i = 0; i < TX_SLOTS; i++) {
            freeTx[freeTxCount++] = tx.chain(RingDriver.Part.readable(VsockHeader.SIZE), RingDriver.Part.readable(TX_PAYLOAD));
        }
        for (int i = 0; i < RX_BUFFERS; i++) {
            rx.publish(rx.chain(RingDriver.Part.writable(VsockHeader.SIZE + RX_PAYLOAD)));
        }
    }

    private static byte[] frame(int type, byte[] payload) {
        return ByteBuffer.allocate(Frame.HEADER + payload.length).putInt(payload.length).put((byte) type).putInt(0)
                .put(payload).array();
    }

    /** The device's view of the three queues: rx, tx, event. */
    List<Virtqueue> queues() {
        return List.of(rx.queue(false), tx.queue(false), events.queue(false));
    }

    /** What the device signals: an interrupt wakes the guest thread. */
    VirtioDevice.DriverSignals signals() {
        return new VirtioDevice.DriverSignals() {
            @Override
            public void usedBuffers() {
                LockSupport.unpark(thread);
            }

            @Override
            public void deviceBroken() {
                running = false;
                LockSupport.unpark(thread);
            }
        };
    }

    /** EXECs answered so far. */
    long execs() {
        return execs;
    }

    void start() {
        thread = Thread.ofPlatform().name("scripted-guest").daemon().start(this);
    }

    void stop() throws InterruptedException {
        running = false;
        LockSupport.unpark(thread);
        thread.join(5_000);
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            while (running) {
                boolean progress = reclaimTx();
                progress |= drainRx();
                progress |= send();
                if (!progress) {
                    LockSupport.park(this);
                }
            }
        } catch (ErrnoException e) {
            throw new IllegalStateException("kicking the device failed: " + e.getMessage(), e);
        }
    }

    private boolean reclaimTx() {
        boolean any = false;
        for (int head = tx.takeUsed(); head >= 0; head = tx.takeUsed()) {
            freeTx[freeTxCount++] = head;
            any = true;
        }
        return any;
    }

    private boolean drainRx() throws ErrnoException {
        boolean any = false;
        for (int head = rx.takeUsed(); head >= 0; head = rx.takeUsed()) {
            MemorySegment packet = rx.buffer(head);
            int length = rx.lastUsedLength() - VsockHeader.SIZE;
            onPacket(packet, length);
            rx.publish(head);
            any = true;
        }
        if (any) {
            rxKick.signal();   // Linux refills and kicks rx after every batch it took
        }
        return any;
    }

    private void onPacket(MemorySegment packet, int payloadLength) {
        int op = Short.toUnsignedInt(packet.get(JAVA_SHORT_UNALIGNED, 30));
        int srcPort = packet.get(JAVA_INT_UNALIGNED, 16);
        hostBufAlloc = packet.get(JAVA_INT_UNALIGNED, 36);
        hostForwarded = packet.get(JAVA_INT_UNALIGNED, 40);
        switch (op) {
            case VsockHeader.OP_REQUEST -> {
                hostPort = srcPort;
                controlOwed = VsockHeader.OP_RESPONSE;
                queueFrame(hello, 0);
            }
            case VsockHeader.OP_RW -> {
                MemorySegment.copy(packet, JAVA_BYTE, VsockHeader.SIZE, inbox, inboxLength, payloadLength);
                inboxLength += payloadLength;
                received += payloadLength;
                takeFrames();
            }
            case VsockHeader.OP_CREDIT_REQUEST -> controlOwed = VsockHeader.OP_CREDIT_UPDATE;
            default -> {
                // RESPONSE, CREDIT_UPDATE (credit taken above), SHUTDOWN, RST: nothing to answer.
            }
        }
    }

    /** Answers every whole frame in the inbox. */
    private void takeFrames() {
        int at = 0;
        while (inboxLength - at >= Frame.HEADER) {
            ByteBuffer header = ByteBuffer.wrap(inbox, at, Frame.HEADER);
            int length = header.getInt();
            int type = header.get();
            int id = header.getInt();
            if (inboxLength - at - Frame.HEADER < length) {
                break;
            }
            if (type == Frame.EXEC) {
                execs++;
                queueFrame(startedFrame, id);
                if (stdoutFrame != null) {
                    queueFrame(stdoutFrame, id);
                }
                queueFrame(exitFrame, id);
            }
            at += Frame.HEADER + length;
        }
        System.arraycopy(inbox, at, inbox, 0, inboxLength - at);
        inboxLength -= at;
    }

    private void queueFrame(byte[] template, int id) {
        if (outCount == outFrames.length) {
            throw new IllegalStateException("the scripted guest has " + outCount + " frames waiting; the host stopped reading");
        }
        int slot = (outHead + outCount++) % outFrames.length;
        outFrames[slot] = template;
        outIds[slot] = id;
    }

    /** Sends what is owed within the host's credit and the free tx slots, then kicks tx once. */
    private boolean send() throws ErrnoException {
        boolean any = false;
        while (freeTxCount > 0) {
            int head;
            if (controlOwed != 0) {
                head = packet(controlOwed, 0);
                controlOwed = 0;
            } else if (outCount > 0 && hostCredit() > 0) {
                byte[] template = outFrames[outHead];
                int n = Math.min(Math.min(template.length - templateOffset, TX_PAYLOAD), hostCredit());
                head = packet(VsockHeader.OP_RW, n);
                copyFrame(template, outIds[outHead], tx.buffer(head + 1), n);
                templateOffset += n;
                sent += n;
                if (templateOffset == template.length) {
                    outHead = (outHead + 1) % outFrames.length;
                    outCount--;
                    templateOffset = 0;
                }
            } else if (received - receivedAdvertised >= BUFFER_BYTES / 4) {
                head = packet(VsockHeader.OP_CREDIT_UPDATE, 0);
            } else {
                break;
            }
            tx.publish(head);
            any = true;
        }
        if (any) {
            txKick.signal();
        }
        return any;
    }

    private int hostCredit() {
        return hostBufAlloc - (sent - hostForwarded);
    }

    /** Takes a tx slot and writes a packet header for {@code payload} bytes; returns its head. */
    private int packet(int op, int payload) {
        int head = freeTx[--freeTxCount];
        tx.resize(head + 1, payload);
        MemorySegment header = tx.buffer(head);
        header.set(JAVA_LONG_UNALIGNED, 0, GUEST_CID);
        header.set(JAVA_LONG_UNALIGNED, 8, VsockMuxer.HOST_CID);
        header.set(JAVA_INT_UNALIGNED, 16, AGENT_PORT);
        header.set(JAVA_INT_UNALIGNED, 20, hostPort);
        header.set(JAVA_INT_UNALIGNED, 24, payload);
        header.set(JAVA_SHORT_UNALIGNED, 28, (short) VsockHeader.TYPE_STREAM);
        header.set(JAVA_SHORT_UNALIGNED, 30, (short) op);
        header.set(JAVA_INT_UNALIGNED, 32, 0);
        header.set(JAVA_INT_UNALIGNED, 36, BUFFER_BYTES);
        header.set(JAVA_INT_UNALIGNED, 40, received);
        receivedAdvertised = received;
        return head;
    }

    /** Copies the next {@code n} bytes of the frame, its id (big-endian, bytes 5-8) patched in. */
    private void copyFrame(byte[] template, int id, MemorySegment target, int n) {
        MemorySegment.copy(template, templateOffset, target, JAVA_BYTE, 0, n);
        for (int i = 5; i < 9; i++) {
            int at = i - templateOffset;
            if (at >= 0 && at < n) {
                target.set(JAVA_BYTE, at, (byte) (id >>> (8 * (8 - i))));
            }
        }
    }

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("the scripted guest writes little-endian vsock headers natively");
        }
    }
}
