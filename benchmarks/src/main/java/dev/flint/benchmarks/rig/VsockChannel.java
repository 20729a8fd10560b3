package dev.flint.benchmarks.rig;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;

/**
 * A connected {@code AF_VSOCK} stream socket as a blocking {@link ByteChannel}, through FFM: the
 * JDK has no vsock sockets, and the peer's guest (QEMU's vhost-vsock) is reached this way, where
 * Flint's own guest is reached through Flint's in-process vsock device.
 */
final class VsockChannel implements ByteChannel {
    private static final int AF_VSOCK = 40;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SHUT_RDWR = 2;
    private static final int EINTR = 4;
    private static final int ECONNREFUSED = 111;
    private static final int ECONNRESET = 104;
    private static final int ENODEV = 19;
    private static final int ETIMEDOUT = 110;
    private static final int BUFFER = 64 * 1024;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = downcall("socket",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CONNECT = downcall("connect",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle READ = downcall("read",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle SHUTDOWN = downcall("shutdown",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment readBuffer = arena.allocate(BUFFER);
    private final MemorySegment writeBuffer = arena.allocate(BUFFER);
    private final MemorySegment readState = arena.allocate(CALL_STATE);
    private final MemorySegment writeState = arena.allocate(CALL_STATE);
    private volatile boolean open = true;

    private VsockChannel(int fd) {
        this.fd = fd;
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(
                () -> new IllegalStateException("libc has no " + name + "()")), descriptor,
                Linker.Option.captureCallState("errno"));
    }

    /**
     * Connects to {@code port} of the guest with context id {@code cid}. A refused, reset or timed-out
     * connection throws {@link ConnectException} (nothing listens yet); other failures say why.
     */
    static VsockChannel connect(long cid, int port) throws IOException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CALL_STATE);
            int fd = (int) SOCKET.invokeExact(state, AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket(AF_VSOCK) failed, errno " + errno(state)
                        + ": load the vsock modules (vsock, vhost_vsock) on this host");
            }
            MemorySegment address = call.allocate(16);  // struct sockaddr_vm
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_VSOCK);
            address.set(ValueLayout.JAVA_INT, 4, port);
            address.set(ValueLayout.JAVA_INT, 8, (int) cid);
            int rc = (int) CONNECT.invokeExact(state, fd, address, 16);
            if (rc != 0) {
                int errno = errno(state);
                int ignored = (int) CLOSE.invokeExact(state, fd);
                if (errno == ECONNREFUSED || errno == ECONNRESET || errno == ENODEV || errno == ETIMEDOUT) {
                    throw new ConnectException("vsock connect to cid " + cid + " port " + port + ": errno " + errno);
                }
                throw new IOException("vsock connect to cid " + cid + " port " + port + " failed, errno " + errno);
            }
            return new VsockChannel(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("vsock downcall failed", t);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        synchronized (readBuffer) {
            if (!open) {
                throw new ClosedChannelException();
            }
            long n;
            do {
                n = invoke(READ, readState, readBuffer, Math.min(dst.remaining(), BUFFER));
            } while (n < 0 && errno(readState) == EINTR);
            if (n < 0) {
                throw new IOException("vsock read failed, errno " + errno(readState));
            }
            if (n == 0) {
                return dst.hasRemaining() ? -1 : 0;
            }
            dst.put(readBuffer.asSlice(0, n).asByteBuffer());
            return (int) n;
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        synchronized (writeBuffer) {
            if (!open) {
                throw new ClosedChannelException();
            }
            int total = 0;
            while (src.hasRemaining()) {
                int chunk = Math.min(src.remaining(), BUFFER);
                ByteBuffer slice = src.slice(src.position(), chunk);
                writeBuffer.asSlice(0, chunk).copyFrom(MemorySegment.ofBuffer(slice));
                long n = invoke(WRITE, writeState, writeBuffer, chunk);
                if (n < 0) {
                    if (errno(writeState) == EINTR) {
                        continue;
                    }
                    throw new IOException("vsock write failed, errno " + errno(writeState));
                }
                src.position(src.position() + (int) n);
                total += (int) n;
            }
            return total;
        }
    }

    private long invoke(MethodHandle call, MemorySegment state, MemorySegment buffer, long length) {
        try {
            return (long) call.invokeExact(state, fd, buffer, length);
        } catch (Throwable t) {
            throw new IllegalStateException("vsock downcall failed", t);
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Shuts the socket down first, which wakes a reader blocked in read(2), then closes it. */
    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CALL_STATE);
            int ignored = (int) SHUTDOWN.invokeExact(state, fd, SHUT_RDWR);
            synchronized (readBuffer) {
                synchronized (writeBuffer) {
                    ignored = (int) CLOSE.invokeExact(state, fd);
                    arena.close();
                }
            }
        } catch (Throwable t) {
            throw new IllegalStateException("closing the vsock socket failed", t);
        }
    }
}
