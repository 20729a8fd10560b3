package dev.flint.vmm.net;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;
import dev.flint.vmm.sys.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.Inet4Address;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One libslirp user-mode network stack: a NAT with its own DHCP and DNS, spoken to in Ethernet
 * frames. Frames from the guest go in through {@link #input}; frames for the guest come out
 * through {@link Host#toGuest}, on whichever thread libslirp produced them.
 *
 * <p>libslirp is single-threaded, so every call into it holds one lock. Its sockets and timers
 * are served by one platform thread ({@code flint-slirp}) that asks libslirp for its file
 * descriptors, waits in {@code poll(2)} without the lock, then lets libslirp handle what is ready
 * and fires due timers. An eventfd in every poll set lets {@link #input} and libslirp's
 * {@code notify} wake that thread, because a guest frame can open a new socket the current poll
 * round does not watch.
 *
 * <p>The callbacks are FFM upcall stubs bound to this instance; an exception thrown inside one
 * would abort the JVM, so each one catches everything and reports it to {@link Host#error}.
 */
public final class SlirpStack implements AutoCloseable {
    /** Longest poll round, so timers and libslirp's own TCP clocks stay on time even if nothing wakes the thread. */
    private static final int MAX_POLL_MILLIS = 1000;
    private static final int NO_TIMEOUT = -1;

    /** Where the stack's output goes; called on the slirp thread or the thread calling {@link #input}. */
    public interface Host {
        /** One Ethernet frame for the guest; the array is the caller's to keep. */
        void toGuest(byte[] frame);

        /** libslirp saw the guest misbehave ({@code guest_error}), or a callback failed. */
        void error(String message);
    }

    private final SlirpSettings settings;
    private final Host host;
    private final ReentrantLock lock = new ReentrantLock();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment slirp;
    private final MemorySegment addPollStub;
    private final MemorySegment getReventsStub;
    private final EventFd wakeup;
    private final Map<Long, Timer> timers = new HashMap<>();
    private long nextTimerHandle = 1;
    private Thread thread;
    private volatile boolean running;
    private volatile boolean closed;

    // Per poll round, touched only by the slirp thread (the add_poll / get_revents upcalls run on it).
    private int[] pollFds = new int[16];
    private short[] pollEvents = new short[16];
    private int pollCount;
    private MemorySegment nativePollFds;
    /** Guarded by {@link #lock}. */
    private MemorySegment inputBuffer;

    /** A libslirp timer: {@code expireMillis} < 0 means not armed. */
    private static final class Timer {
        final int id;
        final MemorySegment callbackOpaque;
        long expireMillis = -1;

        Timer(int id, MemorySegment callbackOpaque) {
            this.id = id;
            this.callbackOpaque = callbackOpaque;
        }
    }

    private SlirpStack(SlirpSettings settings, Host host) throws IOException {
        this.settings = settings;
        this.host = host;
        try {
            this.wakeup = EventFd.create();
        } catch (ErrnoException e) {
            arena.close();
            throw new IOException("creating the slirp wakeup eventfd failed: " + e.getMessage(), e);
        }
        MemorySegment callbacks = arena.allocate(SlirpCallbacksStruct.LAYOUT);
        setCallback(callbacks, "send_packet", "sendPacket", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
        setCallback(callbacks, "guest_error", "guestError", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        setCallback(callbacks, "clock_get_ns", "clockGetNs", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        setCallback(callbacks, "timer_free", "timerFree", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        setCallback(callbacks, "timer_mod", "timerMod", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS));
        setCallback(callbacks, "register_poll_fd", "registerPollFd", FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS));
        setCallback(callbacks, "unregister_poll_fd", "unregisterPollFd", FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS));
        setCallback(callbacks, "notify", "notifyCallback", FunctionDescriptor.ofVoid(ADDRESS));
        setCallback(callbacks, "timer_new_opaque", "timerNewOpaque", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        this.addPollStub = upcall("addPoll", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        this.getReventsStub = upcall("getRevents", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));

        MemorySegment config = arena.allocate(SlirpConfigStruct.LAYOUT);
        SlirpConfigStruct.write(config, settings);
        this.slirp = LibSlirp.slirpNew(config, callbacks, MemorySegment.NULL);
        if (slirp.equals(MemorySegment.NULL)) {
            wakeup.close();
            arena.close();
            throw new IOException("libslirp rejected the network settings " + settings
                    + " (slirp_new returned NULL); check the addresses and MTU");
        }
    }

    /**
     * Creates a stack with {@code settings}; it serves sockets once {@link #start()}ed.
     *
     * @throws SlirpUnavailableException when {@code libslirp.so.0} is not installed
     */
    public static SlirpStack create(SlirpSettings settings, Host host) throws IOException {
        LibSlirp.requireAvailable();
        return new SlirpStack(settings, host);
    }

    public SlirpSettings settings() {
        return settings;
    }

    private MemorySegment upcall(String method, FunctionDescriptor descriptor) {
        try {
            MethodHandle target = MethodHandles.lookup().findVirtual(SlirpStack.class, method,
                    descriptor.toMethodType()).bindTo(this);
            return Linker.nativeLinker().upcallStub(target, descriptor, arena);
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalStateException("slirp callback " + method + " does not match " + descriptor, e);
        }
    }

    private void setCallback(MemorySegment callbacks, String field, String method, FunctionDescriptor descriptor) {
        callbacks.set(ADDRESS, SlirpCallbacksStruct.LAYOUT.byteOffset(groupElement(field)), upcall(method, descriptor));
    }

    /** Starts the thread that serves libslirp's sockets and timers. */
    public synchronized void start() {
        if (thread != null || closed) {
            return;
        }
        running = true;
        thread = Thread.ofPlatform().name("flint-slirp").daemon().start(this::serve);
    }

    /** Hands one Ethernet frame from the guest to the stack; {@link #inputDone} after a burst. */
    public void input(byte[] frame, int offset, int length) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            MemorySegment packet = inputBuffer(length);
            MemorySegment.copy(frame, offset, packet, JAVA_BYTE, 0, length);
            LibSlirp.input(slirp, packet, length);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The frames given to {@link #input} so far are a burst: wake the slirp thread once, since
     * they may have opened sockets its current poll does not watch.
     */
    public void inputDone() {
        wake();
    }

    /** The native copy of an input frame, reused under the lock: no allocation per frame. */
    private MemorySegment inputBuffer(int length) {
        if (inputBuffer == null || inputBuffer.byteSize() < length) {
            // Grows to the largest frame seen (the device bounds it); the arena frees it at close.
            inputBuffer = arena.allocate(Math.max(Integer.highestOneBit(Math.max(length, 1) - 1) << 1, 2048));
        }
        return inputBuffer;
    }

    /**
     * Forwards {@code hostAddress:hostPort} on the host to {@code guestPort} on the guest's
     * address ({@code slirp_add_hostfwd}).
     *
     * @throws HostPortInUseException when something else holds the host port
     * @throws IOException when the host port cannot be bound for another reason, naming it
     */
    public void addHostForward(boolean udp, Inet4Address hostAddress, int hostPort, int guestPort) throws IOException {
        int rc;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment hostIn = inAddr(call, hostAddress);
            MemorySegment guestIn = inAddr(call, settings.guest());
            lock.lock();
            try {
                requireOpen();
                rc = LibSlirp.addHostForward(slirp, udp, hostIn, hostPort, guestIn, guestPort);
            } finally {
                lock.unlock();
            }
        }
        wake();
        if (rc < 0) {
            String where = (udp ? "udp " : "tcp ") + hostAddress.getHostAddress() + ":" + hostPort;
            if (-rc == EADDRINUSE) {
                throw new HostPortInUseException("port forward " + where + " -> guest port " + guestPort + " failed: host port "
                        + hostPort + " is already in use; stop what holds it or pick another port (0 picks a free one)");
            }
            throw new IOException("port forward " + where + " -> guest port " + guestPort
                    + " failed: cannot bind the host port (" + Errno.name(-rc) + ", " + -rc + "); check the host address is local and the port is allowed");
        }
    }

    /** Linux's EADDRINUSE, which {@link Errno} does not name. */
    static final int EADDRINUSE = 98;

    /** Removes a forward added with {@link #addHostForward}; false when there was none. */
    public boolean removeHostForward(boolean udp, Inet4Address hostAddress, int hostPort) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment hostIn = inAddr(call, hostAddress);
            lock.lock();
            try {
                return !closed && LibSlirp.removeHostForward(slirp, udp, hostIn, hostPort) == 0;
            } finally {
                lock.unlock();
            }
        }
    }

    private static MemorySegment inAddr(Arena arena, Inet4Address address) {
        MemorySegment in = arena.allocate(SlirpConfigStruct.IN_ADDR);
        SlirpConfigStruct.address(in, 0, address);
        return in;
    }

    private void requireOpen() throws IOException {
        if (closed) {
            throw new IOException("the slirp network stack is closed; create a new one");
        }
    }

    private void wake() {
        try {
            if (!closed) {
                wakeup.signal();
            }
        } catch (ErrnoException | IllegalStateException e) {
            // Closed under us: the thread is stopping anyway.
        }
    }

    // ---- the slirp thread ----

    private void serve() {
        try (Arena loopArena = Arena.ofConfined()) {
            MemorySegment timeout = loopArena.allocate(JAVA_INT);
            nativePollFds = loopArena.allocate(PollFd.SIZE * 64, 8);
            while (running) {
                int count;
                lock.lock();
                try {
                    if (closed) {
                        return;
                    }
                    pollCount = 0;
                    addPollEntry(wakeup.fd(), PollFd.POLLIN);
                    timeout.set(JAVA_INT, 0, pollTimeout());
                    LibSlirp.pollfdsFill(slirp, timeout, addPollStub, MemorySegment.NULL);
                    count = pollCount;
                } finally {
                    lock.unlock();
                }
                if (nativePollFds.byteSize() < count * PollFd.SIZE) {
                    nativePollFds = loopArena.allocate(PollFd.SIZE * count * 2L, 8);
                }
                for (int i = 0; i < count; i++) {
                    PollFd.set(nativePollFds, i, pollFds[i], pollEvents[i]);
                }
                int millis = (int) Math.min(Integer.toUnsignedLong(timeout.get(JAVA_INT, 0)), MAX_POLL_MILLIS);
                int ready = Libc.poll(nativePollFds, count, millis);
                if (ready == -Errno.EINTR) {
                    ready = 0;
                }
                if ((PollFd.revents(nativePollFds, 0) & PollFd.POLLIN) != 0) {
                    drainWakeup();
                }
                lock.lock();
                try {
                    if (closed) {
                        return;
                    }
                    LibSlirp.pollfdsPoll(slirp, ready < 0, getReventsStub, MemorySegment.NULL);
                    fireDueTimers();
                } finally {
                    lock.unlock();
                }
            }
        } catch (RuntimeException | Error e) {
            host.error("the slirp network thread stopped: " + e);
        }
    }

    private void drainWakeup() {
        try {
            wakeup.drain();
        } catch (ErrnoException e) {
            host.error("draining the slirp wakeup eventfd failed: " + e.getMessage());
        }
    }

    private int pollTimeout() {
        long now = nowMillis();
        long soonest = MAX_POLL_MILLIS;
        for (Timer timer : timers.values()) {
            if (timer.expireMillis >= 0) {
                soonest = Math.min(soonest, Math.max(0, timer.expireMillis - now));
            }
        }
        return (int) soonest;
    }

    private void fireDueTimers() {
        long now = nowMillis();
        for (Timer timer : timers.values().toArray(Timer[]::new)) {
            if (timer.expireMillis >= 0 && timer.expireMillis <= now) {
                timer.expireMillis = -1;
                LibSlirp.handleTimer(slirp, timer.id, timer.callbackOpaque);
            }
        }
    }

    private void addPollEntry(int fd, int events) {
        if (pollCount == pollFds.length) {
            pollFds = java.util.Arrays.copyOf(pollFds, pollCount * 2);
            pollEvents = java.util.Arrays.copyOf(pollEvents, pollCount * 2);
        }
        pollFds[pollCount] = fd;
        pollEvents[pollCount] = (short) events;
        pollCount++;
    }

    private static long nowMillis() {
        return System.nanoTime() / 1_000_000;
    }

    // ---- upcalls from libslirp (names match the setCallback/upcall lookups) ----

    private long sendPacket(MemorySegment buffer, long length, MemorySegment opaque) {
        try {
            host.toGuest(buffer.reinterpret(length).toArray(JAVA_BYTE));
        } catch (Throwable t) {
            host.error("delivering a slirp frame to the guest failed: " + t);
        }
        return length;
    }

    private void guestError(MemorySegment message, MemorySegment opaque) {
        try {
            host.error("slirp: guest error: " + message.reinterpret(4096).getString(0));
        } catch (Throwable t) {
            // Nothing safe left to report to.
        }
    }

    private long clockGetNs(MemorySegment opaque) {
        return System.nanoTime();
    }

    private MemorySegment timerNewOpaque(int id, MemorySegment callbackOpaque, MemorySegment opaque) {
        // Called with the lock held (from slirp_new or a later slirp call on a locked path).
        long handle = nextTimerHandle++;
        timers.put(handle, new Timer(id, callbackOpaque));
        return MemorySegment.ofAddress(handle);
    }

    private void timerFree(MemorySegment timer, MemorySegment opaque) {
        timers.remove(timer.address());
    }

    private void timerMod(MemorySegment timer, long expireMillis, MemorySegment opaque) {
        Timer t = timers.get(timer.address());
        if (t != null) {
            t.expireMillis = Math.max(0, expireMillis);
        }
        wake();
    }

    private void registerPollFd(int fd, MemorySegment opaque) {
        // The poll set is rebuilt every round through slirp_pollfds_fill; nothing to track here.
    }

    private void unregisterPollFd(int fd, MemorySegment opaque) {
        // As registerPollFd.
    }

    private void notifyCallback(MemorySegment opaque) {
        wake();
    }

    private int addPoll(int fd, int slirpEvents, MemorySegment opaque) {
        int events = 0;
        if ((slirpEvents & LibSlirp.POLL_IN) != 0) {
            events |= PollFd.POLLIN;
        }
        if ((slirpEvents & LibSlirp.POLL_OUT) != 0) {
            events |= PollFd.POLLOUT;
        }
        if ((slirpEvents & LibSlirp.POLL_PRI) != 0) {
            events |= PollFd.POLLPRI;
        }
        addPollEntry(fd, events);
        return pollCount - 1;
    }

    private int getRevents(int index, MemorySegment opaque) {
        if (index < 0 || index >= pollCount) {
            return 0;
        }
        int revents = PollFd.revents(nativePollFds, index);
        int slirpEvents = 0;
        if ((revents & PollFd.POLLIN) != 0) {
            slirpEvents |= LibSlirp.POLL_IN;
        }
        if ((revents & PollFd.POLLOUT) != 0) {
            slirpEvents |= LibSlirp.POLL_OUT;
        }
        if ((revents & PollFd.POLLPRI) != 0) {
            slirpEvents |= LibSlirp.POLL_PRI;
        }
        if ((revents & (PollFd.POLLERR | PollFd.POLLNVAL)) != 0) {
            slirpEvents |= LibSlirp.POLL_ERR;
        }
        if ((revents & PollFd.POLLHUP) != 0) {
            slirpEvents |= LibSlirp.POLL_HUP;
        }
        return slirpEvents;
    }

    /** Stops the thread, frees the stack ({@code slirp_cleanup} closes its sockets) and the callback stubs. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            running = false;
            t = thread;
        }
        wake();
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lock.lock();
        try {
            closed = true;
            LibSlirp.slirpCleanup(slirp);
            timers.clear();
        } finally {
            lock.unlock();
        }
        wakeup.close();
        arena.close();
    }
}
