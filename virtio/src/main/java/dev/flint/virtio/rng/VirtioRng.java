package dev.flint.virtio.rng;

import dev.flint.virtio.RequestQueueDevice;
import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;

/**
 * The entropy device (virtio 1.x, 5.4): fills every buffer the guest offers with bytes from the
 * host's {@link SecureRandom}, so the guest's random pool is ready as soon as its driver loads.
 */
public final class VirtioRng extends RequestQueueDevice {
    public static final int DEVICE_ID = 4;
    static final int QUEUE_SIZE = 64;
    /** One request never takes more than this; the guest asks again for more. */
    static final int MAX_REQUEST = 64 * 1024;

    private final SecureRandom random;

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

    /** Nothing beyond what the transport saves: the device keeps no state of its own. */
    @Override
    public void saveState(StateOutput out) {
    }

    @Override
    public void restoreState(StateInput in) {
    }

    @Override
    public long features() {
        return F_VERSION_1 | F_RING_EVENT_IDX;
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
    protected String description() {
        return "entropy device";
    }

    @Override
    protected int serve(DescriptorChain chain) {
        byte[] bytes = new byte[(int) Math.min(chain.writableLength(), MAX_REQUEST)];
        random.nextBytes(bytes);
        return chain.write(bytes);
    }

}
