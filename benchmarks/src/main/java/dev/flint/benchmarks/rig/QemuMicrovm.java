package dev.flint.benchmarks.rig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The peer: QEMU's {@code microvm} machine as its documentation tunes it for fast boots (no PIT,
 * no PIC, no RTC; KVM with the host CPU; no default devices, no config files), booting the same
 * kernel and initramfs as Flint with the same command line, with a virtio-rng device as every
 * Flint machine has (its probe reads the device, so each side's boot pays for one), and optionally
 * a vhost-vsock device so the same agent protocol can be timed against it.
 *
 * @param vsockCid the guest CID of a {@code vhost-vsock-device}, or empty for none
 * @param devices  more devices' arguments (QEMU's own virtio-blk and user networking, for the throughput rows)
 */
// acpi=off: with ACPI on, QEMU 7.2 describes its virtio-mmio devices only in ACPI tables, which
// Flint's guest kernel (no CONFIG_ACPI) cannot read; off, QEMU appends virtio_mmio.device= to the
// command line, as Flint does for its own devices.
record QemuMicrovm(Path qemu, Path kernel, Path initrd, String cmdline, int memoryMb, int cpus, OptionalLong vsockCid,
                   List<String> devices) {
    /** QEMU's virtio-rng on its default backend (the host's getrandom), as Flint's reads the host's. */
    static final String RNG_DEVICE = "virtio-rng-device";

    QemuMicrovm {
        devices = List.copyOf(devices);
    }

    QemuMicrovm(Path qemu, Path kernel, Path initrd, String cmdline, int memoryMb, int cpus, OptionalLong vsockCid) {
        this(qemu, kernel, initrd, cmdline, memoryMb, cpus, vsockCid, List.of());
    }

    /**
     * The same machine with QEMU's virtio-blk-device on the raw {@code disk} and a virtio-net-device
     * on {@code -netdev user} (libslirp, as Flint's NAT) forwarding each host port to its guest port,
     * the guest told its address as Flint's agent reads it.
     */
    QemuMicrovm withDiskAndNat(Path disk, java.util.Map<Integer, Integer> hostToGuestPorts, String netArgument) {
        StringBuilder netdev = new StringBuilder("user,id=n0");
        hostToGuestPorts.forEach((host, guest) -> netdev.append(",hostfwd=tcp:127.0.0.1:").append(host).append("-:").append(guest));
        List<String> more = new ArrayList<>(devices);
        more.addAll(List.of("-drive", "file=" + disk + ",format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0",
                "-netdev", netdev.toString(), "-device", "virtio-net-device,netdev=n0"));
        return new QemuMicrovm(qemu, kernel, initrd, cmdline + " " + netArgument, memoryMb, cpus, vsockCid, more);
    }

    List<String> command() {
        List<String> command = new ArrayList<>(List.of(qemu.toString(),
                "-M", "microvm,pit=off,pic=off,rtc=off,acpi=off",
                "-enable-kvm", "-cpu", "host",
                "-m", String.valueOf(memoryMb), "-smp", String.valueOf(cpus),
                "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", cmdline,
                "-device", RNG_DEVICE));
        if (vsockCid.isPresent()) {
            command.addAll(List.of("-device", "vhost-vsock-device,guest-cid=" + vsockCid.getAsLong()));
        }
        command.addAll(devices);
        return command;
    }

    /** The same machine with a QMP control socket at {@code qmp}, through which its state is saved. */
    List<String> commandWithQmp(Path qmp) {
        List<String> command = command();
        command.addAll(List.of("-qmp", "unix:" + qmp + ",server=on,wait=off"));
        return command;
    }

    /**
     * The same machine (same devices, as a migration needs) loading its state from the migration
     * stream in {@code state} at start; it stays paused until QMP {@code cont}, as the saved VM was
     * stopped.
     */
    List<String> restoreCommand(Path qmp, Path state) {
        List<String> command = commandWithQmp(qmp);
        command.addAll(List.of("-incoming", "exec:cat " + state));
        return command;
    }
}
