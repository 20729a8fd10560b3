package dev.flint.vmm;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;
import dev.flint.vmm.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The device thread: one platform thread waiting in {@code epoll_wait} on eventfds (queue
 * notifications from KVM, host-side work for devices) and running their handlers, so device
 * work never runs on a vCPU thread.
 *
 * <p>Failures: a device contains its own. A virtio device whose work throws a RuntimeException
 * is stopped alone with DEVICE_NEEDS_RESET (virtio-mmio's transport runs all its handlers, see
 * {@code VirtioMmioTransport.run}); the VM and its other devices go on. Whatever still escapes a
 * handler (an {@link Error} such as OutOfMemoryError, or a failure outside any device) goes to
 * {@code onHandlerFailure}, which for a VM ends it as a crash; the loop itself goes on running
 * the other handlers until it is closed.
 *
 * <p>Quiescing ({@link #quiesce()}, for a snapshot): the loop finishes the handler it runs and
 * starts none until {@link #resume()}. The eventfds keep counting meanwhile and epoll is
 * level-triggered, so whatever was signalled while quiesced is handled after the resume.
 *
 * <p>Devices whose work blocks (disk and file-system I/O) run it on {@link #ioWorker workers}
 * of their own: the loop quiesces, resumes and closes them with itself, so that no device work
 * runs while the loop is quiesced, and {@link #stopped()} waits for them too.
 */
public final class EventLoop implements AutoCloseable {
    private static final int MAX_EVENTS = 32;
    /** How long {@link #close()} waits for a running handler to return. */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final String name;
    private final int epoll;
    private final EventFd wakeup;
    private final Map<Integer, Runnable> handlers = new ConcurrentHashMap<>();
    private final Consumer<Throwable> onHandlerFailure;
    private final Thread thread;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final List<IoWorker> workers = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    /** Guarded by {@code this}, as are {@code running}'s changes. */
    private boolean quiesced;
    private boolean inHandler;

    /** Starts the loop thread, named {@code flint-<name>-events}. */
    public EventLoop(String name, Consumer<Throwable> onHandlerFailure) throws ErrnoException {
        this.name = name;
        this.onHandlerFailure = onHandlerFailure;
        this.epoll = ErrnoException.check("epoll_create1", Libc.epollCreate1(Libc.EPOLL_CLOEXEC));
        try {
            this.wakeup = EventFd.create();
            add(wakeup.fd());
        } catch (ErrnoException e) {
            Libc.close(epoll);
            throw e;
        }
        this.thread = Thread.ofPlatform().name("flint-" + name + "-events").daemon().start(this::loop);
    }

    /**
     * Runs {@code handler} on the loop thread each time {@code eventFd} is signalled; the
     * counter is drained before the handler runs, so signals that arrive during it re-arm it.
     */
    public void register(EventFd eventFd, Runnable handler) throws ErrnoException {
        handlers.put(eventFd.fd(), () -> {
            try {
                eventFd.drain();
            } catch (ErrnoException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            handler.run();
        });
        add(eventFd.fd());
    }

    /**
     * A worker thread for one device's blocking I/O, named {@code flint-<name>-<device>-io},
     * quiesced, resumed and closed with this loop; a failure out of its tasks goes where a
     * handler's does.
     *
     * @throws IllegalStateException once the loop is closed
     */
    public IoWorker ioWorker(String device) {
        IoWorker worker = new IoWorker("flint-" + name + "-" + device + "-io", onHandlerFailure);
        synchronized (this) {
            if (!running) {
                throw new IllegalStateException("the event loop of " + name + " is closed; no worker can join it");
            }
            if (quiesced) {
                worker.quiesce();
            }
            workers.add(worker);
        }
        worker.start();
        return worker;
    }

    private void add(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = arena.allocate(Libc.EPOLL_EVENT_BYTES, 4);
            event.set(JAVA_INT_UNALIGNED, 0, Libc.EPOLLIN);
            event.set(JAVA_LONG_UNALIGNED, 4, fd);
            ErrnoException.check("epoll_ctl(ADD, fd " + fd + ")", Libc.epollCtl(epoll, Libc.EPOLL_CTL_ADD, fd, event));
        }
    }

    private void loop() {
        try {
            waitAndDispatch();
        } finally {
            // The thread closes its own fds, so that a close() that gave up waiting never pulls
            // them from under a handler still running (nor lets their numbers be reused under it).
            synchronized (this) {
                running = false;
                wakeup.close();
                Libc.close(epoll);
            }
            stopped.complete(null);
        }
    }

    private void waitAndDispatch() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Libc.EPOLL_EVENT_BYTES * MAX_EVENTS, 4);
            while (running) {
                int ready = Libc.epollWait(epoll, events, MAX_EVENTS, -1);
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    onHandlerFailure.accept(new ErrnoException("epoll_wait", -ready));
                    return;
                }
                for (int i = 0; i < ready && awaitNotQuiesced(); i++) {
                    int fd = (int) events.get(JAVA_LONG_UNALIGNED, i * Libc.EPOLL_EVENT_BYTES + 4);
                    try {
                        dispatch(fd);
                    } finally {
                        synchronized (this) {
                            inHandler = false;
                            notifyAll();
                        }
                    }
                }
            }
        }
    }

    /** Waits out a quiesce; true (and marked as running a handler) when the loop may dispatch, false once closed. */
    private synchronized boolean awaitNotQuiesced() {
        while (quiesced && running) {
            try {
                wait();
            } catch (InterruptedException e) {
                // Only resume or close ends a quiesce.
            }
        }
        inHandler = running;
        return running;
    }

    /**
     * Lets the running handler finish and starts no other until {@link #resume()}, then does the
     * same with every {@link #ioWorker worker}; returns once no handler and no worker task runs
     * (for the handler, at once when called from one, which is then the last to run; worker
     * tasks never wait on the loop, so waiting for them from a handler is safe). Idempotent,
     * safe from any thread; {@link #close()} still works while quiesced.
     */
    public void quiesce() {
        boolean interrupted = false;
        synchronized (this) {
            quiesced = true;
            while (inHandler && running && !inLoop()) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // The caller relies on no handler running when this returns.
                }
            }
        }
        workers.forEach(IoWorker::quiesce);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lets the loop and its workers run again, first what was signalled while quiesced; idempotent. */
    public void resume() {
        synchronized (this) {
            quiesced = false;
            notifyAll();
        }
        workers.forEach(IoWorker::resume);
    }

    private void dispatch(int fd) {
        if (fd == wakeup.fd()) {
            drainQuietly(wakeup);
            return;
        }
        Runnable handler = handlers.get(fd);
        if (handler == null) {
            return;
        }
        try {
            handler.run();
        } catch (RuntimeException | Error e) {
            onHandlerFailure.accept(e);
        }
    }

    private static void drainQuietly(EventFd fd) {
        try {
            fd.drain();
        } catch (ErrnoException e) {
            // Only the wakeup fd: nothing waits on its count.
        }
    }

    /** Whether the caller is the loop thread. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Stops the loop as {@link #close(Duration)} does, waiting up to {@link #CLOSE_WAIT}. */
    @Override
    public void close() {
        close(CLOSE_WAIT);
    }

    /**
     * Stops the loop and its workers: no handler or task starts any more, and the threads end
     * (the loop's closing the epoll and wakeup fds, not the registered ones) once the one
     * running returns. Waits up to {@code wait} for that (not for the loop when called from a
     * handler).
     *
     * @return whether every thread has ended; if not, a handler or task still runs and whatever
     *         it may touch must outlive it: release it after {@link #stopped()}
     */
    public boolean close(Duration wait) {
        synchronized (this) {
            if (running) {
                running = false;
                notifyAll(); // A quiesced loop waits on this monitor.
                try {
                    wakeup.signal();
                } catch (ErrnoException e) {
                    // The loop also ends at its next event.
                }
            }
        }
        workers.forEach(IoWorker::close);
        long deadline = System.nanoTime() + wait.toNanos();
        if (!inLoop()) {
            try {
                thread.join(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (IoWorker worker : workers) {
            worker.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
        return stopped().toCompletableFuture().isDone();
    }

    /** Completes when the loop thread and every worker have ended: no handler or task runs any more. */
    public CompletionStage<Void> stopped() {
        List<IoWorker> now = List.copyOf(workers);
        CompletableFuture<?>[] all = new CompletableFuture<?>[now.size() + 1];
        all[0] = stopped;
        for (int i = 0; i < now.size(); i++) {
            all[i + 1] = now.get(i).stopped().toCompletableFuture();
        }
        return CompletableFuture.allOf(all).minimalCompletionStage();
    }
}
