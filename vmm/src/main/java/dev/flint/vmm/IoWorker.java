package dev.flint.vmm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * A thread of one device's own for its blocking I/O (a disk's reads, writes and fsync, a shared
 * directory's requests), so that a slow host file system holds up that device alone and not the
 * event loop's other devices. Made by {@link EventLoop#ioWorker}; tasks run in the order given,
 * one at a time. A task is the unit of work in flight: a device takes its requests from its
 * queues inside a task and returns them before the task ends.
 *
 * <p>It pauses and stops with its loop: {@link #quiesce} lets the running task finish and holds
 * the queued ones until {@link #resume}; {@link #close} drops the queued ones and ends the
 * thread once the running one returns. An exception out of a task goes to the loop's failure
 * handler, as one out of a handler does (a virtio device's transport contains its own first).
 */
public final class IoWorker implements Executor {
    private final Consumer<Throwable> onFailure;
    private final Thread thread;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    /** Guarded by {@code this}, as are the flags. */
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running = true;
    private boolean quiesced;
    private boolean busy;

    IoWorker(String threadName, Consumer<Throwable> onFailure) {
        this.onFailure = onFailure;
        this.thread = Thread.ofPlatform().name(threadName).daemon().unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    /** Queues {@code task}; dropped once the worker is closed (its VM is going away). */
    @Override
    public synchronized void execute(Runnable task) {
        if (running) {
            tasks.add(task);
            notifyAll();
        }
    }

    private void loop() {
        try {
            for (Runnable task = next(); task != null; task = next()) {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    onFailure.accept(e);
                } finally {
                    synchronized (this) {
                        busy = false;
                        notifyAll();
                    }
                }
            }
        } finally {
            stopped.complete(null);
        }
    }

    /** The next task to run (marked busy), or null once closed. */
    private synchronized Runnable next() {
        while (running && (quiesced || tasks.isEmpty())) {
            try {
                wait();
            } catch (InterruptedException e) {
                // Only close ends the worker.
            }
        }
        busy = running;
        return running ? tasks.poll() : null;
    }

    /**
     * Lets the running task finish and starts no other until {@link #resume}; returns once none
     * runs (at once on the worker's own thread, or once closed). Idempotent.
     */
    synchronized void quiesce() {
        quiesced = true;
        boolean interrupted = false;
        while (busy && running && Thread.currentThread() != thread) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true; // The caller relies on no task running when this returns.
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized void resume() {
        quiesced = false;
        notifyAll();
    }

    /** Drops the queued tasks; the thread ends once the running one returns. */
    synchronized void close() {
        running = false;
        tasks.clear();
        notifyAll();
    }

    /** Waits up to {@code wait} for the thread to end (not at all on the worker itself). */
    void join(Duration wait) {
        if (Thread.currentThread() != thread && thread.isAlive()) {
            try {
                thread.join(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Completes once the thread has ended: no task runs any more. */
    CompletionStage<Void> stopped() {
        return stopped;
    }
}
