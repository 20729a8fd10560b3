package dev.flint.vmm.memory;

import dev.flint.vmm.sys.Errno;
import dev.flint.vmm.sys.LibcFs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/**
 * The pages of a region that may hold data, so that writing the memory file reads only those:
 * a page the guest never touched is neither mapped nor swapped nor in the backing file.
 *
 * <p>Read from {@code /proc/self/pagemap} (bit 63: present, bit 62: swapped), not from
 * {@code mincore(2)}: mincore reports a swapped-out anonymous page, and a page of a
 * {@code MAP_PRIVATE} file mapping that was never faulted in or was evicted from the page cache,
 * as not resident although it holds guest data, so skipping on it would lose memory. Memory
 * mapped from a memory file adds the file's data extents ({@code SEEK_DATA}): those pages hold
 * data without ever being mapped. Without pagemap (heap memory, a kernel that hides it) every
 * page is a candidate; the writer skips zero pages either way.
 */
final class TouchedPages {
    static final long PAGE = 4096;
    private static final long PRESENT = 1L << 63;
    private static final long SWAPPED = 1L << 62;
    /** pagemap entries read per call: 512 KiB of entries cover 256 MiB of memory. */
    private static final int ENTRIES_PER_READ = 64 * 1024;

    private final FileChannel pagemap;

    private TouchedPages(FileChannel pagemap) {
        this.pagemap = pagemap;
    }

    /** Opens this process's pagemap; without it every page counts as touched. */
    static TouchedPages open() {
        try {
            return new TouchedPages(FileChannel.open(Path.of("/proc/self/pagemap"), StandardOpenOption.READ));
        } catch (IOException | UnsupportedOperationException e) {
            return new TouchedPages(null);
        }
    }

    /**
     * The pages of {@code region} that may hold data. {@code backingFd} is the memory file the
     * region is mapped from at {@code fileOffset}, or -1 for anonymous memory.
     */
    BitSet of(GuestMemory.Region region, int backingFd, long fileOffset) throws IOException {
        int pages = Math.toIntExact((region.size() + PAGE - 1) / PAGE);
        BitSet touched = new BitSet(pages);
        if (pagemap == null || !region.host().isNative()) {
            touched.set(0, pages);
            return touched;
        }
        readPagemap(region.host().address(), pages, touched);
        if (backingFd >= 0) {
            addFileData(backingFd, fileOffset, region.size(), touched);
        }
        return touched;
    }

    private void readPagemap(long address, int pages, BitSet touched) throws IOException {
        ByteBuffer entries = ByteBuffer.allocateDirect(ENTRIES_PER_READ * Long.BYTES).order(ByteOrder.nativeOrder());
        long firstPage = address / PAGE;
        for (int done = 0; done < pages; ) {
            int count = Math.min(ENTRIES_PER_READ, pages - done);
            entries.clear().limit(count * Long.BYTES);
            long position = (firstPage + done) * Long.BYTES;
            while (entries.hasRemaining()) {
                if (pagemap.read(entries, position + entries.position()) <= 0) {
                    throw new IOException("/proc/self/pagemap ended inside guest memory");
                }
            }
            for (int i = 0; i < count; i++) {
                if ((entries.getLong(i * Long.BYTES) & (PRESENT | SWAPPED)) != 0) {
                    touched.set(done + i);
                }
            }
            done += count;
        }
    }

    /** Marks the pages of {@code [offset, offset + size)} of the file that hold data (not holes). */
    private static void addFileData(int fd, long offset, long size, BitSet touched) throws IOException {
        long end = offset + size;
        long position = offset;
        while (position < end) {
            long data = LibcFs.lseek(fd, position, LibcFs.SEEK_DATA);
            if (data == -Errno.ENXIO || data >= end) {
                return; // no data past position
            }
            long hole = data < 0 ? end : LibcFs.lseek(fd, data, LibcFs.SEEK_HOLE);
            if (data < 0 || hole < 0) {
                data = position; // the file system cannot say: all of it may be data
                hole = end;
            }
            hole = Math.min(hole, end);
            touched.set((int) ((data - offset) / PAGE), (int) ((hole - offset + PAGE - 1) / PAGE));
            position = hole;
        }
    }

    void close() throws IOException {
        if (pagemap != null) {
            pagemap.close();
        }
    }
}
