package dev.flint.virtio.blk;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.LibcFs;
import dev.flint.vmm.sys.Stat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/** The disk space a file takes ({@code st_blocks} x 512), which a hole gives back and a size does not show. */
final class AllocatedBytes {
    private AllocatedBytes() {
    }

    static long of(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Stat stat = Stat.allocate(arena);
            int rc = LibcFs.fstatat(LibcFs.AT_FDCWD, file.toString(), stat.segment(), 0);
            if (rc < 0) {
                throw new IOException("stat " + file + ": " + Errno.name(-rc));
            }
            return stat.blocks() * 512;
        }
    }
}
