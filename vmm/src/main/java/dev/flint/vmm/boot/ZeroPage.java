package dev.flint.vmm.boot;

import dev.flint.vmm.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The zero page: {@code struct boot_params} of the x86 boot protocol
 * ({@code Documentation/arch/x86/boot.rst}, {@code arch/x86/include/uapi/asm/bootparam.h}),
 * written at {@link BootLayout#ZERO_PAGE_ADDRESS}; {@code rsi} points at it on entry.
 */
public final class ZeroPage {
    public static final int SIZE = 4096;

    static final int EXT_RAMDISK_IMAGE = 0x0c0;
    static final int EXT_RAMDISK_SIZE = 0x0c4;
    static final int EXT_CMD_LINE_PTR = 0x0c8;
    static final int E820_ENTRIES = 0x1e8;
    static final int SETUP_HEADER = 0x1f1;
    static final int BOOT_FLAG = 0x1fe;
    static final int HEADER = 0x202;
    static final int TYPE_OF_LOADER = 0x210;
    static final int LOADFLAGS = 0x211;
    static final int RAMDISK_IMAGE = 0x218;
    static final int RAMDISK_SIZE = 0x21c;
    static final int HEAP_END_PTR = 0x224;
    static final int CMD_LINE_PTR = 0x228;
    static final int KERNEL_ALIGNMENT = 0x230;
    static final int CMDLINE_SIZE = 0x238;
    static final int E820_TABLE = 0x2d0;
    static final int E820_MAX_ENTRIES = 128;

    static final int LOADED_HIGH = 0x01;
    static final int CAN_USE_HEAP = 0x80;
    /** "Undefined" boot loader id: not one of the registered loaders. */
    static final int LOADER_UNDEFINED = 0xff;

    private ZeroPage() {
    }

    /**
     * Writes the zero page for {@code kernel}, its command line at {@code cmdlineAddress} and
     * optional initramfs, with {@code e820} as the memory map.
     */
    public static void write(GuestMemory memory, KernelImage kernel, long cmdlineAddress, int cmdlineBytes,
                             Initrd initrd, List<E820Entry> e820) {
        if (e820.size() > E820_MAX_ENTRIES) {
            throw new IllegalArgumentException("e820 map has " + e820.size() + " entries, the zero page holds "
                    + E820_MAX_ENTRIES);
        }
        MemorySegment page = memory.slice(BootLayout.ZERO_PAGE_ADDRESS, SIZE);
        page.fill((byte) 0);
        kernel.setupHeader().ifPresent(header -> MemorySegment.copy(
                MemorySegment.ofArray(header), 0, page, SETUP_HEADER, header.length));
        page.set(JAVA_SHORT_UNALIGNED, BOOT_FLAG, (short) 0xaa55);
        page.set(JAVA_INT_UNALIGNED, HEADER, BzImage.HDRS_MAGIC);
        page.set(JAVA_BYTE, TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        byte loadflags = page.get(JAVA_BYTE, LOADFLAGS);
        page.set(JAVA_BYTE, LOADFLAGS, (byte) (loadflags | LOADED_HIGH | CAN_USE_HEAP));
        page.set(JAVA_SHORT_UNALIGNED, HEAP_END_PTR, (short) 0xfe00);
        if (kernel.setupHeader().isEmpty()) {
            page.set(JAVA_INT_UNALIGNED, KERNEL_ALIGNMENT, 0x0100_0000);
        }
        page.set(JAVA_INT_UNALIGNED, CMD_LINE_PTR, (int) cmdlineAddress);
        page.set(JAVA_INT_UNALIGNED, EXT_CMD_LINE_PTR, (int) (cmdlineAddress >>> 32));
        page.set(JAVA_INT_UNALIGNED, CMDLINE_SIZE, cmdlineBytes);
        if (initrd != null) {
            page.set(JAVA_INT_UNALIGNED, RAMDISK_IMAGE, (int) initrd.address());
            page.set(JAVA_INT_UNALIGNED, EXT_RAMDISK_IMAGE, (int) (initrd.address() >>> 32));
            page.set(JAVA_INT_UNALIGNED, RAMDISK_SIZE, (int) initrd.size());
            page.set(JAVA_INT_UNALIGNED, EXT_RAMDISK_SIZE, (int) (initrd.size() >>> 32));
        }
        page.set(JAVA_BYTE, E820_ENTRIES, (byte) e820.size());
        for (int i = 0; i < e820.size(); i++) {
            E820Entry entry = e820.get(i);
            long at = E820_TABLE + (long) i * E820Entry.SIZE;
            page.set(JAVA_LONG_UNALIGNED, at, entry.address());
            page.set(JAVA_LONG_UNALIGNED, at + 8, entry.size());
            page.set(JAVA_INT_UNALIGNED, at + 16, entry.type());
        }
    }
}
