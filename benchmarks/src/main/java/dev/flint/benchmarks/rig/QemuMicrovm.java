package dev.flint.benchmarks.rig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The peer: QEMU's {@code microvm} machine as its documentation tunes it for fast boots (no PIT,
 * no PIC, no RTC; KVM with the host CPU; no default devices, no config files), booting the same
 * kernel and initramfs as Flint with the same command line, and optionally a vhost-vsock device
 * so the same agent protocol can be timed against it.
 *
 * @param vsockCid the guest CID of a {@code vhost-vsock-device}, or empty for none
 */
record QemuMicrovm(Path qemu, Path kernel, Path initrd, String cmdline, int memoryMb, int cpus, OptionalLong vsockCid) {

    List<String> command() {
        List<String> command = new ArrayList<>(List.of(qemu.toString(),
                "-M", "microvm,pit=off,pic=off,rtc=off",
                "-enable-kvm", "-cpu", "host",
                "-m", String.valueOf(memoryMb), "-smp", String.valueOf(cpus),
                "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", cmdline));
        if (vsockCid.isPresent()) {
            command.addAll(List.of("-device", "vhost-vsock-device,guest-cid=" + vsockCid.getAsLong()));
        }
        return command;
    }
}
