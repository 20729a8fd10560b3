package dev.flint.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What this host's {@code /dev/kvm} can do, checked before any VM is made so that a host that
 * cannot boot Linux says so at once instead of hanging.
 */
public final class KvmHost {
    /** The fix every message ends with when hardware virtualization is missing. */
    static final String RIG_HINT = "run Flint on a host with hardware virtualization (vmx or svm), or inside"
            + " the nested rig, e.g. ./flint rig -- ./flint run -- uname -a";

    private final Path device;
    private final Path sysModule;
    private final Path cpuinfo;

    KvmHost(Path device, Path sysModule, Path cpuinfo) {
        this.device = device;
        this.sysModule = sysModule;
        this.cpuinfo = cpuinfo;
    }

    /** The real host. */
    public static KvmHost local() {
        return new KvmHost(Path.of("/dev/kvm"), Path.of("/sys/module"), Path.of("/proc/cpuinfo"));
    }

    /** Fails unless {@code /dev/kvm} exists and this process may open it read-write. */
    public void requireKvmDevice() throws HostUnsupportedException {
        if (!Files.exists(device)) {
            throw new HostUnsupportedException(device + " does not exist: this host has no KVM (load kvm_intel or"
                    + " kvm_amd, or enable virtualization in the firmware); " + RIG_HINT);
        }
        if (!Files.isReadable(device) || !Files.isWritable(device)) {
            throw new HostUnsupportedException("permission denied on " + device + ": add your user to its group"
                    + " (sudo usermod -aG kvm $USER, then log in again) or run as root");
        }
    }

    /** Whether {@code /dev/kvm} is served by PVM, which cannot run a stock Linux guest. */
    public boolean isPvm() {
        return Files.isDirectory(sysModule.resolve("kvm_pvm"));
    }

    /** Whether the CPU advertises hardware virtualization. */
    public boolean hasHardwareVirtualization() {
        try {
            String flags = Files.readString(cpuinfo);
            return flags.contains(" vmx") || flags.contains(" svm");
        } catch (IOException e) {
            return false;
        }
    }

    /** Fails unless this host can boot a Linux guest: {@link #requireKvmDevice()} and not PVM. */
    public void requireLinuxGuests() throws HostUnsupportedException {
        requireKvmDevice();
        if (isPvm()) {
            throw new HostUnsupportedException("/dev/kvm here is PVM (module kvm_pvm), a software nested hypervisor"
                    + " that cannot run a stock Linux guest" + (hasHardwareVirtualization() ? "" : " and this CPU shows"
                    + " no vmx/svm flag") + "; " + RIG_HINT);
        }
    }
}
