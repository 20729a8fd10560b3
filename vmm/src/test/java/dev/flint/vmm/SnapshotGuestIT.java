package dev.flint.vmm;

import dev.flint.vmm.cpu.CpuTopology;
import dev.flint.vmm.cpu.CpuidNormalizer;
import dev.flint.vmm.cpu.MsrsToSave;
import dev.flint.vmm.devices.Bus;
import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.kvm.KvmIoctls;
import dev.flint.vmm.kvm.Regs;
import dev.flint.vmm.kvm.Sregs;
import dev.flint.vmm.kvm.VcpuFd;
import dev.flint.vmm.kvm.VmFd;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.snapshot.VcpuState;
import dev.flint.vmm.snapshot.VmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tiny real-mode guest counting in EAX and in memory is paused, its vCPU and VM state and its
 * memory saved through the state codec, and restored into a new VM, where it counts on from
 * the saved value. Also: pause parks every vCPU, an AP still waiting for its SIPI included, a
 * paused guest does not run, and a paused VM stops. Needs /dev/kvm (the rig runs it, see
 * KvmTestsInRigIT).
 */
class SnapshotGuestIT {
    private static final long CODE = 0x1000;
    private static final long COUNTER = 0x2000;
    private static final int MEMORY = 0x10000;
    /** inc eax; mov [0x2000], eax; jmp back to the inc. */
    private static final byte[] COUNT = bytes(0x66, 0x40, 0x66, 0xa3, 0x00, 0x20, 0xeb, 0xf8);

    private Kvm kvm;
    private final List<Machine> machines = new ArrayList<>();

    /** One raw VM as VirtualMachine builds it: irqchip, PIT2, one memory slot, vCPUs with normalized CPUID. */
    private final class Machine implements AutoCloseable {
        final VmFd vm;
        final GuestMemory memory;
        final List<VcpuFd> vcpuFds = new ArrayList<>();
        final Map<Integer, VmExit> exits = new ConcurrentHashMap<>();
        final List<List<CpuidEntry>> cpuids = new ArrayList<>();
        final VcpuThreads threads;

