package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Loads a Linux kernel, an ELF {@code vmlinux} or a {@code bzImage}, told apart by their magic. */
public final class KernelLoader {
    private KernelLoader() {
    }

    /**
     * Checks, without loading it, that {@code kernel} is a file Flint can boot: an x86-64 ELF or a
     * bzImage with a 64-bit entry. Meant for validating arguments before a VM exists.
     */
    public static void probe(Path kernel) throws IOException, InvalidKernelException {
        if (!Files.isRegularFile(kernel)) {
            throw new InvalidKernelException("kernel " + kernel + " is not a regular file");
        }
        try (FileChannel file = FileChannel.open(kernel, StandardOpenOption.READ)) {
            ByteBuffer head = readAt(file, 0, (int) Math.min(file.size(), 0x1000));
            if (ElfKernel.isElf(head)) {
                ElfKernel.validateHeader(kernel, head);
            } else if (BzImage.isBzImage(head)) {
                BzImage.validateHeader(kernel, head);
            } else {
                throw notAKernel(kernel);
            }
        }
    }

    private static InvalidKernelException notAKernel(Path kernel) {
        return new InvalidKernelException("kernel " + kernel + " is neither an ELF vmlinux nor a bzImage"
                + " (no ELF magic, no 'HdrS' setup header)");
    }

    /** Loads {@code kernel} into {@code memory} and says where it starts and ends. */
    public static KernelImage load(Path kernel, GuestMemory memory) throws IOException, InvalidKernelException {
        if (!Files.isRegularFile(kernel)) {
            throw new InvalidKernelException("kernel " + kernel + " is not a regular file");
        }
        try (FileChannel file = FileChannel.open(kernel, StandardOpenOption.READ)) {
            ByteBuffer head = readAt(file, 0, (int) Math.min(file.size(), 1024));
            if (ElfKernel.isElf(head)) {
                return ElfKernel.load(kernel, file, memory);
            }
            if (BzImage.isBzImage(head)) {
                return BzImage.load(kernel, file, memory);
            }
            throw notAKernel(kernel);
        }
    }

    static ByteBuffer readAt(FileChannel file, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (file.read(buffer, position + buffer.position()) < 0) {
                break;
            }
        }
        return buffer.flip();
    }

    /** Copies {@code length} bytes of {@code file} at {@code position} straight into guest memory. */
    static void copyToGuest(FileChannel file, long position, long length, GuestMemory memory, long guestAddress)
            throws IOException {
        ByteBuffer target = memory.slice(guestAddress, length).asByteBuffer();
        while (target.hasRemaining()) {
            int n = file.read(target, position + target.position());
            if (n < 0) {
                throw new IOException("kernel file ended early: wanted " + length + " bytes at " + position);
            }
        }
    }
}
