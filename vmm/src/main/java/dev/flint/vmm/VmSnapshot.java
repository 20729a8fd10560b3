package dev.flint.vmm;

import dev.flint.vmm.cpu.CpuVendor;
import dev.flint.vmm.cpu.MsrsToSave;
import dev.flint.vmm.devices.DeviceAttacher;
import dev.flint.vmm.devices.GuestSignalState;
import dev.flint.vmm.devices.Serial8250State;
import dev.flint.vmm.kvm.VcpuFd;
import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.memory.X86MemoryMap;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.SnapshotFile;
import dev.flint.vmm.snapshot.SnapshotHeader;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.snapshot.VcpuState;
import dev.flint.vmm.snapshot.VmState;
import dev.flint.vmm.sys.ErrnoException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A VM's snapshot: what {@link VirtualMachine#snapshot} writes and {@link VirtualMachine#restore}
 * reads back into a new {@link VmAssembly}. The state is one record of named sections, in this
 * order: the VM ({@link VmState}: PIT, kvmclock, PICs and IOAPIC), each vCPU ({@link VcpuState}),
 * the legacy devices (serial, boot, power-off and agent signals) and every configured device in attach
 * order; the guest memory goes to {@link SnapshotFile#MEMORY_FILE} beside it. See
 * {@code vmm/SNAPSHOT-FORMAT.md} for the file format.
 *
 * <p>Restore order (docs/SNAPSHOTS.md): memory mapped and devices attached by the assembly, then
 * the VM state, every vCPU in the order {@link VcpuState#restoreInto} keeps, then the legacy
 * devices and the configured devices (after the irqchip, so the interrupts they raise again are
 * not overwritten); the vCPUs start after all of it.
 */
final class VmSnapshot {
    private static final int MAX_DEVICES = 64;

    private VmSnapshot() {
    }

    /** Writes {@code vm}, whose vCPUs are parked and event loop quiet, to {@code dir}. */
    static void save(VmAssembly vm, Path dir) throws SnapshotException {
        try {
            Files.createDirectories(dir);
            StateOutput out = new StateOutput();
            VmState vmState = VmState.capture(vm.vm);
            out.writeSection("vm", vmState::write);
            List<Integer> msrs = MsrsToSave.of(vm.kvm);
            out.writeInt(vm.vcpuFds.size());
            List<VcpuState> vcpus = new ArrayList<>();
            for (VcpuFd fd : vm.vcpuFds) {
                VcpuState state = VcpuState.capture(fd, msrs);
                vcpus.add(state);
                out.writeSection("vcpu" + fd.id(), state::write);
            }
            out.writeSection("serial", vm.serial.captureState()::write);
            out.writeSection("boot-signal", vm.bootSignal.captureState()::write);
            out.writeSection("power-off-signal", vm.powerOffSignal.captureState()::write);
            out.writeSection("agent-signal", vm.agentSignal.captureState()::write);
            out.writeInt(vm.config.devices().size());
            for (DeviceAttacher device : vm.config.devices()) {
                device.saveState(out);
            }
            SnapshotHeader header = new SnapshotHeader(CpuVendor.ofHost(), vcpus.getFirst().cpuid(),
                    vm.memory.regions().stream().map(r -> new MemoryRange(r.guestAddress(), r.size())).toList());
            // An old vm.state beside a new memory file of the same size would pass every check: drop it first.
            SnapshotFile.invalidate(dir);
            vm.memory.writeTo(dir.resolve(SnapshotFile.MEMORY_FILE));
            SnapshotFile.write(dir, header, out.toByteArray());
        } catch (ErrnoException | IOException | IllegalStateException e) {
            throw new SnapshotException("saving VM " + vm.config.name() + " to " + dir + " failed: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface StateReader<T> {
        T read(StateInput in) throws SnapshotException;
    }

    /** The section {@code name}, read whole by {@code reader}: a record of another shape fails. */
    private static <T> T section(StateInput in, String name, StateReader<T> reader) throws SnapshotException {
        StateInput section = in.readSection(name);
        T value = reader.read(section);
        section.expectEnd();
        return value;
    }

    /** Reads {@code dir}'s header, checked against this host and {@code config}, before any VM exists. */
    static SnapshotFile.Contents read(VmConfig config, Path dir) throws SnapshotException {
        SnapshotFile.Contents contents = SnapshotFile.read(dir, CpuVendor.ofHost());
        List<MemoryRange> expected = X86MemoryMap.ramRanges(config.memoryBytes());
        if (!contents.header().memory().equals(expected)) {
            throw new SnapshotException("the snapshot in " + dir + " holds " + (contents.header().memoryFileSize() >> 20)
                    + " MiB of guest memory, the VM " + config.name() + " has " + config.memoryMb()
                    + " MiB: restore it with the memory it was taken with");
        }
        return contents;
    }

    /** Guest memory mapped copy-on-write from the snapshot's memory file. */
    static GuestMemory mapMemory(SnapshotFile.Contents contents, Path dir) throws ErrnoException {
        return GuestMemory.mapPrivate(dir.resolve(SnapshotFile.MEMORY_FILE), contents.header().memory());
    }

    /** Sets the saved state on {@code vm}, freshly assembled over the snapshot's memory, before any vCPU runs. */
    static void restore(VmAssembly vm, SnapshotFile.Contents contents) throws SnapshotException {
        StateInput in = new StateInput(contents.state(), "VM " + vm.config.name());
        try {
            VmState vmState = section(in, "vm", VmState::read);
            int vcpus = in.readInt(1, VmConfig.MAX_VCPUS, "the vCPU count");
            if (vcpus != vm.vcpuFds.size()) {
                throw new SnapshotException("the snapshot has " + vcpus + " vCPUs, the VM " + vm.config.name() + " has "
                        + vm.vcpuFds.size() + ": restore it with the vCPUs it was taken with");
            }
            List<VcpuState> states = new ArrayList<>();
            for (VcpuFd fd : vm.vcpuFds) {
                states.add(section(in, "vcpu" + fd.id(), VcpuState::read));
            }
            vmState.restoreInto(vm.vm);
            for (int i = 0; i < states.size(); i++) {
                states.get(i).restoreInto(vm.vcpuFds.get(i));
            }
            vm.serial.applyState(section(in, "serial", Serial8250State::read));
            vm.bootSignal.applyState(section(in, "boot-signal", GuestSignalState::read));
            vm.powerOffSignal.applyState(section(in, "power-off-signal", GuestSignalState::read));
            vm.agentSignal.applyState(section(in, "agent-signal", GuestSignalState::read));
            int devices = in.readInt(0, MAX_DEVICES, "the device count");
            if (devices != vm.config.devices().size()) {
                throw new SnapshotException("the snapshot has " + devices + " devices, the VM " + vm.config.name()
                        + " has " + vm.config.devices().size() + ": restore it with the devices it was taken with");
            }
            for (DeviceAttacher device : vm.config.devices()) {
                device.restoreState(in);
            }
            in.expectEnd();
        } catch (ErrnoException e) {
            throw new SnapshotException("restoring VM " + vm.config.name() + " failed: " + e.getMessage()
                    + "; this host's KVM would not take the saved state", e);
        } catch (UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            throw new SnapshotException("restoring VM " + vm.config.name() + " failed: " + e.getMessage(), e);
        }
    }
}
