package dev.flint.vmm.memory;

import dev.flint.vmm.sys.AtomicFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

/**
 * Guest memory as a sparse file: the regions back to back (region i at the sum of the sizes
 * before it), sized to the guest's RAM, with only the pages that hold non-zero bytes written;
 * the rest are holes, which read back as zero. {@link GuestMemory#mapPrivate} maps it back.
 *
 * <p>The file is written anew and renamed into place ({@link AtomicFile}), never changed where it
 * lies: a restored VM maps its memory file {@code MAP_PRIVATE}, and a page it has not touched yet
 * reads the file, so a change under it would change the guest's memory.
 */
public final class MemoryFile {
    /** The most one write takes (a ByteBuffer holds under 2 GiB). */
    private static final long MAX_RUN = 64L << 20;
    private static final MemorySegment ZERO_PAGE = MemorySegment.ofArray(new byte[(int) TouchedPages.PAGE]);

    /** What a write cost: the bytes of page data written, out of a file (and guest) of {@code fileSize}. */
    public record Written(long bytesWritten, long fileSize) {
    }

    private MemoryFile() {
    }

    /** Writes {@code memory} to {@code file}, replacing any file there. The guest must not run meanwhile. */
    static Written write(GuestMemory memory, Path file) throws IOException {
        long[] written = {0};
        TouchedPages touched = TouchedPages.open();
        try {
            AtomicFile.replace(file, out -> {
                out.setLength(memory.size());
                FileChannel channel = out.getChannel();
                List<GuestMemory.Region> regions = memory.regions();
                long fileOffset = 0;
                for (int i = 0; i < regions.size(); i++) {
                    GuestMemory.Region region = regions.get(i);
                    BitSet pages = touched.of(region, memory.backingFd(), fileOffset);
                    written[0] += writeRegion(region.host(), pages, channel, fileOffset);
                    fileOffset += region.size();
                }
            });
        } finally {
            touched.close();
        }
        return new Written(written[0], memory.size());
    }

    /** Writes the non-zero pages among {@code candidates}, each run of adjacent ones in one write. */
    private static long writeRegion(MemorySegment host, BitSet candidates, FileChannel channel, long fileOffset)
            throws IOException {
        long written = 0;
        long runStart = 0;
        long runEnd = 0;
        for (int page = candidates.nextSetBit(0); page >= 0; page = candidates.nextSetBit(page + 1)) {
            long offset = page * TouchedPages.PAGE;
            if (isZero(host, offset)) {
                continue;
            }
            if (offset != runEnd || runEnd - runStart >= MAX_RUN) {
                written += writeRun(channel, host, runStart, runEnd, fileOffset);
                runStart = offset;
            }
            runEnd = Math.min(offset + TouchedPages.PAGE, host.byteSize());
        }
        return written + writeRun(channel, host, runStart, runEnd, fileOffset);
    }

    private static long writeRun(FileChannel channel, MemorySegment host, long start, long end, long fileOffset)
            throws IOException {
        ByteBuffer buffer = host.asSlice(start, end - start).asByteBuffer();
        while (buffer.hasRemaining()) {
            channel.write(buffer, fileOffset + start + buffer.position());
        }
        return end - start;
    }

    private static boolean isZero(MemorySegment host, long offset) {
        long length = Math.min(TouchedPages.PAGE, host.byteSize() - offset);
        return MemorySegment.mismatch(host, offset, offset + length, ZERO_PAGE, 0, length) < 0;
    }
}
