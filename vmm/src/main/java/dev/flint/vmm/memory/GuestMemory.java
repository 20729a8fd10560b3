package dev.flint.vmm.memory;

import dev.flint.vmm.sys.ErrnoException;
import dev.flint.vmm.sys.Libc;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest's physical RAM: a few regions of host memory at guest-physical addresses.
 *
 * <p>{@link #mapAnonymous} backs each region with an anonymous {@code MAP_NORESERVE} mapping,
 * so untouched guest pages cost the host nothing; {@link #onHeap} backs them with Java arrays
 * for tests. Every access is bounds-checked against one region: a guest address that is not
 * RAM, or a range that runs past its region, is an {@link IllegalArgumentException}.
 */
public final class GuestMemory implements AutoCloseable {
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
    private final boolean mapped;
    private boolean closed;

    private GuestMemory(List<Region> regions, boolean mapped) {
        this.regions = List.copyOf(regions);
        this.mapped = mapped;
    }

    /** Maps one anonymous, lazily-populated region per range of {@code layout}. */
    public static GuestMemory mapAnonymous(List<MemoryRange> layout) throws ErrnoException {
        List<Region> regions = new ArrayList<>();
        try {
            for (MemoryRange range : layout) {
                long address = Libc.mmap(range.size(), Libc.PROT_READ | Libc.PROT_WRITE,
                        Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1);
                ErrnoException.check("mmap(" + (range.size() >> 20) + " MiB of guest memory)", address);
                regions.add(new Region(range.start(), range.size(), MemorySegment.ofAddress(address).reinterpret(range.size())));
            }
        } catch (ErrnoException e) {
            new GuestMemory(regions, true).close();
            throw e;
        }
        return new GuestMemory(regions, true);
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
        return new GuestMemory(regions, false);
    }

    public List<Region> regions() {
        return regions;
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

    /** Unmaps the memory; KVM and every vCPU must be done with it. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (mapped) {
            for (Region region : regions) {
                Libc.munmap(region.host().address(), region.size());
            }
        }
    }
}
