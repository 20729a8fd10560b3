package dev.flint.virtio.mmio;

import dev.flint.virtio.VirtioDevice;
import dev.flint.vmm.devices.DeviceAttacher;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;

import java.util.OptionalLong;

/**
 * Puts a virtio device on a VM behind a virtio-mmio transport: an MMIO slot announced on the
 * kernel command line, an irqfd for its interrupt, and one ioeventfd per queue so that the
 * guest's queue notifications reach the device on the event loop without a vCPU exit.
 */
public final class VirtioMmioAttacher implements DeviceAttacher {
    private final VirtioDevice device;
    private volatile EventFd interrupt;

    public VirtioMmioAttacher(VirtioDevice device) {
        this.device = device;
    }

    @Override
    public void attach(DeviceContext context) throws ErrnoException {
        VirtioMmioTransport transport = new VirtioMmioTransport(device, context.memory(), this::raise, queue -> {
            // Only a queue index without an ioeventfd gets here: the driver named a queue we lack.
        });
        DeviceContext.MmioSlot slot = context.attachMmio(transport);
        interrupt = context.interruptLine(slot.gsi());
        for (int queue = 0; queue < device.queueCount(); queue++) {
            int index = queue;
            context.onMmioWrite(slot.base() + VirtioMmioTransport.QUEUE_NOTIFY, 4, OptionalLong.of(queue),
                    () -> device.queueNotify(index));
        }
        context.appendKernelArgs(VirtioMmioTransport.kernelArg(slot.base(), slot.gsi()));
        device.attached(context);
    }

    private void raise() {
        try {
            interrupt.signal();
        } catch (ErrnoException e) {
            throw new IllegalStateException("raising the interrupt of virtio device " + device.deviceId()
                    + " failed: " + e.getMessage(), e);
        }
    }
}
