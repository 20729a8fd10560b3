package dev.flint.vmm;

import dev.flint.vmm.devices.Bus;
import dev.flint.vmm.devices.BusDevice;
import dev.flint.vmm.devices.Serial8250;
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

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs tiny real-mode guests through the whole KVM binding layer: VM, memory slot, vCPU,
 * registers, the run loop, port I/O to the 8250 UART, and the kick that stops a vCPU.
 * Needs /dev/kvm but not hardware virtualization: PVM runs these natively.
 */
class RealModeGuestIT {
    private static final long CODE = 0x1000;
    private static final int EXIT_PORT = 0x501;
    /** mov dx,0x3f8; mov al,'H'; out dx,al; mov al,'i'; out dx,al; mov al,10; out dx,al; mov dx,0x501; mov al,42; out dx,al; hlt */
    private static final byte[] HELLO = bytes(0xba, 0xf8, 0x03, 0xb0, 'H', 0xee, 0xb0, 'i', 0xee, 0xb0, 0x0a, 0xee,
            0xba, 0x01, 0x05, 0xb0, 42, 0xee, 0xf4);
    /** mov dx,0x600; mov al,1; out dx,al; mov dx,0x501; mov al,7; out dx,al; hlt */
    private static final byte[] DOORBELL = bytes(0xba, 0x00, 0x06, 0xb0, 1, 0xee, 0xba, 0x01, 0x05, 0xb0, 7, 0xee, 0xf4);
    /** jmp $ */
    private static final byte[] SPIN = bytes(0xeb, 0xfe);
    /** sti; hlt; jmp to hlt: sleeps in the in-kernel irqchip's hlt */
    private static final byte[] SLEEP = bytes(0xfb, 0xf4, 0xeb, 0xfd);

    private Kvm kvm;
    private VmFd vm;
    private GuestMemory memory;
    private VcpuFd vcpuFd;
    private final Bus pio = new Bus("pio");
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final AtomicInteger exitValue = new AtomicInteger(-1);
    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    /** Extra kicks the exit port's handler sends on the vCPU thread, as a power-off then a close do. */
    private final AtomicInteger extraKicks = new AtomicInteger();
    private Vcpu vcpu;

