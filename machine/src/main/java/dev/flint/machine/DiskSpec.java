package dev.flint.machine;

import java.nio.file.Path;

/**
 * A raw disk image given to a machine: the first is /dev/vda in the guest, the next /dev/vdb, and
 * so on ({@link MachineConfig.Builder#disk}); its size must be a multiple of 512 bytes. A
 * machine's own disk ({@link MachineConfig.Builder#diskMb}), when it has one, comes first.
 *
 * <pre>{@code
 * MachineConfig.builder().disk(Path.of("data.img"), false).build();    // /dev/vda, read-write
 * }</pre>
 *
 * @param image the image file on the host
 * @param readOnly whether the guest sees it read-only (writes fail with EROFS)
 */
public record DiskSpec(Path image, boolean readOnly) {
}
