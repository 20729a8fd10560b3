package dev.flint.vmm;

import dev.flint.vmm.cpu.CpuTopology;
import dev.flint.vmm.cpu.CpuidNormalizer;
import dev.flint.vmm.devices.Bus;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Kvm;
import dev.flint.vmm.kvm.Regs;
import dev.flint.vmm.kvm.Sregs;
import dev.flint.vmm.kvm.VcpuFd;
import dev.flint.vmm.kvm.VmFd;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Several vCPUs of one VM, each on its own thread: the application processors wait inside
 * {@code KVM_RUN} until the boot processor's INIT/SIPI (through the in-kernel local APIC) starts
 * them, each reports the APIC id its CPUID gives it, and stopping the VM ends and joins every
 * thread, including those of APs that never got a SIPI. Needs /dev/kvm but not hardware
 * virtualization: PVM runs these tiny real-mode guests.
 */
class SmpGuestIT {
    private static final int CPUS = 4;
    private static final String VM_NAME = "smp-it";
    private static final long BSP_CODE = 0x1000;
    /** SIPI vector 2: the APs start in real mode at CS=0x200, IP=0, i.e. 0x2000. */
    private static final int SIPI_VECTOR = 2;
    private static final long AP_CODE = SIPI_VECTOR * 0x1000L;
    private static final int REPORT_PORT = 0x502;

    /** mov eax,1; cpuid; shr ebx,24; mov al,bl; mov dx,0x502; out dx,al: reports the CPUID APIC id. */
    private static final byte[] REPORT_APIC_ID = bytes(0x66, 0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0x66, 0xc1, 0xeb, 0x18,
            0x88, 0xd8, 0xba, 0x02, 0x05, 0xee);
    /** hlt; jmp back to hlt: sleeps in the in-kernel irqchip until kicked. */
    private static final byte[] SLEEP = bytes(0xf4, 0xeb, 0xfd);
    /** mov dword [0xfee00300], 0x000c4500: ICR = INIT, level assert, to all but self (needs a 4 GiB DS limit). */
    private static final byte[] SEND_INIT = bytes(0x66, 0x67, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x0c, 0x00);
    /** mov dword [0xfee00300], 0x000c4600 | vector: ICR = STARTUP to all but self. */
    private static final byte[] SEND_SIPI = bytes(0x66, 0x67, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, SIPI_VECTOR, 0x46,
            0x0c, 0x00);

    private Kvm kvm;
    private VmFd vm;
    private GuestMemory memory;
    private final List<VcpuFd> vcpuFds = new ArrayList<>();
    private final Bus pio = new Bus("pio");
    private final Set<Integer> reportedApicIds = ConcurrentHashMap.newKeySet();
    private final Map<Integer, VmExit> exits = new ConcurrentHashMap<>();
    private final CountDownLatch allExited = new CountDownLatch(CPUS);
    private VcpuThreads threads;

