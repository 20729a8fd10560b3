package dev.flint.vmm.memory;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;
import dev.flint.vmm.sys.LibcFs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The guest's physical RAM: a few regions of host memory at guest-physical addresses.
 *
 * <p>{@link #mapAnonymous} backs each region with an anonymous {@code MAP_NORESERVE} mapping,
 * so untouched guest pages cost the host nothing; {@link #mapPrivate} maps a memory file that
 * {@link #writeTo} wrote (a snapshot's), lazily and copy-on-write; {@link #onHeap} backs them
 * with Java arrays for tests. Every access is bounds-checked against one region: a guest address
 * that is not RAM, or a range that runs past its region, is an {@link IllegalArgumentException}.
 *
 * <p>The mapping belongs to a shared {@link Arena} whose close unmaps it, so every segment handed
 * out (regions, slices, their byte buffers) is bound to the mapping's lifetime: an access after
 * {@link #close} is an {@link IllegalStateException}, never a fault in unmapped memory, and the
 * arena cannot close while a native call or an NIO transfer on one of its segments is in flight.
 * The owner still closes it only once every thread that may touch it has stopped
 * ({@link #closeAfter}).
 */
public final class GuestMemory implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GuestMemory.class.getName());
    private static final AtomicInteger HELD_PAST_CLOSE = new AtomicInteger();
    /** The host's transparent huge page, and the alignment of anonymous guest RAM. */
    static final long HUGE_PAGE = 2L << 20;

    /** One contiguous range of guest RAM. */
    public record Region(long guestAddress, long size, MemorySegment host) {
        public long end() {
            return guestAddress + size;
        }

        boolean contains(long address, long length) {
            return address >= guestAddress && length >= 0 && address - guestAddress <= size - length;
        }
    }

    private final List<Region> regions;
    /** Owns the mappings (null for heap memory); closing it unmaps them. */
    private final Arena arena;
    /** The memory file the regions are mapped from, open for as long as they are; -1 for anonymous memory. */
    private final int backingFd;
    private boolean closed;

    private GuestMemory(List<Region> regions, Arena arena, int backingFd) {
        this.regions = List.copyOf(regions);
        this.arena = arena;
        this.backingFd = backingFd;
    }

    /** Maps one anonymous, lazily-populated region per range of {@code layout}. */
    public static GuestMemory mapAnonymous(List<MemoryRange> layout) throws ErrnoException {
        List<Region> regions = new ArrayList<>();
        Arena arena = Arena.ofShared();
        try {
            for (MemoryRange range : layout) {
                long size = range.size();
                long address = mapHugePageAligned(size);
                MemorySegment host = MemorySegment.ofAddress(address).reinterpret(size, arena, unused -> Libc.munmap(address, size));
                regions.add(new Region(range.start(), size, host));
            }
        } catch (ErrnoException | RuntimeException e) {
            arena.close();
            throw e;
        }
        return new GuestMemory(regions, arena, -1);
    }

    /**
     * An anonymous mapping of {@code size} bytes that starts on a 2 MiB boundary, as QEMU and Cloud
     * Hypervisor map guest RAM: guest-physical 2 MiB frames then fall on the host's transparent
     * huge pages, so KVM can map them whole (one nested page fault per 2 MiB instead of 512).
     * Linux 6.1 aligns no anonymous mapping itself; the over-mapped head and tail are unmapped.
     */
    static long mapHugePageAligned(long size) throws ErrnoException {
        long reserved = size + HUGE_PAGE;
        long address = Libc.mmap(reserved, Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1);
        ErrnoException.check("mmap(" + (size >> 20) + " MiB of guest memory)", address);
        long aligned = (address + HUGE_PAGE - 1) & -HUGE_PAGE;
        long tail = address + reserved - (aligned + size);
        int trimmed = aligned > address ? Libc.munmap(address, aligned - address) : 0;
        if (trimmed == 0 && tail > 0) {
            trimmed = Libc.munmap(aligned + size, tail);
        }
        if (trimmed != 0) {
            Libc.munmap(address, reserved);   // what is left of it: nothing stays mapped
            ErrnoException.check("munmap(the alignment margin of the guest memory)", trimmed);
        }
        return aligned;
    }

    /**
     * Maps {@code memoryFile} (as {@link #writeTo} wrote it) as guest RAM of {@code layout}: region
     * i from the file at the sum of the sizes before it, {@code MAP_PRIVATE | MAP_NORESERVE}, so a
     * page is read from the file when the guest first touches it and a write copies it: nothing
     * the guest does reaches the file. The file must never change while it is mapped (a page past
     * a truncated end is a SIGBUS of the whole JVM): it is replaced only by renaming a new file
     * over it, which leaves this mapping the old one.
     *
     * @throws IllegalArgumentException when the file's size is not the layout's, or a region is not
     *                                  a whole number of pages (the file offsets must be page-aligned)
     */
    public static GuestMemory mapPrivate(Path memoryFile, List<MemoryRange> layout) throws ErrnoException {
        long size = 0;
        for (MemoryRange range : layout) {
            if (range.size() % TouchedPages.PAGE != 0) {
                throw new IllegalArgumentException("guest memory region " + range + " is not a whole number of "
                        + TouchedPages.PAGE + "-byte pages, so it cannot be mapped from a file");
            }
            size += range.size();
        }
        int fd = ErrnoException.check("open(" + memoryFile + ")",
                Libc.open(memoryFile.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC));
        Arena arena = Arena.ofShared();
        MemorySegment.NULL.reinterpret(arena, unused -> Libc.close(fd));
        List<Region> regions = new ArrayList<>();
        try {
            long fileSize = ErrnoException.check("lseek(" + memoryFile + ", SEEK_END)", LibcFs.lseek(fd, 0, LibcFs.SEEK_END));
            if (fileSize != size) {
                throw new IllegalArgumentException("memory file " + memoryFile + " holds " + fileSize
                        + " bytes, the memory layout needs " + size + ": it is not this machine's memory");
            }
            long offset = 0;
            for (MemoryRange range : layout) {
                long length = range.size();
                long address = Libc.mmap(length, Libc.PROT_READ | Libc.PROT_WRITE,
                        Libc.MAP_PRIVATE | Libc.MAP_NORESERVE, fd, offset);
                ErrnoException.check("mmap(" + (length >> 20) + " MiB of " + memoryFile + " at " + offset + ")", address);
                MemorySegment host = MemorySegment.ofAddress(address).reinterpret(length, arena, unused -> Libc.munmap(address, length));
                regions.add(new Region(range.start(), length, host));
                offset += length;
            }
        } catch (ErrnoException | RuntimeException e) {
            arena.close();
            throw e;
        }
        return new GuestMemory(regions, arena, fd);
    }

    /** Heap-backed memory for tests: no native access needed. */
    public static GuestMemory onHeap(List<MemoryRange> layout) {
        List<Region> regions = new ArrayList<>();
        for (MemoryRange range : layout) {
            if (range.size() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("heap guest memory regions are limited to 2 GiB");
            }
            regions.add(new Region(range.start(), range.size(), MemorySegment.ofArray(new byte[(int) range.size()])));
        }
        return new GuestMemory(regions, null, -1);
    }

    public List<Region> regions() {
        return regions;
    }

    /**
     * Writes the memory to {@code file} as {@link MemoryFile} describes: sparse, only the pages
     * that hold data, into a new file renamed over any old one (which a VM may still map). Every
     * vCPU must be paused and every device quiet meanwhile.
     */
    public MemoryFile.Written writeTo(Path file) throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("guest memory (" + (size() >> 20) + " MiB) is closed; it cannot be written to "
                        + file);
            }
        }
        return MemoryFile.write(this, file);
    }

    /** The memory file's fd the regions are mapped from, or -1. */
    int backingFd() {
        return backingFd;
    }

    /** Total bytes of RAM. */
    public long size() {
        return regions.stream().mapToLong(Region::size).sum();
    }

    /** The host memory behind guest-physical {@code [address, address + length)}. */
    public MemorySegment slice(long address, long length) {
        for (Region region : regions) {
            if (region.contains(address, length)) {
                return region.host().asSlice(address - region.guestAddress(), length);
            }
        }
        throw new IllegalArgumentException(String.format(
                "guest range [0x%x, +0x%x) is not inside guest RAM", address, length));
    }

    /** Whether guest-physical {@code [address, address + length)} lies inside one region. */
    public boolean contains(long address, long length) {
        return regions.stream().anyMatch(r -> r.contains(address, length));
    }

    /** Copies {@code bytes} to guest-physical {@code address}. */
    public void write(long address, byte[] bytes) {
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, slice(address, bytes.length), 0, bytes.length);
    }

    /** Reads {@code length} bytes at guest-physical {@code address}. */
    public byte[] read(long address, int length) {
        return slice(address, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /**
     * Unmaps the memory now; KVM, every vCPU and every device thread must be done with it (else
     * see {@link #closeAfter}). Should a native call or an NIO transfer still use it, the memory
     * stays mapped, which is logged and counted in {@link #heldPastClose}.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (arena != null) {
            try {
                arena.close();
            } catch (IllegalStateException e) {
                HELD_PAST_CLOSE.incrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "guest memory (" + (size() >> 20) + " MiB) is still in use by a native call and"
                        + " stays mapped for the life of this process: " + e.getMessage());
            }
        }
    }

    /**
     * Unmaps the memory once {@code done} completes: the owner's way to close it while a thread
     * that touches it (a device handler blocked in an fsync or a FUSE request past the event
     * loop's stop timeout) may still run. Unmapping under that thread would crash the whole JVM;
     * instead the mapping stays, logged and counted in {@link #heldPastClose}, until it ends.
     */
    public void closeAfter(CompletionStage<?> done, String owner) {
        if (done.toCompletableFuture().isDone()) {
            close();
            return;
        }
        HELD_PAST_CLOSE.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "VM " + owner + ": a device thread is still running at teardown; its guest memory ("
                + (size() >> 20) + " MiB) stays mapped until that thread ends");
        done.whenComplete((result, failure) -> {
            HELD_PAST_CLOSE.decrementAndGet();
            close();
        });
    }

    /** Guest memories their owners closed that stay mapped because a thread may still use them. */
    public static int heldPastClose() {
        return HELD_PAST_CLOSE.get();
    }
}
