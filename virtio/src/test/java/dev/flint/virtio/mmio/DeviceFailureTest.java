package dev.flint.virtio.mmio;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A device whose event-loop work throws, attached as a VM attaches it: it alone fails with
 * DEVICE_NEEDS_RESET and a configuration interrupt, does nothing more until the driver resets
 * it, and another device on the same VM goes on; an Error still escapes (it ends the VM).
 */
class DeviceFailureTest {
    private final Context vm = new Context();
    private final List<LogRecord> warnings = new ArrayList<>();
    private final Logger log = Logger.getLogger(VirtioMmioTransport.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            warnings.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    DeviceFailureTest() {
        log.addHandler(capture);
    }

    @AfterEach
    void closeFds() {
        log.removeHandler(capture);
        vm.fds.forEach(EventFd::close);
    }

    @Test
    void aThrowingQueueHandlerStopsOnlyItsDeviceUntilTheDriverResetsIt() throws Exception {
        FlakyDevice broken = new FlakyDevice();
        FlakyDevice healthy = new FlakyDevice();
        new VirtioMmioAttacher(broken).attach(vm);
        new VirtioMmioAttacher(healthy).attach(vm);
        LinuxLikeDriver driverA = driver(0);
        LinuxLikeDriver driverB = driver(1);
        assertEquals(0xf, driverA.probe(vm.transports.get(0), VirtioDevice.F_VERSION_1, 1));
        assertEquals(0xf, driverB.probe(vm.transports.get(1), VirtioDevice.F_VERSION_1, 1));

        broken.failure = new IllegalStateException("device bug");
        vm.doorbells.get(0).run();
        assertEquals(1, broken.notifies);
        assertEquals(0xf | VirtioMmioTransport.STATUS_NEEDS_RESET, driverA.read(VirtioMmioTransport.STATUS));
        assertEquals(VirtioMmioTransport.INTERRUPT_CONFIG, driverA.read(VirtioMmioTransport.INTERRUPT_STATUS));
        assertEquals(1, vm.interrupts.get(0).drain(), "a configuration-change interrupt");

        broken.failure = null;
        vm.doorbells.get(0).run();
        vm.hostWork.get(0).run();
        assertEquals(1, broken.notifies, "a failed device does nothing until it is reset");
        assertEquals(0, broken.hostWork);
        assertEquals(1, warnings.size(), "logged once");
        assertTrue(warnings.get(0).getMessage().contains("virtio-rng"), warnings.get(0).getMessage());
        assertTrue(warnings.get(0).getMessage().contains("device bug"), warnings.get(0).getMessage());

        vm.doorbells.get(1).run();
        vm.hostWork.get(1).run();
        assertEquals(1, healthy.notifies, "the VM's other device goes on");
        assertEquals(1, healthy.hostWork);
        assertEquals(0xf, driverB.read(VirtioMmioTransport.STATUS));

        int resets = broken.resets;
        assertEquals(0xf, driverA.probe(vm.transports.get(0), VirtioDevice.F_VERSION_1, 1), "reset clears DEVICE_NEEDS_RESET");
        assertEquals(resets + 1, broken.resets, "the driver's reset reached the device");
        vm.doorbells.get(0).run();
        assertEquals(2, broken.notifies, "works again after the reset");
    }

    /** Attaches {@code device} as the VM's first and brings it up as a driver does. */
    private LinuxLikeDriver attachFirst(FlakyDevice device) throws Exception {
        new VirtioMmioAttacher(device).attach(vm);
        LinuxLikeDriver driver = driver(0);
        driver.probe(vm.transports.get(0), VirtioDevice.F_VERSION_1, 1);
        return driver;
    }

    @Test
    void throwingHostSideWorkFailsTheDeviceToo() throws Exception {
        FlakyDevice device = new FlakyDevice();
        LinuxLikeDriver driver = attachFirst(device);
        device.failure = new IllegalArgumentException("bad host packet");
        vm.hostWork.get(0).run();
        assertTrue(vm.transports.get(0).failed());
        assertEquals(0xf | VirtioMmioTransport.STATUS_NEEDS_RESET, driver.read(VirtioMmioTransport.STATUS));
    }

    @Test
    void aThrowingTaskOnTheDevicesWorkerFailsTheDeviceToo() throws Exception {
        FlakyDevice device = new FlakyDevice();
        LinuxLikeDriver driver = attachFirst(device);
        device.failure = new IllegalStateException("bad disk request");
        device.worker.execute(device::fail);
        assertTrue(vm.transports.get(0).failed());
        assertEquals(0xf | VirtioMmioTransport.STATUS_NEEDS_RESET, driver.read(VirtioMmioTransport.STATUS));
        device.failure = null;
        int[] ran = {0};
        device.worker.execute(() -> ran[0]++);
        assertEquals(0, ran[0], "a failed device's worker tasks do not run until the reset");
    }

    @Test
    void anErrorIsNotContained() throws Exception {
        FlakyDevice device = new FlakyDevice();
        new VirtioMmioAttacher(device).attach(vm);
        driver(0).probe(vm.transports.get(0), VirtioDevice.F_VERSION_1, 1);
        device.error = new OutOfMemoryError("test: Java heap space");
        Runnable doorbell = vm.doorbells.get(0);
        assertThrows(OutOfMemoryError.class, doorbell::run, "an Error reaches the event loop, which ends the VM");
        assertFalse(vm.transports.get(0).failed());
    }

    private LinuxLikeDriver driver(int slot) {
        LinuxLikeDriver driver = new LinuxLikeDriver();
        driver.attach(vm.transports.get(slot));
        return driver;
    }

    /** A device whose queue notification and host-side work throw what the test sets. */
    private static final class FlakyDevice implements VirtioDevice {
        volatile RuntimeException failure;
        volatile Error error;
        int notifies;
        int hostWork;
        int resets;
        java.util.concurrent.Executor worker;

        @Override
        public int deviceId() {
            return 4;
        }

        @Override
        public long features() {
            return 0;
        }

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int maxQueueSize() {
            return 256;
        }

        @Override
        public void readConfig(long offset, MemorySegment data) {
            data.fill((byte) 0);
        }

        @Override
        public void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver) {
        }

        @Override
        public void queueNotify(int index) {
            notifies++;
            fail();
        }

        @Override
        public void reset() {
            resets++;
        }

        @Override
        public void attached(DeviceContext context) throws ErrnoException {
            worker = context.ioWorker("flaky");
            context.onSignal(() -> {
                hostWork++;
                fail();
            });
        }

        private void fail() {
            if (error != null) {
                throw error;
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** A VM as far as attaching devices goes: MMIO slots, recorded handlers, real eventfds for interrupts. */
    private static final class Context implements DeviceContext {
        final GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 4 << 20)));
        final List<VirtioMmioTransport> transports = new ArrayList<>();
        final List<Runnable> doorbells = new ArrayList<>();
        final List<Runnable> hostWork = new ArrayList<>();
        final List<EventFd> interrupts = new ArrayList<>();
        final List<EventFd> fds = new ArrayList<>();

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public MmioSlot attachMmio(BusDevice device) {
            transports.add((VirtioMmioTransport) device);
            return new MmioSlot(0xd000_0000L + MMIO_SLOT_SIZE * (transports.size() - 1), 5 + transports.size() - 1);
        }

        @Override
        public EventFd interruptLine(int gsi) throws ErrnoException {
            EventFd fd = EventFd.create();
            fds.add(fd);
            interrupts.add(fd);
            return fd;
        }

        @Override
        public void onMmioWrite(long address, int length, OptionalLong datamatch, Runnable handler) {
            doorbells.add(handler);
        }

        @Override
        public EventFd onSignal(Runnable handler) throws ErrnoException {
            EventFd fd = EventFd.create();
            fds.add(fd);
            hostWork.add(handler);
            return fd;
        }

        /** Tasks run at once on the thread that gives them, as if the worker were instant. */
        @Override
        public java.util.concurrent.Executor ioWorker(String name) {
            return Runnable::run;
        }

        @Override
        public void appendKernelArgs(String args) {
        }
    }
}
