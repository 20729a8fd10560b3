package dev.flint.vmm.net;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.Ioctl;
import dev.flint.vmm.sys.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A Linux TAP interface opened through {@code /dev/net/tun} ({@code TUNSETIFF} with
 * {@code IFF_TAP | IFF_NO_PI}): each read returns one Ethernet frame the host sent to the
 * interface, each write injects one frame. The fd is non-blocking, so reads and writes answer
 * {@code -EAGAIN} instead of waiting; {@link #fd()} is for a poll loop. No {@code IFF_VNET_HDR}:
 * Flint's virtio-net offers no offloads, so frames cross without a virtio header.
 */
public final class TapDevice implements AutoCloseable {
    public static final String CLONE_DEVICE = "/dev/net/tun";
    public static final short IFF_TAP = 0x0002;
    public static final short IFF_NO_PI = 0x1000;
    /** {@code TUNSETIFF = _IOW('T', 202, int)}. */
    public static final long TUNSETIFF = Ioctl.iow('T', 202, 4);
    static final int O_NONBLOCK = 0x800;

    private final int fd;
    private final String name;
    private volatile boolean closed;

    private TapDevice(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Attaches to the TAP interface {@code name}, creating it when it does not exist (which needs
     * CAP_NET_ADMIN; attaching to one created beforehand for this user does not).
     *
     * @throws IOException with what to do: load the tun module, get CAP_NET_ADMIN, fix the name
     */
    public static TapDevice open(String name) throws IOException {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a TAP interface needs a name, e.g. tap0");
        }
        int fd = Libc.open(CLONE_DEVICE, Libc.O_RDWR | Libc.O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            throw new IOException(openFailure(name, -fd));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = arena.allocate(IfReq.LAYOUT);
            IfReq.write(request, name, (short) (IFF_TAP | IFF_NO_PI));
            int rc = Libc.ioctl(fd, TUNSETIFF, request);
            if (rc < 0) {
                Libc.close(fd);
                throw new IOException(setIfFailure(name, -rc));
            }
            return new TapDevice(fd, IfReq.name(request));
        }
    }

    static String openFailure(String name, int errno) {
        String base = "opening " + CLONE_DEVICE + " for TAP interface " + name + " failed: " + Errno.name(errno) + " (" + errno + "); ";
        return switch (errno) {
            case Errno.ENOENT, Errno.ENODEV -> base + "the host has no TUN/TAP support; load it with 'modprobe tun'";
            case Errno.EACCES, Errno.EPERM -> base + "this user may not open it; run with CAP_NET_ADMIN or make the device accessible";
            default -> base + "check that TUN/TAP works on this host";
        };
    }

    static String setIfFailure(String name, int errno) {
        String base = "ioctl(TUNSETIFF) for TAP interface " + name + " failed: " + Errno.name(errno) + " (" + errno + "); ";
        return switch (errno) {
            case Errno.EPERM -> base + "creating or attaching to a TAP interface needs CAP_NET_ADMIN: run Flint as root, "
                    + "grant it with 'setcap cap_net_admin+ep' on the java binary, or create the interface for this user "
                    + "first with 'ip tuntap add " + name + " mode tap user $USER'";
            case Errno.EBUSY -> base + "another process holds " + name + "; close it or pick another name";
            case Errno.EINVAL -> base + "'" + name + "' exists but is not a TAP interface (a TUN one?); pick another name";
            default -> base + "check the interface name and the host's TUN/TAP support";
        };
    }

    /** The interface name the kernel gave. */
    public String name() {
        return name;
    }

    /** The non-blocking fd, for poll. */
    public int fd() {
        if (closed) {
            throw new IllegalStateException("TAP interface " + name + " is closed");
        }
        return fd;
    }

    /** Reads one frame into {@code buffer}: its length, or {@code -errno} ({@code -EAGAIN}: none waiting). */
    public long read(MemorySegment buffer) {
        return Libc.read(fd(), buffer);
    }

    /** Writes one frame: its length, or {@code -errno} ({@code -EAGAIN}: the interface's queue is full). */
    public long write(MemorySegment frame) {
        return Libc.write(fd(), frame);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}
