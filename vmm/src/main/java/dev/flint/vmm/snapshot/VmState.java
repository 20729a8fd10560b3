package dev.flint.vmm.snapshot;

import dev.flint.vmm.kvm.KvmIoctls;
import dev.flint.vmm.kvm.KvmStructs;
import dev.flint.vmm.kvm.VmFd;
import dev.flint.vmm.sys.ErrnoException;

import java.lang.foreign.Arena;

/**
 * What KVM holds for the VM itself, as Firecracker's {@code VmState} saves it: the in-kernel
 * i8254 (PIT2), the kvmclock, and the in-kernel PIC pair and IOAPIC. The byte fields are the KVM
 * structs as the ioctls return them: {@code kvm_pit_state2} and the 512-byte chip of a
 * {@code kvm_irqchip}. Capture it with every vCPU paused.
 *
 * @param clockNanos the kvmclock; a restore sets it as it was, so the time a VM spent saved does
 *                   not pass for it (the guest's wall clock is renewed by the agent)
 */
public record VmState(byte[] pit2, long clockNanos, byte[] picMaster, byte[] picSlave, byte[] ioapic) {
    /** Reads the state of {@code vm}, which has the in-kernel irqchip and PIT2. */
    public static VmState capture(VmFd vm) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            byte[] pit = StructBytes.fetch(arena, KvmStructs.PIT_STATE2.byteSize(), vm::getPit2);
            long clock = vm.getClock();
            return new VmState(pit, clock, chip(arena, vm, KvmIoctls.KVM_IRQCHIP_PIC_MASTER),
                    chip(arena, vm, KvmIoctls.KVM_IRQCHIP_PIC_SLAVE), chip(arena, vm, KvmIoctls.KVM_IRQCHIP_IOAPIC));
        }
    }

    private static byte[] chip(Arena arena, VmFd vm, int chipId) throws ErrnoException {
        return StructBytes.fetch(arena, VmFd.CHIP_BYTES, buffer -> vm.getIrqchip(chipId, buffer));
    }

    /** Sets this state on {@code vm}, a new VM with the irqchip and PIT2 created, before its vCPUs are restored. */
    public void restoreInto(VmFd vm) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            vm.setPit2(StructBytes.copyIn(arena, pit2, pit2.length));
            vm.setClock(clockNanos);
            vm.setIrqchip(KvmIoctls.KVM_IRQCHIP_PIC_MASTER, StructBytes.copyIn(arena, picMaster, picMaster.length));
            vm.setIrqchip(KvmIoctls.KVM_IRQCHIP_PIC_SLAVE, StructBytes.copyIn(arena, picSlave, picSlave.length));
            vm.setIrqchip(KvmIoctls.KVM_IRQCHIP_IOAPIC, StructBytes.copyIn(arena, ioapic, ioapic.length));
        }
    }

    public void write(StateOutput out) {
        out.writeBytes(pit2).writeLong(clockNanos).writeBytes(picMaster).writeBytes(picSlave).writeBytes(ioapic);
    }

    /** Reads what {@link #write} wrote; each struct must have its KVM size. */
    public static VmState read(StateInput in) throws SnapshotException {
        byte[] pit = StructBytes.readStruct(in, KvmStructs.PIT_STATE2.byteSize());
        long clock = in.readLong();
        return new VmState(pit, clock, StructBytes.readStruct(in, VmFd.CHIP_BYTES), StructBytes.readStruct(in, VmFd.CHIP_BYTES),
                StructBytes.readStruct(in, VmFd.CHIP_BYTES));
    }
}
