package dev.flint.vmm.boot;

import dev.flint.vmm.memory.X86MemoryMap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A {@code bzImage}: the real-mode setup sectors, whose header the loader validates and copies
 * into the zero page, then the protected-mode kernel, loaded at 1 MiB and entered at
 * load address + 0x200 (the 64-bit entry, boot protocol 2.12+).
 */
final class BzImage {
    static final int SETUP_SECTS = 0x1f1;
    static final int SYSSIZE = 0x1f4;
    static final int BOOT_FLAG = 0x1fe;
    static final int JUMP_END = 0x201;
    static final int HEADER = 0x202;
    static final int VERSION = 0x206;
    static final int LOADFLAGS = 0x211;
    static final int INITRD_ADDR_MAX = 0x22c;
    static final int XLOADFLAGS = 0x236;
    static final int CMDLINE_SIZE = 0x238;
    static final int PAYLOAD_OFFSET = 0x248;
    static final int PAYLOAD_LENGTH = 0x24c;
    static final int PREF_ADDRESS = 0x258;
    static final int INIT_SIZE = 0x260;

    static final int HDRS_MAGIC = 0x53726448;
    static final int MIN_VERSION = 0x020c;
    static final int LOADED_HIGH = 0x01;
    static final int XLF_KERNEL_64 = 0x01;
    static final long ENTRY_64_OFFSET = 0x200;
    /** A kernel decompresses in the low 4 GiB, below the MMIO hole; a higher pref_address is corrupt. */
    private static final long MAX_PREF_ADDRESS = X86MemoryMap.MMIO_HOLE_START;

    private BzImage() {
    }

    static boolean isBzImage(ByteBuffer head) {
        return head.limit() >= HEADER + 4 && head.getInt(HEADER) == HDRS_MAGIC;
    }

    /** Checks the setup header: boot flag, protocol 2.12+, loaded high, a 64-bit entry. */
    static void validateHeader(Path path, ByteBuffer head) throws InvalidKernelException {
        if (head.limit() < INIT_SIZE + 4) {
            throw new InvalidKernelException("kernel " + path + " is too short to be a bzImage");
        }
        if (Short.toUnsignedInt(head.getShort(BOOT_FLAG)) != 0xaa55) {
            throw new InvalidKernelException("kernel " + path + " has no 0xAA55 boot flag: not a bzImage");
        }
        int version = Short.toUnsignedInt(head.getShort(VERSION));
        if (version < MIN_VERSION) {
            throw new InvalidKernelException(String.format(
                    "kernel %s speaks boot protocol %d.%02d; Flint needs 2.12 or later for the 64-bit entry",
                    path, version >> 8, version & 0xff));
        }
        if ((head.get(LOADFLAGS) & LOADED_HIGH) == 0) {
            throw new InvalidKernelException("kernel " + path + " is a zImage (not loaded high); build a bzImage");
        }
        if ((head.getShort(XLOADFLAGS) & XLF_KERNEL_64) == 0) {
            throw new InvalidKernelException("kernel " + path + " has no 64-bit entry point (XLF_KERNEL_64 clear)");
        }
    }

    /**
     * Reads and checks the whole bzImage: the setup header, then that its sizes agree with the
     * file (setup sectors, the protected-mode kernel's {@code syssize}, the compressed payload)
     * and describe a kernel that decompresses above the first MiB.
     */
    static KernelFile read(Path path, FileChannel file) throws IOException, InvalidKernelException {
        long size = file.size();
        ByteBuffer head = KernelLoader.readAt(file, 0, (int) Math.min(size, 0x1000));
        validateHeader(path, head);
        int setupSects = Byte.toUnsignedInt(head.get(SETUP_SECTS));
        long setupSize = (setupSects == 0 ? 4 : setupSects) * 512L + 512;
        if (size <= setupSize) {
            throw KernelLoader.truncated(path, "its setup code (setup_sects " + setupSects + ") with a kernel after it",
                    0, setupSize + 1, size);
        }
        long protectedSize = size - setupSize;
        long sysBytes = Integer.toUnsignedLong(head.getInt(SYSSIZE)) * 16;
        if (sysBytes == 0) {
            throw new InvalidKernelException("kernel " + path + " has a setup header without the kernel's size (syssize 0)");
        }
        if (sysBytes > protectedSize) {
            throw KernelLoader.truncated(path, "its protected-mode kernel (syssize)", setupSize, sysBytes, size);
        }
        long payloadOffset = Integer.toUnsignedLong(head.getInt(PAYLOAD_OFFSET));
        long payloadLength = Integer.toUnsignedLong(head.getInt(PAYLOAD_LENGTH));
        if (!KernelLoader.insideFile(payloadOffset, payloadLength, protectedSize)) {
            throw KernelLoader.truncated(path, "its compressed payload", setupSize + payloadOffset, payloadLength, size);
        }
        long prefAddress = head.getLong(PREF_ADDRESS);
        long initSize = Integer.toUnsignedLong(head.getInt(INIT_SIZE));
        if (prefAddress < BootLayout.HIMEM_START || prefAddress > MAX_PREF_ADDRESS || initSize == 0) {
            throw new InvalidKernelException(String.format("kernel %s has a corrupt setup header: it would decompress"
                    + " to 0x%x with %d bytes (pref_address, init_size)", path, prefAddress, initSize));
        }
        long loadAddress = BootLayout.HIMEM_START;
        long end = Math.max(loadAddress + protectedSize, prefAddress + initSize);
        int headerEnd = HEADER + Byte.toUnsignedInt(head.get(JUMP_END));   // at most 0x301: inside the setup sectors
        byte[] setupHeader = Arrays.copyOfRange(head.array(), SETUP_SECTS, headerEnd);
        int cmdlineLimit = (int) Math.min(Integer.toUnsignedLong(head.getInt(CMDLINE_SIZE)), 1 << 20);
        long initrdAddrMax = Integer.toUnsignedLong(head.getInt(INITRD_ADDR_MAX));
        KernelImage image = new KernelImage(loadAddress + ENTRY_64_OFFSET, end, Optional.of(setupHeader), cmdlineLimit,
                initrdAddrMax);
        return new KernelFile(image, List.of(new KernelFile.Segment(setupSize, protectedSize, loadAddress, protectedSize)));
    }
}
