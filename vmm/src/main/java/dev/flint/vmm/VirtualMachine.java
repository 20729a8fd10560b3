package dev.flint.vmm;

import dev.flint.vmm.boot.BootFiles;
import dev.flint.vmm.boot.InvalidKernelException;
import dev.flint.vmm.kvm.VcpuFd;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.X86MemoryMap;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.SnapshotFile;
import dev.flint.vmm.sys.ErrnoException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
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
    /** Done once the guest's agent listens: its signal in this VM, or before the snapshot this VM was restored from. */
    private final CompletableFuture<Void> agentListening = new CompletableFuture<>();
    private volatile VcpuThreads vcpuThreads;
    private VmAssembly parts;
    private volatile long markerNanos = -1;
    private volatile long agentNanos = -1;
    private long firstRunNanos = -1;
    private boolean paused;
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
            machine.parts = VmAssembly.assemble(config, machine.timeline, machine.events(),
                    () -> GuestMemory.mapAnonymous(X86MemoryMap.ramRanges(config.memoryBytes())));
            KernelBoot.prepare(machine.parts, machine.timeline);
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
        } catch (VmmException | RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    private VmAssembly.Events events() {
        return new VmAssembly.Events() {
            @Override
            public void end(VmExit exit) {
                VirtualMachine.this.end(exit);
            }

            @Override
            public void bootMarker() {
                if (markerNanos < 0) {
                    markerNanos = System.nanoTime();
                }
            }

            @Override
            public void agentListening() {
                if (agentNanos < 0) {
                    agentNanos = System.nanoTime();
                }
                VirtualMachine.this.agentListening.complete(null);
            }
        };
    }

    private void startVcpus() {
        firstRunNanos = System.nanoTime();
        timeline.mark("start vCPU threads");
        List<Vcpu> vcpus = new ArrayList<>();
        for (VcpuFd fd : parts.vcpuFds) {
            vcpus.add(new Vcpu(fd, parts.pio, parts.mmio, this::end));
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

    /** Nanoseconds from {@link #start} to the agent's signal that it listens, if it came in this VM. */
    public OptionalLong agentListeningNanos() {
        long agent = agentNanos;
        return agent < 0 ? OptionalLong.empty() : OptionalLong.of(agent - createdNanos);
    }

    /**
     * Waits at most {@code timeout} for the guest's agent to signal that it listens on its vsock
     * port, returning early when the VM ends. True once it has signalled, in this VM or before the
     * snapshot this VM was restored from; false for an agent that never signals (one older than
     * the signal) and after the VM ended without it.
     */
    public boolean awaitAgentListening(Duration timeout) throws InterruptedException {
        try {
            CompletableFuture.anyOf(agentListening, exit).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("VM signal future failed", e.getCause());
        }
        return agentListening.isDone();
    }

    /** Nanoseconds the host spent setting the VM up before the first {@code KVM_RUN}. */
    public long setupNanos() {
        return firstRunNanos - createdNanos;
    }

    /** Queues {@code bytes} as input on the guest's serial console. */
    public void sendToConsole(byte[] bytes) {
        parts.serial.receive(bytes);
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
        return parts == null || parts.memory == null ? List.of() : parts.memory.regions();
    }

    /** Guest accesses to ports and addresses no device claims. */
    public long unclaimedAccesses() {
        return parts == null ? 0 : parts.pio.unclaimedAccesses() + parts.mmio.unclaimedAccesses();
    }

    public String name() {
        return config.name();
    }

    /**
     * Restores the VM saved in {@code directory} ({@link #snapshot}) with the devices of
     * {@code config}: the same kinds, in the same order, as the VM that was saved (a device
     * attached in another order, a disk that changed size, another memory size or vCPU count is a
     * {@link SnapshotException} saying so). Guest memory is mapped copy-on-write from the memory
     * file, which must not change while this VM lives. The VM runs when this returns. The snapshot
     * is read and checked (format, checksum, CPU vendor, memory size) before any VM exists.
     */
    public static VirtualMachine restore(VmConfig config, Path directory) throws VmmException {
        KvmHost.local().requireLinuxGuests();
        SnapshotFile.Contents contents = VmSnapshot.read(config, directory);
        VirtualMachine machine = new VirtualMachine(config);
        try {
            machine.parts = VmAssembly.assemble(config, machine.timeline, machine.events(),
                    () -> VmSnapshot.mapMemory(contents, directory));
            VmSnapshot.restore(machine.parts, contents);
            if (machine.parts.agentSignal.seen()) {
                machine.agentListening.complete(null);   // its agent listened when saved: nothing to wait for
            }
            machine.timeline.mark("restore state");
            machine.startVcpus();
            return machine;
        } catch (ErrnoException | IOException e) {
            machine.close();
            throw new VmmException("restoring VM " + config.name() + " from " + directory + " failed: " + e.getMessage(), e);
        } catch (VmmException | RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    /**
     * Parks every vCPU outside {@code KVM_RUN} and lets the event loop finish its current handler
     * and run nothing more, so no device request is in flight. Idempotent, from any thread; a
     * paused VM can still be stopped and closed.
     */
    public synchronized void pause() {
        if (paused || closed) {
            return;
        }
        VcpuThreads threads = vcpuThreads;
        if (threads != null) {
            threads.pause();
        }
        if (parts.eventLoop != null) {
            parts.eventLoop.quiesce();
        }
        paused = true;
    }

    /** Undoes {@link #pause}: devices first, then the vCPUs. Idempotent, from any thread. */
    public synchronized void resume() {
        if (!paused || closed) {
            return;
        }
        if (parts.eventLoop != null) {
            parts.eventLoop.resume();
        }
        VcpuThreads threads = vcpuThreads;
        if (threads != null) {
            threads.resume();
        }
        paused = false;
    }

    public synchronized boolean paused() {
        return paused;
    }

    /**
     * Writes this paused VM to {@code directory}: {@code vm.state} (header, VM, vCPU and device
     * state; written last, so a directory without it holds no snapshot) and {@code memory} (the
     * guest RAM, only the pages with data). A snapshot already there is replaced; a VM restored
     * from it keeps its own mapping. The VM stays paused.
     *
     * @throws IllegalStateException when the VM is not paused
     */
    public synchronized void snapshot(Path directory) throws VmmException {
        if (!paused) {
            throw new IllegalStateException("VM " + config.name() + " must be paused to be saved; call pause() first");
        }
        if (exit.isDone()) {
            throw new SnapshotException("VM " + config.name() + " has ended (" + exit.join() + "); there is nothing to save");
        }
        VmSnapshot.save(parts, directory);
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
        if (parts != null) {
            parts.close();
        }
    }
}
