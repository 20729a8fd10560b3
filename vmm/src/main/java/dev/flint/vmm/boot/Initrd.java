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
    public static Initrd load(Path file, GuestMemory memory, KernelImage kernel) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("initramfs " + file + " is not a regular file");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                throw new IOException("initramfs " + file + " is empty");
            }
            long top = Math.min(memory.regions().get(0).end(), kernel.initrdAddrMax() + 1);
            long address = (top - size) & ~(PAGE - 1);
            if (address < kernel.end()) {
                throw new IOException(String.format(
                        "initramfs %s (%d MiB) does not fit between the kernel's end (0x%x) and 0x%x;"
                                + " give the machine more memory", file, size >> 20, kernel.end(), top));
            }
            KernelLoader.copyToGuest(channel, 0, size, memory, address);
            return new Initrd(address, size);
        }
    }
}
