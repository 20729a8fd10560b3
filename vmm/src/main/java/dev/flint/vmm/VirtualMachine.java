package dev.flint.vmm;

import dev.flint.vmm.boot.BootFiles;
import dev.flint.vmm.boot.BootLayout;
import dev.flint.vmm.boot.CommandLine;
import dev.flint.vmm.boot.E820Entry;
import dev.flint.vmm.boot.Gdt;
import dev.flint.vmm.boot.Initrd;
import dev.flint.vmm.boot.InvalidKernelException;
import dev.flint.vmm.boot.KernelImage;
import dev.flint.vmm.boot.KernelLoader;
import dev.flint.vmm.boot.PageTables;
import dev.flint.vmm.boot.ZeroPage;
import dev.flint.vmm.boot.mptable.MpTable;
import dev.flint.vmm.cpu.BootMsrs;
import dev.flint.vmm.cpu.CpuTopology;
import dev.flint.vmm.cpu.CpuidNormalizer;
import dev.flint.vmm.cpu.Lapic;
import dev.flint.vmm.cpu.LongMode;
import dev.flint.vmm.cpu.VcpuLimit;
import dev.flint.vmm.devices.Bus;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.devices.DeviceAttacher;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.devices.GuestSignal;
import dev.flint.vmm.devices.I8042;
import dev.flint.vmm.devices.Serial8250;
import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.kvm.KvmIoctls;
import dev.flint.vmm.kvm.KvmStructs;
import dev.flint.vmm.kvm.Regs;
import dev.flint.vmm.kvm.Sregs;
import dev.flint.vmm.kvm.VcpuFd;
import dev.flint.vmm.kvm.VmFd;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.X86MemoryMap;
import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.EventFd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One microVM booting a Linux kernel through the 64-bit boot protocol: KVM VM with in-kernel
 * irqchip and PIT, guest RAM (below the 32-bit hole, the rest above 4 GiB), boot structures with
 * an MP table describing every vCPU, the legacy devices, and a platform thread per vCPU. vCPU 0
 * boots the kernel; the guest wakes the others with INIT/SIPI through the in-kernel local APICs.
 *
 * <p>The VM ends on the first of: the guest powering off, a crash, {@link #stop()}, or the timeout
 * given to {@link #awaitExit}. {@link #close()} always stops it, joins its threads and releases
 * every fd and the guest memory (a device handler that outlasts the event loop's close wait
 * keeps its eventfds and the guest memory until it returns: see {@link GuestMemory#closeAfter}).
 */
public final class VirtualMachine implements AutoCloseable {
    /**
     * Arguments every Flint guest boots with (REFERENCE.md: what saves boot time). {@code panic=-1}
     * resets at once on a kernel panic, which {@link VmExit#guestReset} reports as a crash.
     */
    public static final String BASE_CMDLINE = "console=ttyS0 reboot=k panic=-1 nomodule 8250.nr_uarts=1"
            + " i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd swiotlb=noforce cryptomgr.notests";

    private final VmConfig config;
    private final long createdNanos = System.nanoTime();
    private final BootTimeline timeline = new BootTimeline(createdNanos);
    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    private final List<VcpuFd> vcpuFds = new ArrayList<>();
    private final List<Integer> deviceGsis = new ArrayList<>();
    private volatile VcpuThreads vcpuThreads;
    private final Bus pio = new Bus("port I/O");
    private final Bus mmio = new Bus("MMIO");
    private final List<EventFd> eventFds = new ArrayList<>();
    private final StringBuilder deviceArgs = new StringBuilder();
    private EventLoop eventLoop;
    private int nextMmioSlot;
    private Serial8250 serial;
    private Kvm kvm;
    private VmFd vm;
    private GuestMemory memory;
    private volatile long markerNanos = -1;
    private volatile boolean powerOffAnnounced;
    private long firstRunNanos = -1;
    private boolean closed;

    private VirtualMachine(VmConfig config) {
        this.config = config;
    }

    /**
     * Creates the VM, loads the kernel and starts its vCPUs. Fails before touching KVM when the
     * host cannot boot Linux guests (no /dev/kvm, no permission, PVM), and before creating the
     * VM when the kernel or initramfs cannot boot ({@link BootFiles#check}).
     */
    public static VirtualMachine start(VmConfig config) throws VmmException {
        KvmHost.local().requireLinuxGuests();
        VirtualMachine machine = new VirtualMachine(config);
        try {
            BootFiles.check(config.kernel(), config.initrd(), config.memoryBytes());   // before any VM exists
            machine.create();
            machine.startVcpus();
            return machine;
        } catch (HostUnsupportedException e) {
            machine.close();
            throw e;
        } catch (ErrnoException e) {
            machine.close();
            throw new VmmException("creating VM " + config.name() + " failed: " + e.getMessage(), e);
        } catch (java.nio.file.AccessDeniedException e) {
            machine.close();
            throw new VmmException("booting VM " + config.name() + " failed: " + e.getFile() + " is not readable by this"
                    + " user; give it read access to the guest kernel and initramfs (FLINT_CACHE)", e);
        } catch (InvalidKernelException | IOException | IllegalArgumentException e) {
            machine.close();
            throw new VmmException("booting VM " + config.name() + " failed: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    private void create() throws ErrnoException, IOException, InvalidKernelException, HostUnsupportedException {
        kvm = Kvm.open();
        timeline.mark("open /dev/kvm (links the libc bindings)");
        requireCapability(KvmIoctls.KVM_CAP_IRQCHIP, "an in-kernel interrupt controller");
        requireCapability(KvmIoctls.KVM_CAP_PIT2, "an in-kernel PIT");
        requireCapability(KvmIoctls.KVM_CAP_IMMEDIATE_EXIT, "immediate_exit");
        VcpuLimit.fromCapabilities(kvm.checkExtension(KvmIoctls.KVM_CAP_MAX_VCPUS),
                kvm.checkExtension(KvmIoctls.KVM_CAP_NR_VCPUS)).require(config.vcpus());
        CpuTopology topology = new CpuTopology(config.vcpus());
        vm = kvm.createVm();
        vm.setTssAddr(BootLayout.KVM_TSS_ADDRESS);
        vm.setIdentityMapAddr(BootLayout.KVM_IDENTITY_MAP_ADDRESS);
        vm.createIrqchip();
        vm.createPit2(KvmIoctls.KVM_PIT_SPEAKER_DUMMY);
        timeline.mark("create VM");

        memory = GuestMemory.mapAnonymous(X86MemoryMap.ramRanges(config.memoryBytes()));
        int slot = 0;
        for (GuestMemory.Region region : memory.regions()) {
            vm.setUserMemoryRegion(slot++, 0, region.guestAddress(), region.size(), region.host().address());
        }
        timeline.mark("map memory");

        attachDevices();
        KernelImage kernel = KernelLoader.load(config.kernel(), memory);
        timeline.mark("load kernel");
        int cmdlineBytes = CommandLine.write(memory, config.cmdline() + deviceArgs, kernel.cmdlineLimit());
        Initrd initrd = config.initrd().isPresent() ? Initrd.load(config.initrd().get(), memory, kernel) : null;
        timeline.mark("load initramfs");
        List<E820Entry> e820 = E820Entry.mapFor(memory);
        ZeroPage.write(memory, kernel, BootLayout.CMDLINE_ADDRESS, cmdlineBytes, initrd, e820);
        Gdt.write(memory);
        long cr3 = PageTables.write(memory);
        List<CpuidEntry> supportedCpuid = kvm.supportedCpuid();
        writeMpTable(CpuidNormalizer.forVcpu(supportedCpuid, topology, 0), e820);
        timeline.mark("boot structures");

        registerDevices();
        int mmapSize = kvm.vcpuMmapSize();
        for (int id = 0; id < config.vcpus(); id++) {
            VcpuFd vcpu = vm.createVcpu(id, mmapSize);
            vcpuFds.add(vcpu);
            configureVcpu(vcpu, CpuidNormalizer.forVcpu(supportedCpuid, topology, id), kernel.entry(), cr3);
        }
        timeline.mark("vCPUs");
    }

    /** The MP table lists every vCPU with the signature and features vCPU 0's CPUID reports. */
    private void writeMpTable(List<CpuidEntry> bootCpuid, List<E820Entry> e820) {
        CpuidEntry leaf1 = bootCpuid.stream().filter(e -> e.function() == 1).findFirst()
                .orElseThrow(() -> new IllegalStateException("KVM_GET_SUPPORTED_CPUID has no leaf 1;"
                        + " this KVM cannot describe a CPU to the guest"));
        MpTable.forMachine(config.vcpus(), leaf1.eax(), leaf1.edx(), deviceGsis).write(memory, e820);
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
        eventLoop = new EventLoop(config.name(), failure -> end(new VmExit(VmExit.Reason.CRASH,
                "device failure: " + failure)));
        DeviceContext context = new Context();
        for (DeviceAttacher device : config.devices()) {
            try {
                device.attach(context);
            } catch (ErrnoException | IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException("attaching a device failed: " + e.getMessage(), e);
            }
        }
        timeline.mark("attach devices");
    }

    /** The VM's side of {@link DeviceContext}: MMIO slots from 0xd0000000 with GSIs from 5. */
    private final class Context implements DeviceContext {
        static final long MMIO_BASE = 0xd000_0000L;
        static final int FIRST_GSI = 5;
        static final int LAST_GSI = 23;

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
        public void appendKernelArgs(String args) {
            deviceArgs.append(' ').append(args);
        }

        private EventFd track(EventFd fd) {
            eventFds.add(fd);
            return fd;
        }
    }

    private void registerDevices() {
        serial = new Serial8250(config.console(), () -> pulseIrq(Serial8250.COM1_IRQ));
        pio.register(Serial8250.COM1_BASE, Serial8250.PORT_COUNT, serial);
        pio.register(I8042.DATA_PORT, I8042.COMMAND_PORT - I8042.DATA_PORT + 1,
                new I8042(() -> end(VmExit.guestReset(powerOffAnnounced))));
        mmio.register(GuestSignal.POWER_OFF_ADDRESS, 8,
                new GuestSignal(GuestSignal.POWERING_OFF, () -> powerOffAnnounced = true));
        mmio.register(GuestSignal.BOOT_ADDRESS, 8, new GuestSignal(GuestSignal.BOOTED, () -> {
            if (markerNanos < 0) {
                markerNanos = System.nanoTime();
            }
        }));
    }

    private void configureVcpu(VcpuFd vcpu, List<CpuidEntry> cpuid, long entry, long cr3) throws ErrnoException {
        vcpu.setCpuid2(cpuid);
        vcpu.setMsrs(BootMsrs.values());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lapic = arena.allocate(KvmStructs.LAPIC_STATE);
            vcpu.getLapic(lapic);
            Lapic.configureVirtualWire(lapic);
            vcpu.setLapic(lapic);
            if (vcpu.id() == 0) {
                // Application processors wait for INIT/SIPI from the boot CPU, in the kernel's LAPIC.
                Sregs sregs = new Sregs(arena);
                vcpu.getSregs(sregs.segment());
                LongMode.configure(sregs, cr3);
                vcpu.setSregs(sregs.segment());
                Regs regs = new Regs(arena);
                LongMode.configure(regs, entry);
                vcpu.setRegs(regs.segment());
            }
        }
    }

    private void pulseIrq(int irq) {
        try {
            vm.irqLine(irq, true);
            vm.irqLine(irq, false);
        } catch (ErrnoException e) {
            end(new VmExit(VmExit.Reason.CRASH, "raising IRQ " + irq + " failed: " + e.getMessage()));
        }
    }

    private void startVcpus() {
        firstRunNanos = System.nanoTime();
        timeline.mark("start vCPU threads");
        List<Vcpu> vcpus = new ArrayList<>();
        for (VcpuFd fd : vcpuFds) {
            vcpus.add(new Vcpu(fd, pio, mmio, this::end));
        }
        VcpuThreads threads = new VcpuThreads(vcpus);
        vcpuThreads = threads;
        if (exit.isDone()) {
            threads.requestStop(); // ended before the threads existed: they stop before their first KVM_RUN
        }
        threads.start(config.name());
    }

    /** Records the first ending (from any vCPU, a device or the host) and stops every vCPU. */
    private void end(VmExit reason) {
        if (exit.complete(reason)) {
            VcpuThreads threads = vcpuThreads;
            if (threads != null) {
                threads.requestStop();
            }
        }
    }

    /** Waits until the VM ends; after {@code timeout} it is stopped and reported as {@link VmExit.Reason#TIMEOUT}. */
    public VmExit awaitExit(Duration timeout) throws InterruptedException {
        try {
            return exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            end(new VmExit(VmExit.Reason.TIMEOUT, "still running after " + timeout.toMillis() + " ms"));
            return exit.join();
        } catch (ExecutionException e) {
            throw new IllegalStateException("VM exit future failed", e.getCause());
        }
    }

    /**
     * Runs {@code action} with the VM's ending as soon as it ends (at once if it has): on the thread
     * that ended it, often a vCPU's, so the action must not block and must not {@link #close} the
     * VM; hand longer work to another thread.
     */
    public void whenEnded(Consumer<VmExit> action) {
        exit.thenAccept(action);
    }

    /** How the VM ended, or null while it runs. */
    public VmExit exitIfEnded() {
        return exit.getNow(null);
    }

    /** Asks the VM to stop; {@link #awaitExit} then reports {@link VmExit.Reason#STOPPED}. */
    public void stop() {
        end(new VmExit(VmExit.Reason.STOPPED, "stopped by the host"));
    }

    /** Nanoseconds from {@link #start} to the guest's boot marker write, if it came. */
    public OptionalLong bootMarkerNanos() {
        long marker = markerNanos;
        return marker < 0 ? OptionalLong.empty() : OptionalLong.of(marker - createdNanos);
    }

    /** Nanoseconds the host spent setting the VM up before the first {@code KVM_RUN}. */
    public long setupNanos() {
        return firstRunNanos - createdNanos;
    }

    /** Queues {@code bytes} as input on the guest's serial console. */
    public void sendToConsole(byte[] bytes) {
        serial.receive(bytes);
    }

    /** Where the host's setup time went, step by step. */
    public BootTimeline timeline() {
        return timeline;
    }

    /** The vCPU threads, started or not yet: for CPU-time accounting. */
    public List<Thread> vcpuThreads() {
        VcpuThreads threads = vcpuThreads;
        return threads == null ? List.of() : threads.threads();
    }

    /** VM exits the vCPUs have handled so far, all of them together. */
    public long vcpuExits() {
        VcpuThreads threads = vcpuThreads;
        return threads == null ? 0 : threads.vcpus().stream().mapToLong(Vcpu::exitCount).sum();
    }

    /** Where the guest's RAM lives in this process: one region per memory slot. */
    public List<GuestMemory.Region> memoryRegions() {
        return memory == null ? List.of() : memory.regions();
    }

    /** Guest accesses to ports and addresses no device claims. */
    public long unclaimedAccesses() {
        return pio.unclaimedAccesses() + mmio.unclaimedAccesses();
    }

    public String name() {
        return config.name();
    }

    // --- Snapshot API (contract for the machine layer; implemented by the snapshot work) ---

    /** Parks every vCPU outside KVM_RUN and quiets the event loop; idempotent, from any thread. */
    public void pause() {
        throw new UnsupportedOperationException("pause: not yet implemented");
    }

    /** Undoes {@link #pause}; idempotent, from any thread. */
    public void resume() {
        throw new UnsupportedOperationException("resume: not yet implemented");
    }

    /** Whether the VM is paused. */
    public boolean paused() {
        return false;
    }

    /**
     * Writes the paused VM to {@code directory}: {@code vm.state} (header, vCPU, VM and device
     * state) and {@code memory} (the guest RAM, sparse). The VM stays paused.
     */
    public void snapshot(java.nio.file.Path directory) throws VmmException {
        throw new UnsupportedOperationException("snapshot: not yet implemented");
    }

    /**
     * A VM restored from {@code directory} with the devices of {@code config} (the same kinds, in
     * the same order, as the VM that was saved), its memory mapped copy-on-write from the memory
     * file; it runs when this returns.
     */
    public static VirtualMachine restore(VmConfig config, java.nio.file.Path directory) throws VmmException {
        throw new UnsupportedOperationException("restore: not yet implemented");
    }

    /** Stops the VM, joins its vCPU threads and releases every fd and the guest memory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop();
        VcpuThreads threads = vcpuThreads;
        if (threads != null) {
            threads.requestStop(); // also when the VM had ended before: every loop must be out of KVM_RUN
            threads.join();
        }
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
        // A device handler still running past the loop's close wait (an fsync, a FUSE request)
        // may still use its eventfds and guest memory: they go only once it has returned.
        devicesStopped.thenRun(() -> eventFds.forEach(EventFd::close));
        if (memory != null) {
            memory.closeAfter(devicesStopped, config.name());
        }
    }
}
