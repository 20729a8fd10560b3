package dev.flint.virtio.mmio;

import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.sys.EventFd;

import java.util.OptionalLong;
import java.util.concurrent.Executor;

/** A test's VM context: every call a device under test should not make fails; a test overrides the ones it offers. */
public interface PartialDeviceContext extends DeviceContext {
    @Override
    default GuestMemory memory() {
        throw new UnsupportedOperationException();
    }

    @Override
    default MmioSlot attachMmio(BusDevice device) {
        throw new UnsupportedOperationException();
    }

    @Override
    default EventFd interruptLine(int gsi) {
        throw new UnsupportedOperationException();
    }

    @Override
    default void onMmioWrite(long address, int length, OptionalLong datamatch, Runnable handler) {
        throw new UnsupportedOperationException();
    }

    @Override
    default EventFd onSignal(Runnable handler) {
        throw new UnsupportedOperationException();
    }

    @Override
    default Executor ioWorker(String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    default void appendKernelArgs(String args) {
        throw new UnsupportedOperationException();
    }
}
