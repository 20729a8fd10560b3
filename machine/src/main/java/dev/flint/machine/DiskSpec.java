package dev.flint.machine;

import java.nio.file.Path;

/** A raw disk image given to a machine: the first is /dev/vda in the guest, the next /dev/vdb, and so on. */
public record DiskSpec(Path image, boolean readOnly) {
}
