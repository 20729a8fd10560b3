package dev.flint.machine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * How much of some address ranges of this process is resident in host RAM and counted in its
 * resident set: for guest memory, the pages the guest has touched.
 *
 * <p>Counted page by page from {@code /proc/self/pagemap}, so each range counts only its own
 * pages. Not from the {@code Rss:} of {@code /proc/self/smaps}: the kernel merges adjacent
 * anonymous mappings with the same flags into one mapping, so guests mapped side by side show as
 * one whose Rss each of them would count whole.
 *
 * <p>A page counts when it is present and mapped only here ({@code PM_MMAP_EXCLUSIVE}): a page the
 * guest wrote, or a page of a restored machine's memory file that no other mapping shares. That
 * leaves out the shared zero page (and under transparent huge pages the huge zero page, which
 * pagemap marks as a file page), mapped when the guest reads memory it never wrote and not in the
 * resident set either; so what is counted is always part of the resident set. (Some kernels map
 * no zero page and allocate one on a read fault: that page is resident, and counted.) A memory file page
 * that several forks of one snapshot map is no one machine's own and is counted for none.
 */
final class HostResidency {
    static final long PAGE = 4096;
    private static final long PRESENT = 1L << 63;
    private static final long EXCLUSIVE = 1L << 56;
    /** pagemap entries read per call: 256 KiB of entries cover 128 MiB of memory. */
    private static final int ENTRIES_PER_READ = 32 * 1024;
    private static final Path PAGEMAP = Path.of("/proc/self/pagemap");

    /** {@code size} bytes from address {@code start} of this process. */
    record Range(long start, long size) {
        long firstPage() {
            return Long.divideUnsigned(start, PAGE);
        }

        long pages() {
            return Long.divideUnsigned(start + size + PAGE - 1, PAGE) - firstPage();
        }
    }

    private HostResidency() {
    }

    /** Bytes of {@code ranges} resident and their own (part of this process's resident set); -1 when pagemap cannot be read. */
    static long residentBytes(List<Range> ranges) {
        try (FileChannel pagemap = FileChannel.open(PAGEMAP, StandardOpenOption.READ)) {
            long pages = 0;
            for (Range range : ranges) {
                pages += residentPages(pagemap, range);
            }
            return pages * PAGE;
        } catch (IOException | UnsupportedOperationException e) {
            return -1;   // no procfs, or a kernel that hides pagemap: unknown, not zero
        }
    }

    /** The pages of {@code range} resident and its own, read from {@code pagemap}. */
    static long residentPages(FileChannel pagemap, Range range) throws IOException {
        long pages = range.pages();
        ByteBuffer entries = ByteBuffer.allocate((int) Math.min(pages, ENTRIES_PER_READ) * Long.BYTES)
                .order(ByteOrder.nativeOrder());
        long resident = 0;
        for (long done = 0; done < pages; ) {
            int count = (int) Math.min(ENTRIES_PER_READ, pages - done);
            entries.clear().limit(count * Long.BYTES);
            long position = (range.firstPage() + done) * Long.BYTES;
            while (entries.hasRemaining()) {
                if (pagemap.read(entries, position + entries.position()) <= 0) {
                    throw new IOException("/proc/self/pagemap ended at page " + (range.firstPage() + done));
                }
            }
            for (int i = 0; i < count; i++) {
                if (ownResidentPage(entries.getLong(i * Long.BYTES))) {
                    resident++;
                }
            }
            done += count;
        }
        return resident;
    }

    /** Whether the page a pagemap entry describes is resident and this mapping's own (see the class comment). */
    static boolean ownResidentPage(long entry) {
        return (entry & PRESENT) != 0 && (entry & EXCLUSIVE) != 0;
    }
}
