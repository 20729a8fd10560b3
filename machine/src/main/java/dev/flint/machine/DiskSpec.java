package dev.flint.machine;

import java.nio.file.Path;

/**
 * A raw disk image given to a machine ({@link MachineConfig.Builder#disk}), its size a multiple
 * of 512 bytes. The guest sees them in order after the machine's own disk: the first is /dev/vda,
 * or /dev/vdb when the machine has a disk of its own ({@link MachineConfig.Builder#diskMb}).
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
