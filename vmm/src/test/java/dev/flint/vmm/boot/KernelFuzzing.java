package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The body of the kernel loaders' fuzz targets: a kernel file is probed (the check before any
 * VM exists) and loaded into a 64 MiB guest. Oracle: only {@link IOException} and
 * {@link InvalidKernelException} come out, and a kernel the probe accepts also loads (issue
 * 12: the probe must catch what would fail after the VM exists).
 */
final class KernelFuzzing {
    private static final GuestMemory MEMORY = GuestMemory.onHeap(List.of(new MemoryRange(0, 64L << 20)));
    private static final Path KERNEL = tempKernel();

    private KernelFuzzing() {
    }

    private static Path tempKernel() {
        try {
            Path kernel = Files.createTempFile("flint-fuzz-kernel", ".img");
            kernel.toFile().deleteOnExit();
            return kernel;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void check(byte[] image) throws IOException {
        Files.write(KERNEL, image);
        boolean probed;
        try {
            KernelLoader.probe(KERNEL);
            probed = true;
        } catch (InvalidKernelException refused) {
            probed = false;
        }
        try {
            KernelLoader.load(KERNEL, MEMORY);
        } catch (InvalidKernelException e) {
            if (probed) {
                throw new AssertionError("the probe accepted a kernel that then failed to load: " + e.getMessage(), e);
            }
        }
    }
}