        Machine(int cpus) throws Exception {
            vm = kvm.createVm();
            vm.createIrqchip();
            vm.createPit2(KvmIoctls.KVM_PIT_SPEAKER_DUMMY);
            memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, MEMORY)));
            GuestMemory.Region region = memory.regions().get(0);
            vm.setUserMemoryRegion(0, 0, 0, region.size(), region.host().address());
            List<CpuidEntry> supported = kvm.supportedCpuid();
            List<Vcpu> vcpus = new ArrayList<>();
            for (int id = 0; id < cpus; id++) {
                VcpuFd fd = vm.createVcpu(id, kvm.vcpuMmapSize());
                vcpuFds.add(fd);
                cpuids.add(CpuidNormalizer.forVcpu(supported, new CpuTopology(cpus), id));
                fd.setCpuid2(cpuids.get(id));
                vcpus.add(new Vcpu(fd, new Bus("pio"), new Bus("mmio"), exit -> exits.put(fd.id(), exit)));
            }
            threads = new VcpuThreads(vcpus);
            machines.add(this);
        }

        void bootAt(long rip) throws Exception {
            try (Arena arena = Arena.ofConfined()) {
                Sregs sregs = new Sregs(arena);
                vcpuFds.get(0).getSregs(sregs.segment());
                sregs.segment(Sregs.Segment.CS, 0, 0xffff, 0, 0xb, true, 0, false, true, false, false, false);
                vcpuFds.get(0).setSregs(sregs.segment());
                vcpuFds.get(0).setRegs(new Regs(arena).set("rip", rip).set("rflags", 2).segment());
            }
        }

        long counter() {
            return Integer.toUnsignedLong(ByteBuffer.wrap(memory.read(COUNTER, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt());
        }

        long register(int vcpu, String name) throws Exception {
            try (Arena arena = Arena.ofConfined()) {
                Regs regs = new Regs(arena);
                vcpuFds.get(vcpu).getRegs(regs.segment());
                return regs.get(name);
            }
        }

        @Override
        public void close() {
            threads.requestStop();
            threads.join();
            vcpuFds.forEach(VcpuFd::close);
            vm.close();
            memory.close();
        }
    }

    @BeforeEach
    void openKvm() throws Exception {
        try {
            KvmHost.local().requireKvmDevice();
        } catch (HostUnsupportedException e) {
            assumeTrue(false, "needs a usable /dev/kvm: " + e.getMessage());
        }
        kvm = Kvm.open();
    }

    @AfterEach
    void release() {
        machines.forEach(Machine::close);
        if (kvm != null) {
            kvm.close();
        }
    }

    @Test
    void aRestoredGuestCountsOnFromItsSnapshot() throws Exception {
        Machine source = new Machine(1);
        source.memory.write(CODE, COUNT);
        source.bootAt(CODE);
        source.threads.start("snap-source");
        awaitAtLeast(source::counter, 100_000);
        Thread.sleep(200); // long enough that a restore counting from 0 would stay visibly below

        source.threads.pause();
        assertTrue(source.threads.vcpus().get(0).parked());
        long savedCounter = source.counter();
        Thread.sleep(50);
        assertEquals(savedCounter, source.counter(), "a paused guest does not run");
        VcpuState vcpuState = VcpuState.capture(source.vcpuFds.get(0), MsrsToSave.of(kvm));
        VmState vmState = VmState.capture(source.vm);
        // KVM rewrites a few runtime fields itself (leaf 0xd's XSAVE size for the guest's XCR0,
        // OSXSAVE...), so the leaves, not every register, are what must come back.
        assertEquals(source.cpuids.get(0).stream().map(e -> e.function() + "." + e.index()).toList(),
                vcpuState.cpuid().stream().map(e -> e.function() + "." + e.index()).toList(),
                "KVM_GET_CPUID2 gives back the leaves KVM_SET_CPUID2 set");
        long savedEax = source.register(0, "rax") & 0xffff_ffffL;
        long savedRip = source.register(0, "rip");
        assertTrue(savedEax >= savedCounter && savedEax <= savedCounter + 1, "EAX " + savedEax + ", memory " + savedCounter);
        StateOutput out = new StateOutput()
                .writeBytes(source.memory.read(0, MEMORY))
                .writeSection("vm", vmState::write)
                .writeSection("vcpu0", vcpuState::write);
        byte[] snapshot = out.toByteArray();
        source.close();
        machines.remove(source);
        assertEquals(VmExit.Reason.STOPPED, source.exits.get(0).reason(), "a paused VM stops");

        Machine restored = new Machine(1);
        StateInput in = new StateInput(snapshot, "snapshot");
        restored.memory.write(0, in.readBytes(MEMORY));
        VmState.read(in.readSection("vm")).restoreInto(restored.vm);
        StateInput vcpuSection = in.readSection("vcpu0");
        VcpuState.read(vcpuSection).restoreInto(restored.vcpuFds.get(0));
        vcpuSection.expectEnd();
        in.expectEnd();
        assertEquals(savedEax, restored.register(0, "rax") & 0xffff_ffffL, "EAX restored");
        assertEquals(savedRip, restored.register(0, "rip"), "RIP restored");
        assertEquals(savedCounter, restored.counter(), "memory restored");

        restored.threads.start("snap-restored");
        awaitAtLeast(restored::counter, savedCounter + 1);
        restored.threads.pause();
        long eax = restored.register(0, "rax") & 0xffff_ffffL;
        long counter = restored.counter();
        assertTrue(counter > savedCounter, "the restored guest counted on in memory: " + counter + " after " + savedCounter);
        assertTrue(eax > savedEax, "the restored guest counted on in EAX: " + eax + " after " + savedEax);
        assertEquals(Map.of(), restored.exits, "the restored vCPU runs until stopped");
        System.out.printf("SnapshotGuestIT: %d MSRs, %d CPUID entries, XSAVE %d bytes, TSC %d kHz, snapshot %d bytes;"
                        + " counter %d at the save, %d after the restore ran%n", vcpuState.msrs().size(),
                vcpuState.cpuid().size(), vcpuState.xsave().length, vcpuState.tscKhz(), snapshot.length, savedCounter,
                counter);
    }

    @Test
    void pauseParksEveryVcpuIncludingAnApWaitingForItsSipi() throws Exception {
        Machine machine = new Machine(2);
        machine.memory.write(CODE, COUNT);
        machine.bootAt(CODE);
        machine.threads.start("snap-pause");
        awaitAtLeast(machine::counter, 1000);

        CompletableFuture<Void> first = CompletableFuture.runAsync(machine.threads::pause);
        CompletableFuture<Void> second = CompletableFuture.runAsync(machine.threads::pause);
        CompletableFuture.allOf(first, second).get(30, TimeUnit.SECONDS);
        for (Vcpu vcpu : machine.threads.vcpus()) {
            assertTrue(vcpu.parked(), "every vCPU is parked, the AP in its SIPI wait too");
        }
        assertEquals(VcpuFd.MP_STATE_UNINITIALIZED, machine.vcpuFds.get(1).getMpState(), "the AP still waits for SIPI");
        VcpuState ap = VcpuState.capture(machine.vcpuFds.get(1), MsrsToSave.of(kvm));
        assertEquals(VcpuFd.MP_STATE_UNINITIALIZED, ap.mpState());
        long paused = machine.counter();
        Thread.sleep(50);
        assertEquals(paused, machine.counter(), "a paused guest does not run");

        machine.threads.resume();
        machine.threads.resume();
        awaitAtLeast(machine::counter, paused + 1);
        machine.threads.pause();
        machine.threads.pause();
        assertEquals(Map.of(), machine.exits, "no vCPU ended while paused or resumed");

        machine.threads.requestStop();
        machine.threads.join();
        assertEquals(VmExit.Reason.STOPPED, machine.exits.get(0).reason());
        assertEquals(VmExit.Reason.STOPPED, machine.exits.get(1).reason());
    }

    private static void awaitAtLeast(LongSupplier value, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (value.getAsLong() < atLeast) {
            assertTrue(System.nanoTime() < deadline, "the guest's counter reached " + value.getAsLong() + ", not " + atLeast);
            Thread.sleep(1);
        }
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}
