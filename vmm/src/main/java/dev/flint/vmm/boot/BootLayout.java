package dev.flint.vmm.boot;

/**
 * Guest-physical addresses of the boot structures, Firecracker's proven layout
 * (see docs/REFERENCE.md). Everything below 1 MiB except the EBDA is free for them.
 */
public final class BootLayout {
    public static final long GDT_ADDRESS = 0x500;
    public static final long IDT_ADDRESS = 0x520;
    public static final long ZERO_PAGE_ADDRESS = 0x7000;
    public static final long BOOT_STACK_POINTER = 0x8ff0;
    public static final long PML4_ADDRESS = 0x9000;
    public static final long PDPT_ADDRESS = 0xa000;
    public static final long PD_ADDRESS = 0xb000;
    public static final long CMDLINE_ADDRESS = 0x20000;
    /** Start of the extended BIOS data area; reserved in the e820 map up to 1 MiB. */
    public static final long EBDA_START = 0x9fc00;
    /**
     * The MP table (floating pointer, then configuration table): the last KiB of base memory,
     * where Linux looks for it, inside the range the e820 map reserves.
     */
    public static final long MP_TABLE_ADDRESS = EBDA_START;
    /** Start of "high" memory, where a bzImage's protected-mode kernel is loaded. */
    public static final long HIMEM_START = 0x100000;
    /** KVM's TSS pages and identity-map page, just below the BIOS area at the top of 4 GiB. */
    public static final long KVM_TSS_ADDRESS = 0xfffbd000L;
    public static final long KVM_IDENTITY_MAP_ADDRESS = 0xfffbc000L;

    private BootLayout() {
    }
}
