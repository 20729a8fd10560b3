package dev.flint.vmm;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.flint.vmm.cpu.CpuTopology;
import dev.flint.vmm.devices.DeviceAttacher;
import dev.flint.vmm.memory.X86MemoryMap;

/**
 * What to boot: kernel, optional initramfs, command line, memory and vCPUs, and where the
 * guest's serial console goes. Validated when built, before anything touches KVM.
 */
public record VmConfig(String name, Path kernel, Optional<Path> initrd, String cmdline, long memoryMb, int vcpus,
                       OutputStream console, List<DeviceAttacher> devices) {
    /** The xAPIC topology limit; the host's KVM may allow fewer (checked when the VM is created). */
    public static final int MAX_VCPUS = CpuTopology.MAX_CPUS;

    public VmConfig {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(console, "console");
        devices = List.copyOf(devices);
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            throw new IllegalArgumentException("VM name must be 1-63 letters, digits, '.', '_' or '-', got: " + name);
        }
        if (!Files.isRegularFile(kernel)) {
            throw new IllegalArgumentException("kernel " + kernel + " does not exist or is not a file");
        }
        initrd.ifPresent(path -> {
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("initramfs " + path + " does not exist or is not a file");
            }
        });
        if (memoryMb < X86MemoryMap.MIN_MEMORY >> 20) {
            throw new IllegalArgumentException("memory must be at least " + (X86MemoryMap.MIN_MEMORY >> 20)
                    + " MiB, got " + memoryMb);
        }
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new IllegalArgumentException("vCPUs must be between 1 and " + MAX_VCPUS + ", got " + vcpus);
        }
    }

    /** A VM with only the legacy devices (serial console, i8042, boot marker). */
    public VmConfig(String name, Path kernel, Optional<Path> initrd, String cmdline, long memoryMb, int vcpus,
                    OutputStream console) {
        this(name, kernel, initrd, cmdline, memoryMb, vcpus, console, List.of());
    }

    public long memoryBytes() {
        return memoryMb << 20;
    }
}