    @BeforeEach
    void createVm() throws Exception {
        try {
            KvmHost.local().requireKvmDevice();
        } catch (HostUnsupportedException e) {
            assumeTrue(false, "needs a usable /dev/kvm: " + e.getMessage());
        }
        kvm = Kvm.open();
        vm = kvm.createVm();
        vm.createIrqchip();
        memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 0x10000)));
        GuestMemory.Region region = memory.regions().get(0);
        vm.setUserMemoryRegion(0, 0, 0, region.size(), region.host().address());
        List<CpuidEntry> supported = kvm.supportedCpuid();
        CpuTopology topology = new CpuTopology(CPUS);
        int mmapSize = kvm.vcpuMmapSize();
        for (int id = 0; id < CPUS; id++) {
            VcpuFd fd = vm.createVcpu(id, mmapSize);
            vcpuFds.add(fd);
            fd.setCpuid2(CpuidNormalizer.forVcpu(supported, topology, id));
        }
        pio.register(REPORT_PORT, 1, new BusDevice() {
            @Override
            public void read(long offset, MemorySegment data) {
                data.fill((byte) 0);
            }

            @Override
            public void write(long offset, MemorySegment data) {
                reportedApicIds.add(Byte.toUnsignedInt(data.get(JAVA_BYTE, 0)));
            }
        });
        List<Vcpu> vcpus = new ArrayList<>();
        for (VcpuFd fd : vcpuFds) {
            vcpus.add(new Vcpu(fd, pio, new Bus("mmio"), exit -> {
                exits.put(fd.id(), exit);
                allExited.countDown();
            }));
        }
        threads = new VcpuThreads(vcpus);
    }

    @AfterEach
    void release() {
        if (threads != null) {
            threads.requestStop();
            threads.join();
        }
        vcpuFds.forEach(VcpuFd::close);
        if (vm != null) {
            vm.close();
        }
        if (kvm != null) {
            kvm.close();
        }
        if (memory != null) {
            memory.close();
        }
    }

    /** Real mode at {@link #BSP_CODE} with DS reaching all 4 GiB ("unreal" mode), so the BSP can write the LAPIC's ICR. */
    private void bootBspAt(byte[]... code) throws Exception {
        memory.write(BSP_CODE, concat(code));
        try (Arena arena = Arena.ofConfined()) {
            VcpuFd bsp = vcpuFds.get(0);
            Sregs sregs = new Sregs(arena);
            bsp.getSregs(sregs.segment());
            sregs.segment(Sregs.Segment.CS, 0, 0xffff, 0, 0xb, true, 0, false, true, false, false, false);
            sregs.segment(Sregs.Segment.DS, 0, 0xffff_ffff, 0, 0x3, true, 0, false, true, false, true, false);
            bsp.setSregs(sregs.segment());
            bsp.setRegs(new Regs(arena).set("rip", BSP_CODE).set("rflags", 2).segment());
        }
    }

    private static List<Thread> liveVcpuThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("flint-" + VM_NAME + "-vcpu") && t.isAlive()).toList();
    }

    private void stopAndJoin() throws InterruptedException {
        threads.requestStop();
        threads.join();
        assertTrue(allExited.await(10, TimeUnit.SECONDS), "every vCPU reported its exit, got " + exits);
        for (Thread thread : threads.threads()) {
            assertFalse(thread.isAlive(), thread.getName() + " still runs after join");
        }
        assertEquals(List.of(), liveVcpuThreads(), "no vCPU thread left behind");
        for (int id = 0; id < CPUS; id++) {
            assertEquals(VmExit.Reason.STOPPED, exits.get(id).reason(), "vCPU " + id + ": " + exits.get(id));
        }
    }

    @Test
    void applicationProcessorsWaitForSipiThenRunOnTheirOwnThreads() throws Exception {
        assertEquals(VcpuFd.MP_STATE_RUNNABLE, vcpuFds.get(0).getMpState(), "the BSP runs from reset");
        for (int id = 1; id < CPUS; id++) {
            assertEquals(VcpuFd.MP_STATE_UNINITIALIZED, vcpuFds.get(id).getMpState(), "AP " + id + " waits for INIT/SIPI");
        }
        memory.write(AP_CODE, concat(REPORT_APIC_ID, SLEEP));
        bootBspAt(SEND_INIT, SEND_SIPI, REPORT_APIC_ID, SLEEP);

        threads.start(VM_NAME);
        assertEquals(CPUS, threads.threads().size());
        for (int id = 0; id < CPUS; id++) {
            assertEquals("flint-" + VM_NAME + "-vcpu" + id, threads.threads().get(id).getName());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (reportedApicIds.size() < CPUS && System.nanoTime() < deadline && exits.isEmpty()) {
            Thread.sleep(5);
        }
        assertEquals(Map.of(), exits, "no vCPU may end before the stop");
        assertEquals(Set.of(0, 1, 2, 3), reportedApicIds, "each vCPU ran and read its own APIC id from CPUID");

        stopAndJoin();
        for (int id = 1; id < CPUS; id++) {
            assertNotEquals(VcpuFd.MP_STATE_UNINITIALIZED, vcpuFds.get(id).getMpState(), "AP " + id + " left its wait");
        }
    }

    @Test
    void applicationProcessorsThatNeverGetASipiStopAndAreJoined() throws Exception {
        bootBspAt(REPORT_APIC_ID, SLEEP);
        threads.start(VM_NAME);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (reportedApicIds.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(Set.of(0), reportedApicIds, "only the BSP runs guest code");
        assertEquals(CPUS, liveVcpuThreads().size(), "the APs' threads wait inside KVM_RUN");

        stopAndJoin();
        for (int id = 1; id < CPUS; id++) {
            assertEquals(VcpuFd.MP_STATE_UNINITIALIZED, vcpuFds.get(id).getMpState(), "AP " + id + " never started");
        }
    }

    @Test
    void vcpusAskedToStopBeforeTheyStartNeverEnterTheGuest() throws Exception {
        bootBspAt(REPORT_APIC_ID, SLEEP);
        threads.requestStop();
        threads.start(VM_NAME);
        stopAndJoin();
        assertEquals(Set.of(), reportedApicIds, "no vCPU ran guest code");
        for (Vcpu vcpu : threads.vcpus()) {
            assertEquals(0, vcpu.exitCount(), "no KVM_RUN after the stop request");
        }
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}
