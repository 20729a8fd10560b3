package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;
import dev.flint.vmm.memory.MemoryRange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Loads a Linux kernel, an ELF {@code vmlinux} or a {@code bzImage}, told apart by their magic. */
public final class KernelLoader {
    private KernelLoader() {
    }

    /**
     * Checks, without loading it, that {@code kernel} is a file Flint can boot: an x86-64 ELF or a
     * bzImage with a 64-bit entry, read whole (every part its headers name lies inside the file).
     * Meant for validating arguments before a VM exists; {@link BootFiles#check} also checks the
     * kernel fits a guest's memory.
     */
    public static void probe(Path kernel) throws IOException, InvalidKernelException {
        read(kernel);
    }

    /** Reads and checks {@code kernel} whole. */
    static KernelFile read(Path kernel) throws IOException, InvalidKernelException {
        try (FileChannel file = open(kernel)) {
            return read(kernel, file);
        }
    }

    /**
     * Loads {@code kernel} into {@code memory}, which may hold data from before (memory used
     * again), and says where it starts and ends: an ELF's bss is zeroed.
     */
    public static KernelImage load(Path kernel, GuestMemory memory) throws IOException, InvalidKernelException {
        return load(kernel, memory, true);
    }

    /**
     * Loads {@code kernel} into {@code memory} mapped just now and never written, which reads as
     * zero: an ELF's bss is already zero and is left alone, so its pages are neither filled nor
     * made resident on the host before the guest touches them.
     */
    public static KernelImage loadIntoFreshMemory(Path kernel, GuestMemory memory)
            throws IOException, InvalidKernelException {
        return load(kernel, memory, false);
    }

    private static KernelImage load(Path kernel, GuestMemory memory, boolean zeroBss)
            throws IOException, InvalidKernelException {
        try (FileChannel file = open(kernel)) {
            KernelFile checked = read(kernel, file);
            checked.requireFits(kernel, ranges(memory));
            for (KernelFile.Segment segment : checked.segments()) {
                copyToGuest(file, segment.fileOffset(), segment.fileSize(), memory, segment.guestAddress());
                if (zeroBss) {
                    memory.slice(segment.guestAddress() + segment.fileSize(), segment.memorySize() - segment.fileSize())
                            .fill((byte) 0);
                }
            }
            return checked.image();
        }
    }

    private static FileChannel open(Path kernel) throws IOException, InvalidKernelException {
        if (!Files.isRegularFile(kernel)) {
            throw new InvalidKernelException("kernel " + kernel + " is not a regular file");
        }
        return FileChannel.open(kernel, StandardOpenOption.READ);
    }

    /** An ELF or a bzImage, told apart by their magic. */
    private static KernelFile read(Path kernel, FileChannel file) throws IOException, InvalidKernelException {
        ByteBuffer head = readAt(file, 0, (int) Math.min(file.size(), 0x1000));
        if (ElfKernel.isElf(head)) {
            return ElfKernel.read(kernel, file);
        }
        if (BzImage.isBzImage(head)) {
            return BzImage.read(kernel, file);
        }
        throw new InvalidKernelException("kernel " + kernel + " is neither an ELF vmlinux nor a bzImage"
                + " (no ELF magic, no 'HdrS' setup header)");
    }

    static List<MemoryRange> ranges(GuestMemory memory) {
        return memory.regions().stream().map(r -> new MemoryRange(r.guestAddress(), r.size())).toList();
    }

    /** Whether {@code length} bytes at {@code offset} lie inside a file of {@code size} bytes, overflow-safe. */
    static boolean insideFile(long offset, long length, long size) {
        return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
    }

    /** A kernel whose header names bytes the file does not have. */
    static InvalidKernelException truncated(Path kernel, String what, long offset, long length, long size) {
        return new InvalidKernelException(String.format("kernel %s is truncated or corrupt: %s wants %d bytes at"
                + " offset %d of the file, which has %d bytes; copy the whole kernel file again", kernel, what,
                length, offset, size));
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
