package dev.flint.machine;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.Libc;
import dev.flint.vmm.sys.LibcFs;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Copies a disk image keeping it sparse: only the data extents the file system reports
 * ({@code lseek SEEK_DATA/SEEK_HOLE}) are read and written, so a 10 GiB disk with 200 MiB used
 * costs 200 MiB. {@code transferTo} alone would fill every hole with zeros. The copy is written
 * beside the target and renamed into place, so a reader never sees half a disk.
 */
final class SparseCopy {
    private SparseCopy() {
    }

    static void copy(Path source, Path target) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        long size = Files.size(source);
        int fd = LibcFs.openat(LibcFs.AT_FDCWD, source.toAbsolutePath().toString(), LibcFs.O_RDONLY | LibcFs.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot open " + source + ": " + Errno.name(-fd));
        }
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long position = 0;
            while (position < size) {
                long data = LibcFs.lseek(fd, position, LibcFs.SEEK_DATA);
                if (data == -Errno.ENXIO) {
                    break;   // only a hole is left
                }
                if (data == -Errno.EINVAL) {
                    data = position;   // a file system without SEEK_DATA: the rest is data
                } else if (data < 0) {
                    throw new IOException("cannot find the data of " + source + ": " + Errno.name((int) -data));
                }
                long hole = LibcFs.lseek(fd, data, LibcFs.SEEK_HOLE);
                long end = hole < 0 ? size : Math.min(hole, size);
                for (long done = data; done < end; ) {
                    done += in.transferTo(done, end - done, out.position(done));
                }
                position = end;
            }
            out.force(false);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        } finally {
            Libc.close(fd);
        }
        try (RandomAccessFile file = new RandomAccessFile(partial.toFile(), "rw")) {
            file.setLength(size);   // a trailing hole
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
