package dev.flint.vmm.boot;

import java.util.Optional;

/**
 * A kernel loaded into guest memory.
 *
 * @param entry        guest-physical address of the 64-bit entry point
 * @param end          first guest-physical address after the loaded kernel
 * @param setupHeader  the bzImage setup header to copy into the zero page at 0x1f1; empty for
 *                     an ELF {@code vmlinux}, which has none
 * @param cmdlineLimit the longest command line the kernel accepts, NUL excluded
 * @param initrdAddrMax highest address the initramfs may occupy
 */
public record KernelImage(long entry, long end, Optional<byte[]> setupHeader, int cmdlineLimit, long initrdAddrMax) {
}
