package dev.flint.vmm.boot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An uncompressed ELF64 {@code vmlinux}: each {@code PT_LOAD} segment goes to its physical address
 * and the ELF entry ({@code phys_startup_64}) is the 64-bit boot entry.
 */
final class ElfKernel {
    private static final int PT_LOAD = 1;
    private static final int EM_X86_64 = 62;
    private static final int ET_EXEC = 2;
    private static final int EHDR_SIZE = 64;
    private static final int PHDR_SIZE = 56;
    private static final int MAX_PHDRS = 64;
    /** vmlinux carries no setup header; this is the boot protocol's default limit. */
    static final int CMDLINE_LIMIT = 2047;
    static final long INITRD_ADDR_MAX = 0x7fff_ffffL;
    /** x86-64's physical address space (52 bits): anything beyond is a corrupt header. */
    private static final long MAX_ADDRESS = 1L << 52;

    private ElfKernel() {
    }

    static boolean isElf(ByteBuffer head) {
        return head.limit() >= 4 && head.getInt(0) == 0x464c457f;
    }

    /** Checks the ELF header says: 64-bit, little-endian, x86-64, executable. */
    static void validateHeader(Path path, ByteBuffer ehdr) throws InvalidKernelException {
        if (ehdr.limit() < EHDR_SIZE) {
            throw new InvalidKernelException("kernel " + path + " is a truncated ELF file (" + ehdr.limit() + " bytes)");
        }
        if (ehdr.get(4) != 2 || ehdr.get(5) != 1) {
            throw new InvalidKernelException("kernel " + path + " is not a little-endian 64-bit ELF file");
        }
        if (Short.toUnsignedInt(ehdr.getShort(18)) != EM_X86_64) {
            throw new InvalidKernelException("kernel " + path + " is an ELF file for machine "
                    + Short.toUnsignedInt(ehdr.getShort(18)) + ", not x86-64 (62)");
        }
        if (Short.toUnsignedInt(ehdr.getShort(16)) != ET_EXEC) {
            throw new InvalidKernelException("kernel " + path + " is not an executable ELF file (e_type "
                    + ehdr.getShort(16) + ")");
        }
    }

    /**
     * Reads and checks the whole ELF: its program header table and every {@code PT_LOAD} inside
     * the file, each no larger in the file than in memory, and the entry point inside one.
     */
    static KernelFile read(Path path, FileChannel file) throws IOException, InvalidKernelException {
        long size = file.size();
        ByteBuffer ehdr = KernelLoader.readAt(file, 0, (int) Math.min(size, EHDR_SIZE));
        validateHeader(path, ehdr);
        long entry = ehdr.getLong(24);
        long phoff = ehdr.getLong(32);
        int phentsize = Short.toUnsignedInt(ehdr.getShort(54));
        int phnum = Short.toUnsignedInt(ehdr.getShort(56));
        if (phentsize != PHDR_SIZE || phnum == 0 || phnum > MAX_PHDRS) {
            throw new InvalidKernelException("kernel " + path + " has a malformed program header table ("
                    + phnum + " entries of " + phentsize + " bytes; want 1 to " + MAX_PHDRS + " of " + PHDR_SIZE + ")");
        }
        if (!KernelLoader.insideFile(phoff, (long) phnum * PHDR_SIZE, size)) {
            throw KernelLoader.truncated(path, "its program header table", phoff, (long) phnum * PHDR_SIZE, size);
        }
        ByteBuffer phdrs = KernelLoader.readAt(file, phoff, phnum * PHDR_SIZE);
        List<KernelFile.Segment> segments = new ArrayList<>();
        long end = 0;
        boolean entryLoaded = false;
        for (int i = 0; i < phnum; i++) {
            int at = i * PHDR_SIZE;
            if (phdrs.getInt(at) != PT_LOAD) {
                continue;
            }
            long offset = phdrs.getLong(at + 8);
            long paddr = phdrs.getLong(at + 24);
            long filesz = phdrs.getLong(at + 32);
            long memsz = phdrs.getLong(at + 40);
            if (!KernelLoader.insideFile(offset, filesz, size)) {
                throw KernelLoader.truncated(path, "segment " + i, offset, filesz, size);
            }
            if (memsz < filesz) {
                throw new InvalidKernelException(String.format("kernel %s segment %d is larger in the file (%d bytes)"
                        + " than in memory (%d bytes): a corrupt program header", path, i, filesz, memsz));
            }
            if (paddr < 0 || memsz > MAX_ADDRESS - paddr) {
                throw new InvalidKernelException(String.format("kernel %s segment %d has an impossible physical"
                        + " address range (0x%x, %d bytes)", path, i, paddr, memsz));
            }
            if (memsz == 0) {
                continue;
            }
            segments.add(new KernelFile.Segment(offset, filesz, paddr, memsz));
            end = Math.max(end, paddr + memsz);
            entryLoaded |= entry >= paddr && entry < paddr + memsz;
        }
        if (!entryLoaded) {
            throw new InvalidKernelException(String.format(
                    "kernel %s entry point 0x%x is not inside a loadable segment", path, entry));
        }
        return new KernelFile(new KernelImage(entry, end, Optional.empty(), CMDLINE_LIMIT, INITRD_ADDR_MAX), segments);
    }
}
