package dev.flint.virtio.net;

import dev.flint.vmm.net.PollFd;
import dev.flint.vmm.net.TapDevice;
import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;
import dev.flint.vmm.sys.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.logging.Logger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Bridges the guest NIC to a host TAP interface: frames pass unchanged both ways, and the host
 * decides routing, bridging and NAT. Opening needs CAP_NET_ADMIN unless the interface was created
 * for this user beforehand ({@code ip tuntap add tap0 mode tap user $USER}). Guest frames are
 * written from the event loop on the non-blocking fd (a full interface queue drops the frame and
 * counts it); frames for the guest are read by one thread that waits in {@code poll(2)}.
 * The egress policy applies here too; DHCP, ARP and neighbour discovery always pass.
 */
public final class TapBackend implements NetBackend {
    private static final Logger LOG = Logger.getLogger(TapBackend.class.getName());
    private static final int READ_BUFFER = 65536;

    private final TapDevice tap;
    private final EgressFilter filter;
    private final EventFd stop;
    private final BackendCounters counters = new BackendCounters();
    private volatile boolean running;
    private Thread reader;

    private TapBackend(TapDevice tap, EgressFilter filter, EventFd stop) {
        this.tap = tap;
        this.filter = filter;
        this.stop = stop;
    }

    /** Attaches to TAP interface {@code name} with allow-all egress. */
    public static TapBackend open(String name) throws IOException {
        return open(name, EgressPolicy.allowAll());
    }

    /**
     * Attaches to TAP interface {@code name}, creating it if needed.
     *
     * @throws IOException saying what to do: load the tun module, get CAP_NET_ADMIN, or fix the name
     */
    public static TapBackend open(String name, EgressPolicy policy) throws IOException {
        TapDevice tap = TapDevice.open(name);
        try {
            return new TapBackend(tap, new EgressFilter(policy, List.of()), EventFd.create());
        } catch (ErrnoException e) {
            tap.close();
            throw new IOException("creating the stop eventfd for TAP interface " + name + " failed: " + e.getMessage(), e);
        }
    }

    /** The interface name, as the kernel has it. */
    public String interfaceName() {
        return tap.name();
    }

    @Override
    public synchronized void start(FrameSink toGuest) {
        if (reader != null) {
            return;
        }
        running = true;
        reader = Thread.ofPlatform().name("flint-tap-" + tap.name()).daemon().start(() -> readLoop(toGuest));
    }

    private void readLoop(FrameSink toGuest) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(PollFd.SIZE * 2, 8);
            MemorySegment buffer = arena.allocate(READ_BUFFER);
            while (running) {
                PollFd.set(fds, 0, tap.fd(), PollFd.POLLIN);
                PollFd.set(fds, 1, stop.fd(), PollFd.POLLIN);
                int ready = Libc.poll(fds, 2, -1);
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    LOG.warning("poll on TAP interface " + tap.name() + " failed: " + Errno.name(-ready) + "; the guest receives no more frames");
                    return;
                }
                if (!running) {
                    return;
                }
                if ((PollFd.revents(fds, 0) & (PollFd.POLLERR | PollFd.POLLHUP | PollFd.POLLNVAL)) != 0) {
                    LOG.warning("TAP interface " + tap.name() + " went away (poll revents 0x"
                            + Integer.toHexString(PollFd.revents(fds, 0)) + "); the guest receives no more frames");
                    return;
                }
                drain(buffer, toGuest);
            }
        } catch (RuntimeException e) {
            LOG.warning("TAP reader for " + tap.name() + " stopped: " + e);
        }
    }

    private void drain(MemorySegment buffer, FrameSink toGuest) {
        while (running) {
            long n = tap.read(buffer);
            if (n == -Errno.EAGAIN || n == -Errno.EINTR) {
                return;
            }
            if (n < 0) {
                LOG.warning("reading TAP interface " + tap.name() + " failed: " + Errno.name((int) -n));
                return;
            }
            counters.toGuest.increment();
            toGuest.toGuest(buffer.asSlice(0, n).toArray(JAVA_BYTE));
        }
    }

    @Override
    public void send(byte[] frame, int offset, int length) {
        if (!counters.admit(filter.check(frame, offset, length))) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(length);
            MemorySegment.copy(frame, offset, copy, JAVA_BYTE, 0, length);
            long n = tap.write(copy);
            if (n < 0) {
                // EAGAIN: the interface queue is full; EIO: the interface is down. Either way the frame is lost, as on a wire.
                counters.sendFailures.increment();
                return;
            }
            counters.fromGuest.increment();
        }
    }

    @Override
    public BackendStats stats() {
        return counters.snapshot();
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = reader;
        }
        try {
            stop.signal();
        } catch (ErrnoException | IllegalStateException e) {
            // Already closed.
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        tap.close();
        stop.close();
    }
}
