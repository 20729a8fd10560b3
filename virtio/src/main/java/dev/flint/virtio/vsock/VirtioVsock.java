package dev.flint.virtio.vsock;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.virtio.queue.VirtqueueException;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The virtio-vsock device (virtio 1.x, 5.10): moves packets between the guest's rx/tx queues
 * and the {@link VsockMuxer} that holds the host side of every stream. Runs on the VM's event
 * loop: on a tx notification it feeds the guest's packets to the muxer, and whenever the muxer
 * or the guest (new rx buffers) makes progress possible it fills rx buffers.
 */
public final class VirtioVsock implements VirtioDevice {
    public static final int DEVICE_ID = 19;
    static final int RX = 0;
    static final int TX = 1;
    static final int EVENT = 2;
    static final int QUEUE_SIZE = 256;
    /** Each stream's buffer in each direction, advertised to the guest as buf_alloc. */
    static final int STREAM_BUFFER = 256 * 1024;
    static final int EVENT_TRANSPORT_RESET = 0;
    /** Largest payload of one packet, as Linux's and Firecracker's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE. */
    public static final int MAX_PAYLOAD = 64 * 1024;
    /** Largest tx chain the guest may send: a header and the largest payload; longer ones are dropped unread. */
    static final int MAX_TX_PACKET = VsockHeader.SIZE + MAX_PAYLOAD;
    private static final Logger LOG = Logger.getLogger(VirtioVsock.class.getName());

    private final LongAdder bytesFromGuest = new LongAdder();
    private final LongAdder bytesToGuest = new LongAdder();
    private final LongAdder txDroppedTooLarge = new LongAdder();
    private final LongAdder txMalformed = new LongAdder();
    private final long guestCid;
    private final VsockMuxer muxer;
    private volatile EventFd wakeup;
    private List<Virtqueue> queues;
    private DriverSignals driver;
    private DescriptorChain pendingRx;
    private boolean failed;
    /** The thread inside {@link #queueNotify} or {@link #pumpRx}: it fills rx before it leaves, so the muxer need not wake it. */
    private Thread serving;
    /** A packet header on its way in or out; the device's methods run one at a time. */
    private final byte[] headerScratch = new byte[VsockHeader.SIZE];
    /** The tx chain being delivered, as the source its payload is copied from (once, into the stream's buffer). */
    private DescriptorChain txChain;
    private final ByteRing.Source txPayload = (offset, target, at, length) ->
            txChain.read(VsockHeader.SIZE + offset, target, at, length);
    /** The rx chain being filled, and how far: the sink the muxer copies a packet's payload into. */
    private long rxOffset;
    private final ByteRing.Sink rxPayload = (source, at, length) -> {
        pendingRx.writeAt(rxOffset, source, at, length);
        rxOffset += length;
    };

    public VirtioVsock(long guestCid) {
        this.guestCid = guestCid;
        this.muxer = new VsockMuxer(guestCid, STREAM_BUFFER, this::wake);
    }

    /** The host side: connect to guest ports, accept guest connections. */
    public VsockMuxer muxer() {
        return muxer;
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    /** Payload bytes the guest has sent over vsock. */
    public long bytesFromGuest() {
        return bytesFromGuest.sum();
    }

    /** Payload bytes delivered to the guest over vsock. */
    public long bytesToGuest() {
        return bytesToGuest.sum();
    }

    /** The device's counters now, the muxer's included. */
    public VirtioVsockStats stats() {
        return new VirtioVsockStats(bytesFromGuest.sum(), bytesToGuest.sum(), txDroppedTooLarge.sum(), txMalformed.sum(),
                muxer.droppedPackets(), muxer.droppedControl(), muxer.refusedConnections(), muxer.openConnections());
    }

    @Override
    public long features() {
        return F_VERSION_1 | F_RING_EVENT_IDX;
    }

    @Override
    public int queueCount() {
        return 3;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public void readConfig(long offset, MemorySegment data) {
        byte[] config = new byte[8];
        MemorySegment.ofArray(config).set(JAVA_LONG_UNALIGNED, 0, guestCid);
        for (int i = 0; i < data.byteSize(); i++) {
            data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, offset + i < 8 ? config[(int) offset + i] : 0);
        }
    }

    /** The event queue's avail index when a TRANSPORT_RESET was sent and not yet handled, else -1. */
    private int resetAvailIndex = -1;

    /**
     * The guest CID and the host's next local port: the device's only state of its own, since no
     * stream survives a restore.
     */
    @Override
    public void saveState(StateOutput out) {
        out.writeLong(guestCid);
        out.writeInt(muxer.nextHostPort());
    }

    /**
     * Checks the CID and ends every connection: host streams from before the snapshot are reset
     * (a restore in a new process has none) and, once the transport restored the queues, the
     * guest gets VIRTIO_VSOCK_EVENT_TRANSPORT_RESET, on which it drops its connections and keeps
     * its listeners. Host code connects again after the restore, from ports the saved guest never saw.
     */
    @Override
    public void restoreState(StateInput in) throws SnapshotException {
        long saved = in.readLong();
        if (saved != guestCid) {
            throw new SnapshotException("virtio-vsock had the guest CID " + saved + " at the snapshot, not "
                    + guestCid + "; restore with the same CID");
        }
        muxer.continueHostPortsFrom(in.readInt(VsockMuxer.FIRST_EPHEMERAL_PORT, Integer.MAX_VALUE, "the host's next vsock port"));
        transportReset();
    }

    /** An rx buffer popped while waiting for a packet is given back to the ring. */
    @Override
    public synchronized int heldChains(int index) {
        return index == RX && pendingRx != null ? 1 : 0;
    }

    @Override
    public void attached(DeviceContext context) throws ErrnoException {
        this.wakeup = context.onSignal(this::pumpRx);
    }

    @Override
    public synchronized void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver) {
        this.queues = queues;
        this.driver = driver;
        this.failed = false;
    }

