package dev.flint.virtio.rng;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.virtio.queue.VirtqueueException;

import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.List;
import java.util.logging.Logger;

/**
 * The entropy device (virtio 1.x, 5.4): fills every buffer the guest offers with bytes from the
 * host's {@link SecureRandom}, so the guest's random pool is ready as soon as its driver loads.
 */
public final class VirtioRng implements VirtioDevice {
    public static final int DEVICE_ID = 4;
    static final int QUEUE_SIZE = 64;
    /** One request never takes more than this; the guest asks again for more. */
    static final int MAX_REQUEST = 64 * 1024;
    private static final Logger LOG = Logger.getLogger(VirtioRng.class.getName());

    private final SecureRandom random;
    private Virtqueue queue;
    private DriverSignals driver;

    public VirtioRng(SecureRandom random) {
        this.random = random;
    }

    public VirtioRng() {
        this(new SecureRandom());
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public long features() {
        return F_VERSION_1;
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public void readConfig(long offset, MemorySegment data) {
        data.fill((byte) 0);
    }

    @Override
    public synchronized void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver) {
        this.queue = queues.get(0);
        this.driver = driver;
    }

    @Override
    public synchronized void queueNotify(int index) {
        if (queue == null) {
            return;
        }
        try {
            if (queue.serveAll(this::fill)) {
                driver.usedBuffers();
            }
        } catch (VirtqueueException e) {
            LOG.warning("entropy device stopped: " + e.getMessage());
            queue = null;
            driver.deviceBroken();
        }
    }

    private int fill(DescriptorChain chain) {
        byte[] bytes = new byte[(int) Math.min(chain.writableLength(), MAX_REQUEST)];
        random.nextBytes(bytes);
        return chain.write(bytes);
    }

    @Override
    public synchronized void reset() {
        queue = null;
    }
}
