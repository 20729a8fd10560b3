package dev.flint.virtio.vsock;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * The host side of virtio-vsock stream sockets: connections keyed by (host port, guest port),
 * the protocol state machine for packets from the guest, the packets owed to the guest in
 * order (control first, then data within the guest's credit), and the host API
 * ({@link #connect}, {@link #listen}).
 *
 * <p>The device thread calls {@link #onGuestPacket} and {@link #nextForGuest}; host threads
 * block in {@link VsockStream}. All state is guarded by one lock; each connection has its own
 * condition on it, so a packet wakes only the stream it is for. {@code guestWork} is told
 * whenever there is something new for the guest.
 */
public final class VsockMuxer {
    public static final long HOST_CID = 2;
    /** Host-initiated connections use local ports from 2^30 up, as Firecracker does. */
    static final int FIRST_EPHEMERAL_PORT = 1 << 30;
    /**
     * Most connections open at once on one machine, host- and guest-initiated together: with
     * two buffers of at most 256 KiB each (grown as data arrives), 64 MiB at worst, what
     * Firecracker's 1023 connections of 64 KiB cost. A guest connecting beyond it gets a reset;
     * a host {@link #connect} fails with an {@link IOException} saying so.
     */
    public static final int MAX_CONNECTIONS = 128;
    /**
     * Most control packets (responses, resets, credit updates, shutdowns) waiting for the guest
     * to post rx buffers; past it new ones are dropped and counted ({@link #droppedControl}).
     */
    public static final int MAX_CONTROL = 1024;
    /**
     * Of those, resets answering guest packets that matched no connection may fill only this
     * many, so a flood of bogus packets never crowds out the replies open connections need.
     */
    static final int MAX_UNSOLICITED = 256;

    /** A packet for the guest's rx queue. */
    public record Packet(VsockHeader header, byte[] payload) {
    }

    /** A TRANSPORT_RESET went to the guest and it has not given the event buffer back yet. */
    private boolean transportResetPending;
    private record Control(int op, int hostPort, int guestPort, int flags) {
    }

    private final long guestCid;
    private final int bufferBytes;
    private final Runnable guestWork;
    private final Map<Long, VsockConnection> connections = new HashMap<>();
    private final Map<Integer, Consumer<VsockStream>> listeners = new ConcurrentHashMap<>();
    private volatile IntFunction<Consumer<VsockStream>> fallbackListener = port -> null;
    private final ArrayDeque<Control> control = new ArrayDeque<>();
    /** The last control packet queued for each connection key, to coalesce repeated resets and credit updates. */
    private final Map<Long, Control> lastControl = new HashMap<>();
    /** Connections with bytes for the guest, in the order they got them; each at most once, open ones only. */
    private final ArrayDeque<VsockConnection> withData = new ArrayDeque<>();
    private int nextEphemeralPort = FIRST_EPHEMERAL_PORT;
    private long droppedPackets;
    private long droppedControl;
    private long refusedConnections;
    final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a transport reset was handled: connects waiting for it go ahead. */
    private final Condition resetHandled = lock.newCondition();

    /**
     * @param guestCid    the guest's context id
     * @param bufferBytes each connection's buffer per direction, advertised as buf_alloc
     * @param guestWork   runs when packets are waiting for the guest (signal the device thread)
     */
    public VsockMuxer(long guestCid, int bufferBytes, Runnable guestWork) {
        if (guestCid < 3 || guestCid > 0xffff_fffeL) {
            throw new IllegalArgumentException("guest CID must be between 3 and 2^32-2 (0-2 are reserved), got " + guestCid);
        }
        this.guestCid = guestCid;
        this.bufferBytes = bufferBytes;
        this.guestWork = guestWork;
    }

    static long key(int hostPort, int guestPort) {
        return ((long) hostPort << 32) | Integer.toUnsignedLong(guestPort);
    }

    public long guestCid() {
        return guestCid;
    }

    /** Packets from the guest that broke the protocol or matched no connection. */
    public long droppedPackets() {
        return locked(() -> droppedPackets);
    }

    /** Control packets for the guest dropped because it left {@link #MAX_CONTROL} of them unread. */
    public long droppedControl() {
        return locked(() -> droppedControl);
    }

    /** Connections refused, from either side, because {@link #MAX_CONNECTIONS} were open. */
    public long refusedConnections() {
        return locked(() -> refusedConnections);
    }

    /** Connections that are not closed. */
    public int openConnections() {
        return (int) locked(connections::size);
    }

    /** A counter read under the lock (the stats getters; not a hot path). */
    private long locked(LongSupplier read) {
        lock.lock();
        try {
            return read.getAsLong();
        } finally {
            lock.unlock();
        }
    }

    // ---- guest to host ---------------------------------------------------------------------

    /** Handles one packet the guest put on its tx queue, its payload in {@code payload}. */
    public void onGuestPacket(VsockHeader header, byte[] payload) {
        onGuestPacket(header, (from, target, at, n) -> System.arraycopy(payload, (int) from, target, at, n), payload.length);
    }

    /**
     * Handles one packet from the guest whose {@code length} payload bytes {@code payload} copies
     * (from guest memory, by the device): they are copied once, into the connection's buffer.
     */
    void onGuestPacket(VsockHeader header, ByteRing.Source payload, int length) {
        lock.lock();
        try {
            handle(header, payload, length);
        } finally {
            lock.unlock();
        }
    }

    private void handle(VsockHeader header, ByteRing.Source payload, int length) {
        if (header.type() != VsockHeader.TYPE_STREAM || header.srcCid() != guestCid || header.dstCid() != HOST_CID) {
            droppedPackets++;
            if (header.op() != VsockHeader.OP_RST) {
                queueUnsolicitedReset(header);
            }
            return;
        }
        int hostPort = header.dstPort();
        int guestPort = header.srcPort();
        VsockConnection connection = connections.get(key(hostPort, guestPort));
        if (connection == null) {
            onPacketWithoutConnection(header);
            return;
        }
        connection.updatePeerCredit(header.bufAlloc(), header.fwdCnt());
        switch (header.op()) {
            case VsockHeader.OP_RESPONSE -> {
                if (connection.state == VsockConnection.State.CONNECTING) {
                    connection.state = VsockConnection.State.ESTABLISHED;
                } else {
                    reset(connection, "guest sent RESPONSE on an established connection");
                }
            }
            case VsockHeader.OP_RW -> receiveData(connection, payload, length);
            case VsockHeader.OP_CREDIT_REQUEST -> queueControl(VsockHeader.OP_CREDIT_UPDATE, hostPort, guestPort, 0);
            case VsockHeader.OP_CREDIT_UPDATE -> {
                // Credit already taken from the header: data may flow again.
            }
            case VsockHeader.OP_SHUTDOWN -> shutdownFromGuest(connection, header.flags());
            case VsockHeader.OP_RST -> close(connection, "the guest reset the connection");
            default -> reset(connection, "guest sent " + VsockHeader.opName(header.op()) + " on a connection");
        }
        if (connection.state != VsockConnection.State.CLOSED && !connection.outbound.isEmpty()) {
            queueForData(connection);
        }
        connection.wake();
        guestWork.run();
    }

    private void onPacketWithoutConnection(VsockHeader header) {
        if (header.op() == VsockHeader.OP_REQUEST) {
            Consumer<VsockStream> explicit = listeners.get(header.dstPort());
            Consumer<VsockStream> listener = explicit != null ? explicit : fallbackListener.apply(header.dstPort());
            if (listener == null) {
                queueUnsolicitedReset(header);
            } else if (connections.size() >= MAX_CONNECTIONS) {
                refusedConnections++;
                queueUnsolicitedReset(header);
            } else {
                VsockConnection connection = newConnection(header.dstPort(), header.srcPort(),
                        VsockConnection.State.ESTABLISHED);
                connection.updatePeerCredit(header.bufAlloc(), header.fwdCnt());
                connections.put(connection.key(), connection);
                queueControl(VsockHeader.OP_RESPONSE, connection.hostPort, connection.guestPort, 0);
                VsockStream stream = new VsockStream(this, connection);
                Thread.ofVirtual().name("flint-vsock-accept-" + header.dstPort()).start(() -> listener.accept(stream));
            }
        } else if (header.op() != VsockHeader.OP_RST) {
            droppedPackets++;
            queueUnsolicitedReset(header);
        }
        guestWork.run();
    }

    private void receiveData(VsockConnection connection, ByteRing.Source payload, int length) {
        if (connection.state != VsockConnection.State.ESTABLISHED || connection.peerSendClosed) {
            reset(connection, "guest sent data on a connection not open for it");
            return;
        }
        if (length > connection.inbound.free()) {
            reset(connection, "guest sent " + length + " bytes beyond the credit it was given");
            return;
        }
        connection.inbound.put(payload, length);
    }

    private void shutdownFromGuest(VsockConnection connection, int flags) {
        connection.peerSendClosed |= (flags & VsockHeader.SHUTDOWN_SEND) != 0;
        connection.peerReceiveClosed |= (flags & VsockHeader.SHUTDOWN_RECEIVE) != 0;
        if (connection.peerSendClosed && connection.peerReceiveClosed) {
            // The guest is done both ways: the RST completes its close.
            queueControl(VsockHeader.OP_RST, connection.hostPort, connection.guestPort, 0);
            close(connection, "the guest closed the connection");
        }
    }

    // ---- host to guest ---------------------------------------------------------------------

    /** The next packet for the guest with at most {@code maxPayload} data bytes, or null. */
    public Packet nextForGuest(int maxPayload) {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        VsockHeader header = nextForGuest(maxPayload, payload::write);
        return header == null ? null : new Packet(header, payload.toByteArray());
    }

    /**
     * The header of the next packet for the guest, its {@code len()} payload bytes (at most
     * {@code maxPayload}) given to {@code payload} straight from the connection's buffer; null
     * when nothing is owed.
     */
    VsockHeader nextForGuest(int maxPayload, ByteRing.Sink payload) {
        lock.lock();
        try {
            return next(maxPayload, payload);
        } finally {
            lock.unlock();
        }
    }

    private VsockHeader next(int maxPayload, ByteRing.Sink payload) {
        Control next = control.poll();
        if (next != null) {
            lastControl.remove(key(next.hostPort(), next.guestPort()), next);
            VsockConnection connection = connections.get(key(next.hostPort(), next.guestPort()));
            return header(next.op(), next.hostPort(), next.guestPort(), next.flags(), 0, connection);
        }
        for (VsockConnection connection = withData.poll(); connection != null; connection = withData.poll()) {
            connection.queuedForData = false;
            if (connection.state != VsockConnection.State.ESTABLISHED) {
                continue;
            }
            VsockHeader packet = dataPacket(connection, maxPayload, payload);
            if (packet != null) {
                return packet;
            }
        }
        return null;
    }

    private VsockHeader dataPacket(VsockConnection connection, int maxPayload, ByteRing.Sink payload) {
        int length = Math.min(Math.min(connection.outbound.size(), connection.peerFree()), maxPayload);
        if (length <= 0) {
            if (!connection.outbound.isEmpty() && !connection.creditRequested) {
                connection.creditRequested = true;
                return header(VsockHeader.OP_CREDIT_REQUEST, connection.hostPort, connection.guestPort, 0, 0, connection);
            }
            return null;
        }
        connection.outbound.take(payload, length);
        connection.sent += length;
        if (!connection.outbound.isEmpty()) {
            queueForData(connection);
        } else if (connection.shutdownPending) {
            connection.shutdownPending = false;
            queueControl(VsockHeader.OP_SHUTDOWN, connection.hostPort, connection.guestPort, VsockHeader.SHUTDOWN_SEND);
        }
        connection.wake();   // its writer may have room now, its close may be drained
        return header(VsockHeader.OP_RW, connection.hostPort, connection.guestPort, 0, length, connection);
    }

    private VsockHeader header(int op, int hostPort, int guestPort, int flags, int length, VsockConnection connection) {
        int bufAlloc = connection == null ? bufferBytes : connection.inbound.capacity();
        int fwdCnt = connection == null ? 0 : connection.forwarded;
        if (connection != null) {
            connection.forwardedAdvertised = connection.forwarded;
        }
        return new VsockHeader(HOST_CID, guestCid, hostPort, guestPort, length, VsockHeader.TYPE_STREAM, op, flags,
                bufAlloc, fwdCnt);
    }

    private void queueForData(VsockConnection connection) {
        if (!connection.queuedForData) {
            connection.queuedForData = true;
            withData.add(connection);
        }
    }

    private void queueControl(int op, int hostPort, int guestPort, int flags) {
        enqueue(new Control(op, hostPort, guestPort, flags), MAX_CONTROL);
    }

    /** A reset answering a guest packet that matched no connection (or was refused). */
    private void queueUnsolicitedReset(VsockHeader header) {
        enqueue(new Control(VsockHeader.OP_RST, header.dstPort(), header.srcPort(), 0), MAX_UNSOLICITED);
    }

    private void enqueue(Control next, int bound) {
        long key = key(next.hostPort(), next.guestPort());
        boolean repeatable = next.op() == VsockHeader.OP_RST || next.op() == VsockHeader.OP_CREDIT_UPDATE;
        if (repeatable && next.equals(lastControl.get(key))) {
            // The one already waiting says the same: a credit update carries the counts at send time.
            return;
        }
        if (control.size() >= bound) {
            droppedControl++;
            return;
        }
        control.add(next);
        lastControl.put(key, next);
    }

    private void reset(VsockConnection connection, String reason) {
        droppedPackets++;
        queueControl(VsockHeader.OP_RST, connection.hostPort, connection.guestPort, 0);
        close(connection, reason);
    }

    private void close(VsockConnection connection, String reason) {
        if (connection.state != VsockConnection.State.CLOSED) {
            connection.state = VsockConnection.State.CLOSED;
            connection.closeReason = reason;
        }
        connections.remove(connection.key());
        if (connection.queuedForData) {
            connection.queuedForData = false;
            withData.remove(connection);   // a closed connection's buffers must not wait here for rx buffers
        }
        connection.wake();
    }

    // ---- host API --------------------------------------------------------------------------

    /** Opens a stream to {@code guestPort}; fails if nothing listens there or the guest does not answer in time. */
    public VsockStream connect(int guestPort, Duration timeout) throws IOException, InterruptedException {
        VsockConnection connection;
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            // A connection the guest accepts before it has handled a transport reset is dropped by
            // that reset without a word to the host (no RST): wait until the guest has handled it.
            while (transportResetPending) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("vsock connect to guest port " + Integer.toUnsignedString(guestPort)
                            + " timed out after " + timeout.toMillis() + " ms: the guest has not handled the transport"
                            + " reset of its restore yet; is it running?");
                }
                resetHandled.awaitNanos(left);
            }
            if (connections.size() >= MAX_CONNECTIONS) {
                refusedConnections++;
                throw new IOException("vsock connect to guest port " + Integer.toUnsignedString(guestPort) + " refused: "
                        + MAX_CONNECTIONS + " vsock connections are already open on this machine, the most allowed;"
                        + " close streams you no longer use");
            }
            int hostPort = allocatePort(guestPort);
            connection = newConnection(hostPort, guestPort, VsockConnection.State.CONNECTING);
            connections.put(connection.key(), connection);
            queueControl(VsockHeader.OP_REQUEST, hostPort, guestPort, 0);
        } finally {
            lock.unlock();
        }
        guestWork.run();
        lock.lock();
        try {
            while (connection.state == VsockConnection.State.CONNECTING) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    queueControl(VsockHeader.OP_RST, connection.hostPort, guestPort, 0);
                    close(connection, "connect timed out");
                    guestWork.run();
                    throw new IOException("vsock connect to guest port " + guestPort + " timed out after "
                            + timeout.toMillis() + " ms: is the guest up and listening?");
                }
                connection.await(left);
            }
            if (connection.state == VsockConnection.State.CLOSED) {
                throw new ConnectException("vsock connect to guest port " + guestPort + " refused: "
                        + (connection.closeReason.equals("the guest reset the connection")
                                ? "nothing listens on that port in the guest" : connection.closeReason));
            }
            return new VsockStream(this, connection);
        } finally {
            lock.unlock();
        }
    }

    private VsockConnection newConnection(int hostPort, int guestPort, VsockConnection.State state) {
        return new VsockConnection(hostPort, guestPort, state, bufferBytes, lock.newCondition());
    }

    /**
     * The local port the next host connect takes. A snapshot saves it and the restore goes on
     * from it ({@link #continueHostPortsFrom}): the restored guest still holds the connections it
     * had, reset but not yet closed by the programs that own them, and a connect from one of their
     * ports meets such a connection and is refused (in the rig a fork's first connect to its agent
     * was, every time, and waited out the agent's 1 s retry pause).
     */
    public int nextHostPort() {
        return (int) locked(() -> nextEphemeralPort);
    }

    /** Host connects take local ports from {@code port} on, one a snapshot saved ({@link #nextHostPort}). */
    public void continueHostPortsFrom(int port) {
        if (port < FIRST_EPHEMERAL_PORT) {
            throw new IllegalArgumentException("host vsock port " + Integer.toUnsignedString(port)
                    + " is below the host's ephemeral range, which starts at " + FIRST_EPHEMERAL_PORT);
        }
        lock.lock();
        try {
            nextEphemeralPort = port;
        } finally {
            lock.unlock();
        }
    }

    private int allocatePort(int guestPort) {
        for (int tries = 0; tries < 1 << 20; tries++) {
            int port = nextEphemeralPort;
            nextEphemeralPort = nextEphemeralPort == Integer.MAX_VALUE ? FIRST_EPHEMERAL_PORT : nextEphemeralPort + 1;
            if (!connections.containsKey(key(port, guestPort))) {
                return port;
            }
        }
        throw new IllegalStateException("no free host vsock port for guest port " + guestPort);
    }

    /** Accepts guest connections to {@code hostPort}; each stream goes to {@code acceptor} on a virtual thread. */
    public void listen(int hostPort, Consumer<VsockStream> acceptor) {
        if (listeners.putIfAbsent(hostPort, acceptor) != null) {
            throw new IllegalStateException("host vsock port " + hostPort + " already has a listener");
        }
    }

    /**
     * Asked for an acceptor when a guest connects to a host port without a {@link #listen}er;
     * returning null resets the connection.
     */
    public void fallbackListener(IntFunction<Consumer<VsockStream>> fallback) {
        this.fallbackListener = fallback;
    }

    public void unlisten(int hostPort) {
        listeners.remove(hostPort);
    }

    /**
     * The device sent the guest a TRANSPORT_RESET (after a restore): host connects wait until
     * {@link #transportResetHandled}, the guest having given the event buffer back.
     */
    void transportResetSent() {
        lock.lock();
        try {
            transportResetPending = true;
        } finally {
            lock.unlock();
        }
    }

    /** The guest handled the transport reset: connects go ahead. */
    void transportResetHandled() {
        lock.lock();
        try {
            transportResetPending = false;
            resetHandled.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether connects wait for the guest to handle a transport reset. */
    public boolean transportResetPending() {
        lock.lock();
        try {
            return transportResetPending;
        } finally {
            lock.unlock();
        }
    }

    /** Drops every connection (device reset or transport reset); host streams see them closed. */
    public void resetAll(String reason) {
        lock.lock();
        try {
            for (VsockConnection connection : connections.values()) {
                connection.state = VsockConnection.State.CLOSED;
                connection.closeReason = reason;
                connection.queuedForData = false;
                connection.wake();
            }
            connections.clear();
            withData.clear();
            control.clear();
            lastControl.clear();
        } finally {
            lock.unlock();
        }
    }

    // ---- called by VsockStream with the lock held ----------------------------------------------

    void consumed(VsockConnection connection, int bytes) {
        connection.forwarded += bytes;
        if (connection.owesCreditUpdate() && connection.state == VsockConnection.State.ESTABLISHED) {
            queueControl(VsockHeader.OP_CREDIT_UPDATE, connection.hostPort, connection.guestPort, 0);
            guestWork.run();
        }
    }

    void queued(VsockConnection connection) {
        queueForData(connection);
        guestWork.run();
    }

    void shutdownOutput(VsockConnection connection) {
        if (connection.hostSendClosed || connection.state != VsockConnection.State.ESTABLISHED) {
            return;
        }
        connection.hostSendClosed = true;
        if (connection.outbound.isEmpty()) {
            queueControl(VsockHeader.OP_SHUTDOWN, connection.hostPort, connection.guestPort, VsockHeader.SHUTDOWN_SEND);
        } else {
            connection.shutdownPending = true;
        }
        guestWork.run();
    }

    void closeFromHost(VsockConnection connection) {
        if (connection.state == VsockConnection.State.CLOSED) {
            return;
        }
        queueControl(VsockHeader.OP_RST, connection.hostPort, connection.guestPort, 0);
        close(connection, "closed by the host");
        guestWork.run();
    }
}
