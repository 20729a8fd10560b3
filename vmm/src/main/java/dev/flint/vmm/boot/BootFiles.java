package dev.flint.vmm.boot;

import dev.flint.vmm.memory.MemoryRange;
import dev.flint.vmm.memory.X86MemoryMap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Checks what a VM will boot, its kernel and initramfs, before the VM exists: each file read
 * whole ({@link KernelLoader#probe}), the kernel inside the guest's RAM above the boot
 * structures, the initramfs between the kernel's end and its highest allowed address. What
 * passes loads; what fails would otherwise fail after the VM was made, or fault in the guest.
 */
public final class BootFiles {
    private BootFiles() {
    }

    /**
     * @param memoryBytes the guest's memory, as {@link X86MemoryMap#ramRanges} lays it out
     * @throws InvalidKernelException naming the file, what is wrong with it and what to do
     * @throws IOException            when a file cannot be read
     */
    public static void check(Path kernel, Optional<Path> initrd, long memoryBytes) throws IOException, InvalidKernelException {
        List<MemoryRange> ram = X86MemoryMap.ramRanges(memoryBytes);
        KernelFile file = KernelLoader.read(kernel);
        file.requireFits(kernel, ram);
        if (initrd.isPresent()) {
            Initrd.check(initrd.get(), ram.get(0).end(), file.image());
        }
    }
}