    @Override
    public synchronized void reset() {
        queues = null;
        pendingRx = null;
        resetAvailIndex = -1;
        muxer.resetAll("the guest reset its vsock device");
        muxer.transportResetHandled();   // a reset device has no connections left to drop
    }

    private void wake() {
        EventFd fd = wakeup;
        if (fd == null || serving == Thread.currentThread()) {
            return;
        }
        try {
            fd.signal();
        } catch (ErrnoException e) {
            LOG.log(Level.WARNING, "waking the vsock device failed: " + e.getMessage());
        }
    }

    @Override
    public synchronized void queueNotify(int index) {
        if (queues == null || failed) {
            return;
        }
        serving = Thread.currentThread();
        try {
            if (index == TX) {
                processTx();
            } else if (index == EVENT && resetAvailIndex >= 0 && queues.get(EVENT).availableIndex() != resetAvailIndex) {
                // The guest gives the event's buffer back once it has handled the event in it.
                resetAvailIndex = -1;
                muxer.transportResetHandled();
            }
            fillRx();
        } catch (VirtqueueException e) {
            fail(e);
        } finally {
            serving = null;
        }
    }

    /** Fills rx buffers with what the muxer holds for the guest (event-loop thread). */
    public synchronized void pumpRx() {
        if (queues == null || failed) {
            return;
        }
        serving = Thread.currentThread();
        try {
            fillRx();
        } catch (VirtqueueException e) {
            fail(e);
        } finally {
            serving = null;
        }
    }

    private void processTx() {
        if (queues.get(TX).serveAll(this::deliver)) {
            driver.usedBuffers();
        }
    }

    /** Hands one guest packet to the muxer; an oversized or malformed one is dropped and counted. */
    private int deliver(DescriptorChain chain) {
        long carried = chain.readableLength();
        if (carried > MAX_TX_PACKET) {
            txDroppedTooLarge.increment();
            LOG.fine("guest sent a vsock tx chain of " + carried + " bytes, over the "
                    + MAX_TX_PACKET + "-byte maximum; dropped");
            return 0;
        }
        if (carried < VsockHeader.SIZE) {
            txMalformed.increment();
            LOG.fine("guest sent a vsock packet of " + carried + " bytes, shorter than its header; dropped");
            return 0;
        }
        // The header is copied out once and decoded from the copy, so the guest cannot change it under us.
        chain.read(0, headerScratch, 0, VsockHeader.SIZE);
        VsockHeader header = VsockHeader.decode(headerScratch);
        long length = Integer.toUnsignedLong(header.len());
        if (length > carried - VsockHeader.SIZE) {
            txMalformed.increment();
            LOG.fine("guest vsock packet says " + length + " payload bytes but carries "
                    + (carried - VsockHeader.SIZE) + "; dropped");
            return 0;
        }
        bytesFromGuest.add(length);
        txChain = chain;
        try {
            muxer.onGuestPacket(header, txPayload, (int) length);
        } finally {
            txChain = null;
        }
        return 0;
    }

    private void fillRx() {
        Virtqueue rx = queues.get(RX);
        boolean used = false;
        while (true) {
            if (pendingRx == null) {
                pendingRx = rx.take();
                if (pendingRx == null) {
                    break;
                }
            }
            long room = pendingRx.writableLength() - VsockHeader.SIZE;
            if (room < 0) {
                throw new VirtqueueException("vsock rx buffer of " + pendingRx.writableLength()
                        + " bytes cannot hold a packet header");
            }
            rxOffset = VsockHeader.SIZE;
            VsockHeader header = muxer.nextForGuest((int) Math.min(room, MAX_PAYLOAD), rxPayload);
            if (header == null) {
                break;
            }
            header.encodeInto(headerScratch);
            pendingRx.writeAt(0, headerScratch, 0, VsockHeader.SIZE);
            bytesToGuest.add(header.len());
            rx.addUsed(pendingRx.head(), VsockHeader.SIZE + header.len());
            pendingRx = null;
            used = true;
        }
        if (used && rx.needsInterrupt()) {
            driver.usedBuffers();
        }
    }

    /**
     * Tells the guest every connection is gone (after a snapshot restore, say): a
     * TRANSPORT_RESET event on the event queue, and every host stream closed.
     */
    public synchronized void transportReset() {
        muxer.resetAll("vsock transport reset");
        if (queues == null) {
            return;
        }
        Virtqueue events = queues.get(EVENT);
        events.pop().ifPresent(chain -> {
            resetAvailIndex = events.availableIndex();
            events.notifyOnNextPublish();   // the buffer given back tells us the guest handled it
            muxer.transportResetSent();
            events.addUsed(chain.head(), chain.write(new byte[] {EVENT_TRANSPORT_RESET, 0, 0, 0}));
            if (events.needsInterrupt()) {
                driver.usedBuffers();
            }
        });
    }

    private void fail(VirtqueueException e) {
        failed = true;
        LOG.warning("vsock device stopped: " + e.getMessage());
        muxer.resetAll("the vsock device failed: " + e.getMessage());
        driver.deviceBroken();
    }
}
