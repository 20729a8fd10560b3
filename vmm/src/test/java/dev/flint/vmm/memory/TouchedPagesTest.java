package dev.flint.vmm.memory;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Which pages the memory file writer reads: only those the guest touched, so an idle 512 MiB guest costs little. */
class TouchedPagesTest {
    @Test
    void anAnonymousRegionReportsOnlyThePagesThatWereTouched() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/pagemap")), "this kernel hides /proc/self/pagemap");
        try (GuestMemory memory = GuestMemory.mapAnonymous(List.of(new MemoryRange(0, 64 << 20)))) {
            memory.write(0x1000, new byte[] {1});
            memory.write(0x20_0000, new byte[] {2});
            memory.read(0x300_0000, 1); // a read maps the zero page: touched, then skipped as zero
            TouchedPages touched = TouchedPages.open();
            try {
                BitSet pages = touched.of(memory.regions().get(0), -1, 0);
                assertTrue(pages.get(1) && pages.get(512) && pages.get(12288), pages.toString());
                // With transparent huge pages a touch maps its whole 2 MiB page; nothing else counts.
                pages.stream().forEach(page -> assertTrue(List.of(0, 1, 24).contains(page / 512), "page " + page));
            } finally {
                touched.close();
            }
        }
    }

    @Test
    void heapMemoryCountsEveryPage() throws Exception {
        GuestMemory memory = GuestMemory.onHeap(List.of(new MemoryRange(0, 10 * TouchedPages.PAGE)));
        TouchedPages touched = TouchedPages.open();
        try {
            assertEquals(10, touched.of(memory.regions().get(0), -1, 0).cardinality());
        } finally {
            touched.close();
        }
    }
}
