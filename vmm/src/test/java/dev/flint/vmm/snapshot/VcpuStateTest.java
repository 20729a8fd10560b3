package dev.flint.vmm.snapshot;

import dev.flint.vmm.kvm.CpuidEntry;
import dev.flint.vmm.kvm.Msr;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VcpuStateTest {
    private static final List<Integer> MSRS = List.of(0x10, 0x1b, 0xc000_0080);

    private static VcpuState captured() throws Exception {
        return VcpuState.capture(new RecordingVcpu(), MSRS);
    }

    @Test
    void restoreIssuesTheIoctlsInTheOrderKvmNeeds() throws Exception {
        VcpuState state = captured();
        RecordingVcpu target = new RecordingVcpu();
        target.tscKhz = 3_000_000;
        state.restoreInto(target);
        // SNAPSHOTS.md: CPUID, MP state, regs, sregs, XSAVE, XCRs, debug regs, LAPIC, MSRs, vCPU
        // events, then KVMCLOCK_CTRL; the TSC rate before all of them, so IA32_TSC is set at it.
        assertEquals(List.of("getTscKhz", "setTscKhz", "setCpuid2", "setMpState", "setRegs", "setSregs", "setXsave",
                "setXcrs", "setDebugRegs", "setLapic", "setMsrs", "setVcpuEvents", "kvmclockCtrl"), target.calls);
        assertEquals(2_000_000, target.tscKhz);
    }

    @Test
    void theSameTscRateWithinCalibrationIsNotSetAgain() throws Exception {
        VcpuState state = captured();
        RecordingVcpu target = new RecordingVcpu();
        target.tscKhz = 2_000_000 + 400; // 200 ppm off
        state.restoreInto(target);
        assertEquals(List.of("getTscKhz", "setCpuid2"), target.calls.subList(0, 2));
        assertEquals(2_000_400, target.tscKhz);
    }

    @Test
    void restoreSetsWhatCaptureRead() throws Exception {
        RecordingVcpu source = new RecordingVcpu();
        VcpuState state = VcpuState.capture(source, MSRS);
        RecordingVcpu target = new RecordingVcpu();
        target.cpuid = List.of();
        target.mpState = 0;
        state.restoreInto(target);
        assertEquals(source.cpuid, target.cpuid);
        assertEquals(3, target.mpState);
        assertEquals(List.of(new Msr(0x10, 0x30), new Msr(0x1b, 0x51), new Msr(0xc000_0080, 0xc000_0080 * 3L)),
                target.msrsSet);
        int fill = 1;
        for (String setter : List.of("setRegs", "setSregs", "setXsave", "setXcrs", "setDebugRegs", "setLapic",
                "setVcpuEvents")) {
            byte[] bytes = target.set.get(setter);
            byte expected = (byte) fill++;
            assertTrue(bytes.length > 0 && allAre(bytes, expected), setter + " got what its getter filled");
        }
        assertEquals(144, target.set.get("setRegs").length);
        assertEquals(64, target.set.get("setVcpuEvents").length);
    }

    @Test
    void aLargerXsaveAreaOnTheNewHostIsZeroPadded() throws Exception {
        VcpuState state = captured();
        RecordingVcpu target = new RecordingVcpu();
        target.xsaveSize = 8192;
        state.restoreInto(target);
        byte[] xsave = target.set.get("setXsave");
        assertEquals(8192, xsave.length);
        assertTrue(allAre(Arrays.copyOf(xsave, 4096), (byte) 3));
        assertTrue(allAre(Arrays.copyOfRange(xsave, 4096, 8192), (byte) 0));
    }

    @Test
    void anXsaveAreaLargerThanTheHostsIsRefusedBeforeAnythingIsSet() throws Exception {
        RecordingVcpu source = new RecordingVcpu();
        source.xsaveSize = 8192;
        VcpuState state = VcpuState.capture(source, MSRS);
        RecordingVcpu target = new RecordingVcpu();
        SnapshotException e = assertThrows(SnapshotException.class, () -> state.restoreInto(target));
        assertTrue(e.getMessage().contains("XSAVE area of vCPU 0 is 8192 bytes, this host's KVM holds 4096"),
                e.getMessage());
        assertEquals(List.of(), target.calls);
    }

    @Test
    void writeThenReadGivesTheSameState() throws Exception {
        VcpuState state = captured();
        VcpuState back = VcpuState.read(new StateInput(bytes(state), "vcpu0"));
        assertEquals(state.cpuid(), back.cpuid());
        assertEquals(state.mpState(), back.mpState());
        assertArrayEquals(state.regs(), back.regs());
        assertArrayEquals(state.sregs(), back.sregs());
        assertArrayEquals(state.xsave(), back.xsave());
        assertArrayEquals(state.xcrs(), back.xcrs());
        assertArrayEquals(state.debugRegs(), back.debugRegs());
        assertArrayEquals(state.lapic(), back.lapic());
        assertEquals(state.msrs(), back.msrs());
        assertArrayEquals(state.vcpuEvents(), back.vcpuEvents());
        assertEquals(2_000_000, back.tscKhz());
    }

    @Test
    void aStructOfTheWrongSizeIsACorruptSnapshot() throws Exception {
        VcpuState good = captured();
        VcpuState shortRegs = new VcpuState(good.cpuid(), good.mpState(), new byte[100], good.sregs(), good.xsave(),
                good.xcrs(), good.debugRegs(), good.lapic(), good.msrs(), good.vcpuEvents(), good.tscKhz());
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> VcpuState.read(new StateInput(bytes(shortRegs), "vcpu0")));
        assertTrue(e.getMessage().contains("a struct of 144 bytes holds 100"), e.getMessage());

        VcpuState shortXsave = new VcpuState(good.cpuid(), good.mpState(), good.regs(), good.sregs(), new byte[512],
                good.xcrs(), good.debugRegs(), good.lapic(), good.msrs(), good.vcpuEvents(), good.tscKhz());
        e = assertThrows(SnapshotException.class, () -> VcpuState.read(new StateInput(bytes(shortXsave), "vcpu0")));
        assertTrue(e.getMessage().contains("XSAVE area is 512 bytes"), e.getMessage());
    }

    @Test
    void countsOverTheirCapsAreRefusedBeforeAnyAllocation() {
        byte[] hugeCpuid = new StateOutput().writeInt(257).toByteArray();
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> VcpuState.read(new StateInput(hugeCpuid, "vcpu0")));
        assertTrue(e.getMessage().contains("the number of CPUID entries is 257, outside 0..256"), e.getMessage());

        StateOutput out = new StateOutput().writeInt(0).writeInt(0).writeBytes(new byte[144]).writeBytes(new byte[312])
                .writeBytes(new byte[4096]).writeBytes(new byte[392]).writeBytes(new byte[128]).writeBytes(new byte[1024])
                .writeInt(VcpuState.MAX_MSRS + 1);
        e = assertThrows(SnapshotException.class, () -> VcpuState.read(new StateInput(out.toByteArray(), "vcpu0")));
        assertTrue(e.getMessage().contains("the number of MSRs is 1025, outside 0..1024"), e.getMessage());

        StateOutput hugeXsave = new StateOutput().writeInt(0).writeInt(0).writeBytes(new byte[144])
                .writeBytes(new byte[312]).writeInt(Integer.MAX_VALUE);
        e = assertThrows(SnapshotException.class, () -> VcpuState.read(new StateInput(hugeXsave.toByteArray(), "vcpu0")));
        assertTrue(e.getMessage().contains("outside 0..65536"), e.getMessage());
    }

    @Test
    void aCutShortStateIsCorrupt() throws Exception {
        byte[] whole = bytes(captured());
        for (int cut : new int[] {3, 100, whole.length / 2, whole.length - 1}) {
            assertThrows(SnapshotException.class, () -> VcpuState.read(new StateInput(Arrays.copyOf(whole, cut), "vcpu0")),
                    "cut at " + cut);
        }
    }

    private static byte[] bytes(VcpuState state) {
        StateOutput out = new StateOutput();
        state.write(out);
        return out.toByteArray();
    }

    private static boolean allAre(byte[] bytes, byte value) {
        for (byte b : bytes) {
            if (b != value) {
                return false;
            }
        }
        return true;
    }

    @Test
    void cpuidEntriesKeepEveryRegister() throws Exception {
        RecordingVcpu source = new RecordingVcpu();
        source.cpuid = List.of(new CpuidEntry(7, 0, 1, -1, 2, 3, 4), new CpuidEntry(0x8000_0001, 0, 0, 5, 6, 7, 8));
        VcpuState back = VcpuState.read(new StateInput(bytes(VcpuState.capture(source, List.of())), "vcpu1"));
        assertEquals(source.cpuid, back.cpuid());
    }
}
