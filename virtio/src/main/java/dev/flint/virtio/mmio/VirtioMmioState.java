package dev.flint.virtio.mmio;

import dev.flint.virtio.queue.VirtqueueState;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

import java.util.ArrayList;
import java.util.List;

/**
 * The saved state of a {@link VirtioMmioTransport}: the registers the driver programmed (status,
 * feature selects, the features it accepted, the queue select, the interrupt status it has not
 * acknowledged), whether the device had failed, and each queue's setup with, once the driver set
 * DRIVER_OK, the queue's own indices. The config generation is not saved: it is always 0, no
 * Flint device changes its config space.
 */
public record VirtioMmioState(int status, boolean failed, int deviceFeaturesSel, int driverFeaturesSel,
                              long driverFeatures, int queueSel, int interruptStatus, List<Queue> queues) {
    /** More queues than any virtio device has: bounds a corrupt count. */
    static final int MAX_QUEUES = 64;

    /** One queue as the driver set it up; {@code active} is null until the device was activated. */
    public record Queue(int size, boolean ready, long desc, long driver, long device, VirtqueueState active) {
        void write(StateOutput out) {
            out.writeInt(size).writeBoolean(ready).writeLong(desc).writeLong(driver).writeLong(device)
                    .writeBoolean(active != null);
            if (active != null) {
                active.write(out);
            }
        }

        static Queue read(StateInput in) throws SnapshotException {
            int size = in.readInt();
            boolean ready = in.readBoolean();
            long desc = in.readLong();
            long driver = in.readLong();
            long device = in.readLong();
            VirtqueueState active = in.readBoolean() ? VirtqueueState.read(in) : null;
            return new Queue(size, ready, desc, driver, device, active);
        }
    }

    public VirtioMmioState {
        queues = List.copyOf(queues);
    }

    public void write(StateOutput out) {
        out.writeInt(status).writeBoolean(failed).writeInt(deviceFeaturesSel).writeInt(driverFeaturesSel)
                .writeLong(driverFeatures).writeInt(queueSel).writeInt(interruptStatus).writeInt(queues.size());
        for (Queue queue : queues) {
            queue.write(out);
        }
    }

    public static VirtioMmioState read(StateInput in) throws SnapshotException {
        int status = in.readInt(0, 0xff, "the device status");
        boolean failed = in.readBoolean();
        int deviceFeaturesSel = in.readInt();
        int driverFeaturesSel = in.readInt();
        long driverFeatures = in.readLong();
        int queueSel = in.readInt();
        int interruptStatus = in.readInt(0, VirtioMmioTransport.INTERRUPT_USED | VirtioMmioTransport.INTERRUPT_CONFIG,
                "the interrupt status");
        int count = in.readInt(0, MAX_QUEUES, "the queue count");
        List<Queue> queues = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            queues.add(Queue.read(in));
        }
        return new VirtioMmioState(status, failed, deviceFeaturesSel, driverFeaturesSel, driverFeatures, queueSel,
                interruptStatus, queues);
    }
}
