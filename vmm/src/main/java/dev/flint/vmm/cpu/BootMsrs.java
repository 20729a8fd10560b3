package dev.flint.vmm.cpu;

import java.util.LinkedHashMap;
import java.util.Map;

/** The MSR values a vCPU starts with, as Firecracker sets them (docs/REFERENCE.md). */
public final class BootMsrs {
    public static final int IA32_TSC = 0x10;
    public static final int IA32_SYSENTER_CS = 0x174;
    public static final int IA32_SYSENTER_ESP = 0x175;
    public static final int IA32_SYSENTER_EIP = 0x176;
    public static final int IA32_MISC_ENABLE = 0x1a0;
    public static final int MTRR_DEF_TYPE = 0x2ff;
    public static final int STAR = 0xc000_0081;
    public static final int LSTAR = 0xc000_0082;
    public static final int CSTAR = 0xc000_0083;
    public static final int SYSCALL_MASK = 0xc000_0084;
    public static final int KERNEL_GS_BASE = 0xc000_0102;

    static final long MISC_ENABLE_FAST_STRING = 1;
    /** MTRRs enabled (bit 11), default memory type write-back (6). */
    static final long MTRR_ENABLE_WRITE_BACK = (1L << 11) | 6;

    private BootMsrs() {
    }

    public static Map<Integer, Long> values() {
        Map<Integer, Long> msrs = new LinkedHashMap<>();
        msrs.put(IA32_SYSENTER_CS, 0L);
        msrs.put(IA32_SYSENTER_ESP, 0L);
        msrs.put(IA32_SYSENTER_EIP, 0L);
        msrs.put(STAR, 0L);
        msrs.put(CSTAR, 0L);
        msrs.put(KERNEL_GS_BASE, 0L);
        msrs.put(SYSCALL_MASK, 0L);
        msrs.put(LSTAR, 0L);
        msrs.put(IA32_TSC, 0L);
        msrs.put(IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING);
        msrs.put(MTRR_DEF_TYPE, MTRR_ENABLE_WRITE_BACK);
        return msrs;
    }
}
