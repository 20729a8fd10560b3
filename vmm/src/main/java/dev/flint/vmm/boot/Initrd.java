package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** An initramfs loaded into guest memory. */
public record Initrd(long address, long size) {
    private static final long PAGE = 4096;

    /**
     * Loads {@code file} as high as it fits in the first RAM region, page-aligned, below the
     * kernel's {@code initrd_addr_max} and above the kernel itself.
     */
    public static Initrd load(Path file, GuestMemory memory, KernelImage kernel) throws IOException, InvalidKernelException {
        try (FileChannel channel = open(file)) {
            Initrd initrd = place(file, channel.size(), memory.regions().get(0).end(), kernel);
            KernelLoader.copyToGuest(channel, 0, initrd.size(), memory, initrd.address());
            return initrd;
        }
    }

    /** Where {@link #load} would put {@code file} in a guest whose first RAM region ends at {@code lowMemoryEnd}. */
    static Initrd check(Path file, long lowMemoryEnd, KernelImage kernel) throws IOException, InvalidKernelException {
        try (FileChannel channel = open(file)) {
            return place(file, channel.size(), lowMemoryEnd, kernel);
        }
    }

    private static FileChannel open(Path file) throws IOException, InvalidKernelException {
        if (!Files.isRegularFile(file)) {
            throw new InvalidKernelException("initramfs " + file + " is not a regular file");
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    private static Initrd place(Path file, long size, long lowMemoryEnd, KernelImage kernel) throws InvalidKernelException {
        if (size == 0) {
            throw new InvalidKernelException("initramfs " + file + " is empty; give a cpio archive");
        }
        long top = Math.min(lowMemoryEnd, kernel.initrdAddrMax() + 1);
        long address = (top - size) & ~(PAGE - 1);
        if (address < kernel.end()) {
            throw new InvalidKernelException(String.format(
                    "initramfs %s (%d MiB) does not fit between the kernel's end (0x%x) and 0x%x;"
                            + " give the machine more memory", file, (size + (1 << 20) - 1) >> 20, kernel.end(), top));
        }
        return new Initrd(address, size);
    }
}
