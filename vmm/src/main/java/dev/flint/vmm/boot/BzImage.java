package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * A {@code bzImage}: the real-mode setup sectors, whose header the loader validates and copies
 * into the zero page, then the protected-mode kernel, loaded at 1 MiB and entered at
 * load address + 0x200 (the 64-bit entry, boot protocol 2.12+).
 */
final class BzImage {
    static final int SETUP_SECTS = 0x1f1;
    static final int BOOT_FLAG = 0x1fe;
    static final int JUMP_END = 0x201;
    static final int HEADER = 0x202;
    static final int VERSION = 0x206;
    static final int LOADFLAGS = 0x211;
    static final int INITRD_ADDR_MAX = 0x22c;
    static final int XLOADFLAGS = 0x236;
    static final int CMDLINE_SIZE = 0x238;
    static final int PREF_ADDRESS = 0x258;
    static final int INIT_SIZE = 0x260;

    static final int HDRS_MAGIC = 0x53726448;
    static final int MIN_VERSION = 0x020c;
    static final int LOADED_HIGH = 0x01;
    static final int XLF_KERNEL_64 = 0x01;
    static final long ENTRY_64_OFFSET = 0x200;

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

    static KernelImage load(Path path, FileChannel file, GuestMemory memory) throws IOException, InvalidKernelException {
        ByteBuffer head = KernelLoader.readAt(file, 0, (int) Math.min(file.size(), 0x1000));
        validateHeader(path, head);
        int setupSects = Byte.toUnsignedInt(head.get(SETUP_SECTS));
        long setupSize = (setupSects == 0 ? 4 : setupSects) * 512L + 512;
        long payloadSize = file.size() - setupSize;
        if (payloadSize <= 0) {
            throw new InvalidKernelException("kernel " + path + " holds no protected-mode kernel after its "
                    + setupSize + " setup bytes");
        }
        long loadAddress = BootLayout.HIMEM_START;
        long decompressedEnd = head.getLong(PREF_ADDRESS) + Integer.toUnsignedLong(head.getInt(INIT_SIZE));
        long end = Math.max(loadAddress + payloadSize, decompressedEnd);
        if (!memory.contains(loadAddress, end - loadAddress)) {
            throw new InvalidKernelException(String.format(
                    "kernel %s needs guest memory up to 0x%x to decompress; give the machine more memory", path, end));
        }
        KernelLoader.copyToGuest(file, setupSize, payloadSize, memory, loadAddress);

        int headerEnd = HEADER + Byte.toUnsignedInt(head.get(JUMP_END));
        byte[] setupHeader = Arrays.copyOfRange(head.array(), SETUP_SECTS, headerEnd);
        int cmdlineLimit = (int) Math.min(Integer.toUnsignedLong(head.getInt(CMDLINE_SIZE)), 1 << 20);
        long initrdAddrMax = Integer.toUnsignedLong(head.getInt(INITRD_ADDR_MAX));
        return new KernelImage(loadAddress + ENTRY_64_OFFSET, end, Optional.of(setupHeader), cmdlineLimit, initrdAddrMax);
    }
}
