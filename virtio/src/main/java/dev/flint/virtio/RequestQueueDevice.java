package dev.flint.virtio;

import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.virtio.queue.VirtqueueException;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * A device with one queue of independent requests (blk, rng): each pass over the queue serves
 * every available chain and raises one interrupt; a malformed chain stops the device and asks
 * the driver for a reset. Subclasses only say how one request is served.
 *
 * <p>Passes run on the thread that notifies (the event loop) until the device is given a
 * worker ({@link #serveOn}); then a notification only schedules a pass there, and the worker
 * alone pops chains, writes the used ring and raises the interrupt. A pass holds the device's
 * monitor, so {@link #reset} and {@link #activate} wait for the one in flight, and it returns
 * every chain it takes: no chain is held between passes.
 */
public abstract class RequestQueueDevice implements VirtioDevice {
    private static final Logger LOG = Logger.getLogger(RequestQueueDevice.class.getName());

    private Virtqueue queue;
    private DriverSignals driver;
    private volatile Executor passes = Runnable::run;
    /** A pass is scheduled and has not started: notifications meanwhile need no other. */
    private final AtomicBoolean passPending = new AtomicBoolean();

    /** Serves one request; returns how many bytes it wrote into the chain's writable buffers. */
    protected abstract int serve(DescriptorChain chain);

    /** What the device is, for log lines ("block device"). */
    protected abstract String description();

    /** Runs the device's passes on {@code worker} from now on (at attach, before the driver is ready). */
    protected final void serveOn(Executor worker) {
        this.passes = worker;
    }

    @Override
    public final int queueCount() {
        return 1;
    }

    @Override
    public final synchronized void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver) {
        this.queue = queues.get(0);
        this.driver = driver;
    }

    /** Schedules a pass; at most one waits at a time, however often the guest notifies. */
    @Override
    public final void queueNotify(int index) {
        if (passPending.compareAndSet(false, true)) {
            passes.execute(this::servePass);
        }
    }

    private synchronized void servePass() {
        // Cleared (a full fence) before the ring is read: a chain published after this read is
        // notified after it, and that notification schedules the next pass.
        passPending.getAndSet(false);
        if (queue == null) {
            return;
        }
        try {
            if (queue.serveAll(this::serve)) {
                driver.usedBuffers();
            }
        } catch (VirtqueueException e) {
            LOG.warning(description() + " stopped: " + e.getMessage());
            queue = null;
            driver.deviceBroken();
        }
    }

    /** Drops the queue, once the pass in flight (if any) has returned its chains. */
    @Override
    public final synchronized void reset() {
        queue = null;
    }
}