    @BeforeEach
    void createVm() throws Exception {
        KvmHost host = KvmHost.local();
        try {
            host.requireKvmDevice();
        } catch (HostUnsupportedException e) {
            assumeTrue(false, "needs a usable /dev/kvm: " + e.getMessage());
        }
        kvm = Kvm.open();
        vm = kvm.createVm();
        vm.createIrqchip();
        memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 0x10000)));
        GuestMemory.Region region = memory.regions().get(0);
        vm.setUserMemoryRegion(0, 0, 0, region.size(), region.host().address());
        vcpuFd = vm.createVcpu(0, kvm.vcpuMmapSize());
        pio.register(Serial8250.COM1_BASE, Serial8250.PORT_COUNT, new Serial8250(console, () -> { }));
        pio.register(EXIT_PORT, 1, new BusDevice() {
            @Override
            public void read(long offset, MemorySegment data) {
                data.fill((byte) 0);
            }

            @Override
            public void write(long offset, MemorySegment data) {
                exitValue.set(data.get(JAVA_BYTE, 0));
                vcpu.requestStop();
                for (int i = extraKicks.get(); i > 0; i--) {
                    vcpu.kick();
                }
            }
        });
        vcpu = new Vcpu(vcpuFd, pio, new Bus("mmio"), exit::complete);
    }

    @AfterEach
    void release() {
        if (vcpuFd != null) {
            vcpuFd.close();
        }
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

    private void startAt(byte[] code) throws Exception {
        memory.write(CODE, code);
        try (Arena arena = Arena.ofConfined()) {
            Sregs sregs = new Sregs(arena);
            vcpuFd.getSregs(sregs.segment());
            sregs.segment(Sregs.Segment.CS, 0, 0xffff, 0, 0xb, true, 0, false, true, false, false, false);
            vcpuFd.setSregs(sregs.segment());
            vcpuFd.setRegs(new Regs(arena).set("rip", CODE).set("rflags", 2).segment());
            vcpuFd.getSregs(sregs.segment());
            assertEquals(0, sregs.selector(Sregs.Segment.CS), "CS selector read back");
            assertEquals(0, sregs.base(Sregs.Segment.CS), "CS base read back");
        }
    }

    @Test
    void guestWritesThroughTheUartAndSignalsTheExitPort() throws Exception {
        startAt(HELLO);
        Thread thread = vcpu.start("realmode");
        VmExit result = exit.get(30, TimeUnit.SECONDS);
        thread.join(5_000);

        assertEquals("Hi\n", console.toString(StandardCharsets.US_ASCII));
        assertEquals(42, exitValue.get());
        assertEquals(VmExit.Reason.STOPPED, result.reason());
        assertTrue(vcpu.exitCount() >= 4, "one exit per out instruction, got " + vcpu.exitCount());
        assertFalse(thread.isAlive());
    }

    @Test
    void ioeventfdCatchesAPortWriteInsideKvm() throws Exception {
        try (dev.flint.vmm.sys.EventFd doorbell = dev.flint.vmm.sys.EventFd.create();
             dev.flint.vmm.sys.EventFd interrupt = dev.flint.vmm.sys.EventFd.create()) {
            vm.ioeventfd(doorbell.fd(), 0x600, 1, true, java.util.OptionalLong.of(1), true);
            vm.irqfd(interrupt.fd(), 5, true);
            startAt(DOORBELL);
            Thread thread = vcpu.start("doorbell");
            exit.get(30, TimeUnit.SECONDS);
            thread.join(5_000);

            assertEquals(7, exitValue.get());
            assertEquals(1, doorbell.drain(), "the guest's out to port 0x600 signalled the eventfd");
            assertEquals(0, pio.unclaimedAccesses(), "the doorbell write never reached user space");
            vm.irqfd(interrupt.fd(), 5, false);
            vm.ioeventfd(doorbell.fd(), 0x600, 1, true, java.util.OptionalLong.of(1), false);
        }
    }

    @Test
    void kickStopsASpinningVcpu() throws Exception {
        startAt(SPIN);
        Thread thread = vcpu.start("spin");
        Thread.sleep(50);
        assertFalse(exit.isDone(), "a spinning guest must keep running until kicked");
        vcpu.requestStop();
        assertEquals(VmExit.Reason.STOPPED, exit.get(10, TimeUnit.SECONDS).reason());
        thread.join(5_000);
        assertFalse(thread.isAlive());
    }

    @Test
    void everyQueuedKickIsTakenBeforeTheThreadEnds() throws Exception {
        // Kick is a real-time signal, and those queue: a thread that ended with one still
        // pending could have it delivered while HotSpot tears the thread down, ending the JVM.
        extraKicks.set(2);
        startAt(HELLO);
        Thread thread = vcpu.start("kicks");
        assertEquals(VmExit.Reason.STOPPED, exit.get(10, TimeUnit.SECONDS).reason());
        thread.join(5_000);
        assertFalse(thread.isAlive());
        assertEquals(3, vcpu.kicksTaken(), "the stop's kick and both extra kicks were taken off the queue");
    }

    @Test
    void kickWakesAVcpuSleepingInHlt() throws Exception {
        startAt(SLEEP);
        Thread thread = vcpu.start("sleep");
        Thread.sleep(50);
        assertFalse(exit.isDone(), "with an in-kernel irqchip hlt sleeps in KVM_RUN");
        vcpu.requestStop();
        assertEquals(VmExit.Reason.STOPPED, exit.get(10, TimeUnit.SECONDS).reason());
        thread.join(5_000);
        assertFalse(thread.isAlive());
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}
