package dev.flint.vmm;

import dev.flint.vmm.boot.BootLayout;
import dev.flint.vmm.cpu.VcpuLimit;
import dev.flint.vmm.devices.Bus;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.devices.DeviceAttacher;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.devices.GuestSignal;
import dev.flint.vmm.devices.I8042;
import dev.flint.vmm.devices.Serial8250;
import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.kvm.KvmIoctls;
import dev.flint.vmm.kvm.VcpuFd;
import dev.flint.vmm.kvm.VmFd;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The parts of one VM that booting and restoring share, put together but not yet running: the
 * KVM VM with its in-kernel irqchip and PIT, guest memory in its slots, the buses with the legacy
 * devices, the configured devices on their MMIO slots and GSIs (in {@link VmConfig#devices()}
 * order, so a restore finds each device where it was saved), the event loop and one fd per vCPU.
 * What happens next is either {@link KernelBoot} (load a kernel, set the boot registers) or a
 * restore from a snapshot; {@link VirtualMachine} then runs it.
 */
final class VmAssembly {
    /** What the legacy devices and the event loop report to the VM that runs them. */
    interface Events {
        void end(VmExit exit);

        /** The guest wrote its boot marker (on the vCPU thread that wrote it). */
        void bootMarker();

        /** The guest's agent said it listens on its vsock port (on the vCPU thread that wrote it). */
        void agentListening();
    }

    /** Where guest RAM comes from: fresh anonymous memory (boot) or a snapshot's memory file (restore). */
    @FunctionalInterface
    interface MemorySource {
        GuestMemory map() throws ErrnoException, IOException, VmmException;
    }

    static final long MMIO_BASE = 0xd000_0000L;
    static final int FIRST_GSI = 5;
    static final int LAST_GSI = 23;

    final VmConfig config;
    final Bus pio = new Bus("port I/O");
    final Bus mmio = new Bus("MMIO");
    final List<VcpuFd> vcpuFds = new ArrayList<>();
    /** The GSI of each MMIO device, in slot order (the MP table lists them). */
    final List<Integer> deviceGsis = new ArrayList<>();
    /** Kernel arguments the devices asked for (their MMIO slots). */
    final StringBuilder deviceArgs = new StringBuilder();
    private final List<EventFd> eventFds = new ArrayList<>();
    private final BootTimeline timeline;
    private final Events events;
    Kvm kvm;
    VmFd vm;
    GuestMemory memory;
    EventLoop eventLoop;
    Serial8250 serial;
    I8042 i8042;
    GuestSignal bootSignal;
    /** Once the guest's init wrote its power-off byte, the i8042 reset that follows is a power-off, not a crash. */
    GuestSignal powerOffSignal;
    /** Once the guest's agent listens, the host connects to it (a restored VM's agent signalled before its snapshot). */
    GuestSignal agentSignal;

    private VmAssembly(VmConfig config, BootTimeline timeline, Events events) {
        this.config = config;
        this.timeline = timeline;
        this.events = events;
    }

    /** Builds every part up to the vCPU fds; on any failure releases what it made. */
    static VmAssembly assemble(VmConfig config, BootTimeline timeline, Events events, MemorySource memorySource)
            throws ErrnoException, IOException, VmmException {
        VmAssembly assembly = new VmAssembly(config, timeline, events);
        try {
            assembly.build(memorySource);
            return assembly;
        } catch (Throwable t) {
            assembly.close();
            throw t;
        }
    }

    private void build(MemorySource memorySource) throws ErrnoException, IOException, VmmException {
        createVm();
        memory = memorySource.map();
        int slot = 0;
        for (GuestMemory.Region region : memory.regions()) {
            vm.setUserMemoryRegion(slot++, 0, region.guestAddress(), region.size(), region.host().address());
        }
        timeline.mark("map memory");
        attachDevices();
        registerLegacyDevices();
        int mmapSize = kvm.vcpuMmapSize();
        for (int id = 0; id < config.vcpus(); id++) {
            vcpuFds.add(vm.createVcpu(id, mmapSize));
        }
        timeline.mark("vCPU fds");
    }

    private void createVm() throws ErrnoException, HostUnsupportedException {
        kvm = Kvm.open();
        timeline.mark("open /dev/kvm (links the libc bindings)");
        requireCapability(KvmIoctls.KVM_CAP_IRQCHIP, "an in-kernel interrupt controller");
        requireCapability(KvmIoctls.KVM_CAP_PIT2, "an in-kernel PIT");
        requireCapability(KvmIoctls.KVM_CAP_IMMEDIATE_EXIT, "immediate_exit");
        VcpuLimit.fromCapabilities(kvm.checkExtension(KvmIoctls.KVM_CAP_MAX_VCPUS),
                kvm.checkExtension(KvmIoctls.KVM_CAP_NR_VCPUS)).require(config.vcpus());
        vm = kvm.createVm();
        vm.setTssAddr(BootLayout.KVM_TSS_ADDRESS);
        vm.setIdentityMapAddr(BootLayout.KVM_IDENTITY_MAP_ADDRESS);
        vm.createIrqchip();
        vm.createPit2(KvmIoctls.KVM_PIT_SPEAKER_DUMMY);
        timeline.mark("create VM");
    }

    private void requireCapability(int capability, String what) throws ErrnoException, HostUnsupportedException {
        if (kvm.checkExtension(capability) == 0) {
            throw new HostUnsupportedException("this host's KVM lacks " + what + " (capability "
                    + capability + "); Flint needs a Linux 4.x or newer KVM");
        }
    }

    private void attachDevices() throws ErrnoException, IOException {
        if (config.devices().isEmpty()) {
            return;
        }
        eventLoop = new EventLoop(config.name(), failure -> events.end(new VmExit(VmExit.Reason.CRASH,
                "device failure: " + failure)));
        DeviceContext context = new Context();
        for (DeviceAttacher device : config.devices()) {
            try {
                device.attach(context);
            } catch (ErrnoException | IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException("attaching " + device.deviceName() + " failed: " + e.getMessage(), e);
            }
        }
        timeline.mark("attach devices");
    }

    private void registerLegacyDevices() throws ErrnoException {
        // An irqfd pulses the edge-triggered COM1 line inside KVM: one write per interrupt on
        // the vCPU thread, where KVM_IRQ_LINE needed two ioctls (raise, lower).
        EventFd serialIrq = track(EventFd.create());
        vm.irqfd(serialIrq.fd(), Serial8250.COM1_IRQ, true);
        serial = new Serial8250(config.console(), () -> pulse(serialIrq, Serial8250.COM1_IRQ));
        pio.register(Serial8250.COM1_BASE, Serial8250.PORT_COUNT, serial);
        powerOffSignal = new GuestSignal(GuestSignal.POWERING_OFF, () -> { });
        i8042 = new I8042(() -> events.end(VmExit.guestReset(powerOffSignal.seen())));
        pio.register(I8042.DATA_PORT, I8042.COMMAND_PORT - I8042.DATA_PORT + 1, i8042);
        mmio.register(GuestSignal.POWER_OFF_ADDRESS, 8, powerOffSignal);
        bootSignal = new GuestSignal(GuestSignal.BOOTED, events::bootMarker);
        mmio.register(GuestSignal.BOOT_ADDRESS, 8, bootSignal);
        agentSignal = new GuestSignal(GuestSignal.AGENT_LISTENING, events::agentListening);
        mmio.register(GuestSignal.AGENT_ADDRESS, 8, agentSignal);
    }

    private void pulse(EventFd line, int irq) {
        try {
            line.signal();
        } catch (ErrnoException e) {
            events.end(new VmExit(VmExit.Reason.CRASH, "raising IRQ " + irq + " failed: " + e.getMessage()));
        }
    }

    /** The VM's side of {@link DeviceContext}: MMIO slots from {@link #MMIO_BASE} with GSIs from {@link #FIRST_GSI}. */
    private final class Context implements DeviceContext {
        private int nextMmioSlot;

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public MmioSlot attachMmio(BusDevice device) {
            int gsi = FIRST_GSI + nextMmioSlot;
            if (gsi > LAST_GSI) {
                throw new IllegalStateException("no interrupt line left for another MMIO device (GSIs "
                        + FIRST_GSI + "-" + LAST_GSI + " are taken)");
            }
            long base = MMIO_BASE + nextMmioSlot * MMIO_SLOT_SIZE;
            nextMmioSlot++;
            deviceGsis.add(gsi);
            mmio.register(base, MMIO_SLOT_SIZE, device);
            return new MmioSlot(base, gsi);
        }

        @Override
        public EventFd interruptLine(int gsi) throws ErrnoException {
            EventFd fd = track(EventFd.create());
            vm.irqfd(fd.fd(), gsi, true);
            return fd;
        }

        @Override
        public void onMmioWrite(long address, int length, OptionalLong datamatch, Runnable handler) throws ErrnoException {
            EventFd fd = track(EventFd.create());
            vm.ioeventfd(fd.fd(), address, length, false, datamatch, true);
            eventLoop.register(fd, handler);
        }

        @Override
        public EventFd onSignal(Runnable handler) throws ErrnoException {
            EventFd fd = track(EventFd.create());
            eventLoop.register(fd, handler);
            return fd;
        }

        @Override
        public Executor ioWorker(String name) {
            return eventLoop.ioWorker(name);
        }

        @Override
        public void appendKernelArgs(String args) {
            deviceArgs.append(' ').append(args);
        }
    }

    /** Keeps {@code fd} for {@link #close}. */
    private EventFd track(EventFd fd) {
        eventFds.add(fd);
        return fd;
    }

    /**
     * Releases every fd and the guest memory, once the vCPU loops have ended. A device handler or
     * I/O worker task still running past the loop's close wait (an fsync, a FUSE request) may
     * still use its eventfds and guest memory: they go only once it has returned.
     */
    void close() {
        CompletionStage<Void> devicesStopped = CompletableFuture.completedFuture(null);
        if (eventLoop != null) {
            eventLoop.close();
            devicesStopped = eventLoop.stopped();
        }
        vcpuFds.forEach(VcpuFd::close);
        if (vm != null) {
            vm.close();
        }
        if (kvm != null) {
            kvm.close();
        }
        devicesStopped.thenRun(() -> eventFds.forEach(EventFd::close));
        if (memory != null) {
            memory.closeAfter(devicesStopped, config.name());
        }
    }
}
