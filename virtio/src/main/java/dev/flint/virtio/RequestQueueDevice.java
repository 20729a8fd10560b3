package dev.flint.virtio;

import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.virtio.queue.VirtqueueException;

import java.util.List;
import java.util.logging.Logger;

/**
 * A device with one queue of independent requests (blk, rng): each notification serves every
 * available chain and raises one interrupt; a malformed chain stops the device and asks the
 * driver for a reset. Subclasses only say how one request is served.
 */
public abstract class RequestQueueDevice implements VirtioDevice {
    private static final Logger LOG = Logger.getLogger(RequestQueueDevice.class.getName());

    private Virtqueue queue;
    private DriverSignals driver;

    /** Serves one request; returns how many bytes it wrote into the chain's writable buffers. */
    protected abstract int serve(DescriptorChain chain);

    /** What the device is, for log lines ("block device"). */
    protected abstract String description();

    @Override
    public final int queueCount() {
        return 1;
    }

    @Override
    public final synchronized void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver) {
        this.queue = queues.get(0);
        this.driver = driver;
    }

    @Override
    public final synchronized void queueNotify(int index) {
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

    @Override
    public final synchronized void reset() {
        queue = null;
    }
}
