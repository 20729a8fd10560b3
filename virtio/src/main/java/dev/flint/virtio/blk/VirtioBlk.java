package dev.flint.virtio.blk;

import dev.flint.virtio.RequestQueueDevice;
import dev.flint.virtio.queue.DescriptorChain;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * A block device (virtio 1.x, 5.2) over a {@link BlockStore}, a raw image file or a
 * copy-on-write overlay: reads, writes, flush, id, discard and write-zeroes. Data moves between
 * the store's files and guest memory through {@link FileChannel} on views of guest memory,
 * without an intermediate copy, on the disk's own I/O worker once attached to a VM (so an fsync
 * stalls no other device), and discarded or zeroed ranges become holes. A request outside the disk, a short
 * buffer or a write to a read-only disk completes with the matching status and touches nothing;
 * one the host fails (ENOSPC on a full host disk, EIO) completes with an I/O error, and the
 * device serves the next request.
 */
public final class VirtioBlk extends RequestQueueDevice implements AutoCloseable {
    public static final int DEVICE_ID = 2;
    public static final int SECTOR = 512;
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder ioErrors = new LongAdder();
    static final long F_SEG_MAX = 1L << 2;
    static final long F_RO = 1L << 5;
    static final long F_FLUSH = 1L << 9;
    static final long F_DISCARD = 1L << 13;
    static final long F_WRITE_ZEROES = 1L << 14;

    static final int T_IN = 0;
    static final int T_OUT = 1;
    static final int T_FLUSH = 4;
    static final int T_GET_ID = 8;
    static final int T_DISCARD = 11;
    static final int T_WRITE_ZEROES = 13;
    static final byte S_OK = 0;
    static final byte S_IOERR = 1;
    static final byte S_UNSUPP = 2;

    static final int HEADER = 16;
    static final int ID_BYTES = 20;
    static final int QUEUE_SIZE = 256;
    static final int SEG_MAX = QUEUE_SIZE - 2;
    /** Discard and write-zeroes segments: u64 sector, u32 sectors, u32 flags. */
    static final int RANGE_BYTES = 16;
    /** The one segment flag: write-zeroes may free the range (a discard must not carry it). */
    static final int FLAG_UNMAP = 1;
    static final int MAX_RANGE_SECTORS = 1 << 22;
    /**
     * Most data bytes one read or write may move: the used length (data and status byte) must
     * fit an int, and aliased descriptors must not make one request read the disk for minutes.
     * Linux sends a few MiB at most.
     */
    static final long MAX_TRANSFER = Integer.MAX_VALUE - 1;
    private static final Logger LOG = Logger.getLogger(VirtioBlk.class.getName());

    /** Replaced only while the VM is paused ({@link #replaceStore}); volatile so that readers off the worker see the new one. */
    private volatile BlockStore store;
    private final boolean readOnly;
    private final long sectors;
    private final byte[] id;
    private final byte[] config;

    /**
     * Opens {@code image} (a raw disk image whose size is a multiple of 512 bytes); {@code id}
     * is what GET_ID answers, at most 20 bytes.
     */
    public VirtioBlk(Path image, boolean readOnly, String id) throws IOException {
        this(idBytes(id), RawImageStore.open(image, readOnly), readOnly);
    }

    /** Over an open image of {@code size} bytes: tests give it a channel whose host file system fails. */
    VirtioBlk(FileChannel file, long size, boolean readOnly, String id) {
        this(idBytes(id), new RawImageStore(file, size), readOnly);
    }

    /**
     * Over {@code store} (an {@link OverlayStore} for a fork's own disk layer), whose capacity
     * must be a non-empty multiple of 512 bytes; the device closes the store when it is closed
     * (if this constructor throws, the caller still owns it).
     */
    public VirtioBlk(BlockStore store, boolean readOnly, String id) {
        this(idBytes(id), store, readOnly);
    }

    private VirtioBlk(byte[] id, BlockStore store, boolean readOnly) {
        long size = store.capacity();
        if (size <= 0 || size % SECTOR != 0) {
            throw new IllegalArgumentException("a disk of " + size + " bytes; it must be a non-empty multiple of 512");
        }
        this.store = store;
        this.readOnly = readOnly;
        this.sectors = size / SECTOR;
        this.id = id;
        this.config = config();
    }

    private static byte[] idBytes(String id) {
        byte[] bytes = id.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > ID_BYTES) {
            throw new IllegalArgumentException("disk id '" + id + "' is longer than " + ID_BYTES + " bytes");
        }
        return bytes;
    }

    private byte[] config() {
        ByteBuffer c = ByteBuffer.allocate(60).order(ByteOrder.LITTLE_ENDIAN);
        c.putLong(0, sectors);
        c.putInt(12, SEG_MAX);
        c.putInt(36, MAX_RANGE_SECTORS);
        c.putInt(40, 1);
        c.putInt(44, 1);
        c.putInt(48, MAX_RANGE_SECTORS);
        c.putInt(52, 1);
        c.put(56, (byte) 1); // write_zeroes_may_unmap: a zeroed range may become a hole
        return c.array();
    }

    /** Bytes the guest has read from the image. */
    public long bytesRead() {
        return bytesRead.sum();
    }

    /** Bytes the guest has written to the image. */
    public long bytesWritten() {
        return bytesWritten.sum();
    }

    /** Requests that failed on the host (a full or failing host disk) and were answered I/O error. */
    public long ioErrors() {
        return ioErrors.sum();
    }

    public long capacitySectors() {
        return sectors;
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    /** Requests are served on a worker of the disk's own, off the VM's event loop. */
    @Override
    public void attached(DeviceContext context) {
        serveOn(context.ioWorker("blk-" + new String(id, StandardCharsets.US_ASCII)));
    }

    @Override
    public void saveState(StateOutput out) {
        new VirtioBlkState(sectors, readOnly, id).write(out);
    }

    /** Refuses a disk that is not the one the guest knew: another size, read-only flag or id. */
    @Override
    public void restoreState(StateInput in) throws SnapshotException {
        VirtioBlkState saved = VirtioBlkState.read(in);
        String disk = "disk '" + new String(id, StandardCharsets.US_ASCII) + "'";
        if (saved.capacitySectors() != sectors) {
            throw new SnapshotException(disk + " changed size since the snapshot: it had " + saved.capacitySectors()
                    + " sectors, its image now has " + sectors + "; restore with the image as it was at the snapshot");
        }
        if (saved.readOnly() != readOnly) {
            throw new SnapshotException(disk + " was " + (saved.readOnly() ? "read-only" : "writable")
                    + " at the snapshot; attach it the same way to restore");
        }
        if (!Arrays.equals(saved.id(), id)) {
            throw new SnapshotException(disk + " had the id '" + new String(saved.id(), StandardCharsets.US_ASCII)
                    + "' at the snapshot; attach the disks in the same order with the same ids");
        }
    }

    @Override
    public long features() {
        return F_VERSION_1 | F_RING_EVENT_IDX | F_SEG_MAX | F_FLUSH | (readOnly ? F_RO : F_DISCARD | F_WRITE_ZEROES);
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public void readConfig(long offset, MemorySegment data) {
        for (int i = 0; i < data.byteSize(); i++) {
            long at = offset + i;
            data.set(JAVA_BYTE, i, at < config.length ? config[(int) at] : 0);
        }
    }

    /** Serves one request; returns the bytes written into the guest's buffers (status byte included). */
    @Override
    protected String description() {
        return "block device";
    }

    @Override
    protected int serve(DescriptorChain chain) {
        List<DescriptorChain.Buffer> writable = chain.writable();
        DescriptorChain.Buffer status = writable.isEmpty() ? null : writable.get(writable.size() - 1);
        if (status == null || status.length() < 1 || chain.readable().isEmpty()
                || chain.readable().get(0).length() < HEADER) {
            LOG.warning("block request " + chain.head() + " has no header or no status byte; dropped");
            return 0;
        }
        MemorySegment header = chain.segment(chain.readable().get(0));
        int type = header.get(JAVA_INT_UNALIGNED, 0);
        long sector = header.get(JAVA_LONG_UNALIGNED, 8);
        List<DescriptorChain.Buffer> in = writable.subList(0, writable.size() - 1);
        List<DescriptorChain.Buffer> out = chain.readable().subList(1, chain.readable().size());
        int[] written = {0};
        byte result;
        try {
            result = switch (type) {
                case T_IN -> transfer(chain, in, sector, false, written);
                case T_OUT -> readOnly ? S_IOERR : transfer(chain, out, sector, true, written);
                case T_FLUSH -> flush();
                case T_GET_ID -> getId(chain, in, written);
                case T_DISCARD, T_WRITE_ZEROES -> readOnly ? S_IOERR : zeroRanges(chain, out, type == T_DISCARD);
                default -> S_UNSUPP;
            };
        } catch (IOException e) {
            result = hostError(type, e);
        }
        chain.segment(status).set(JAVA_BYTE, status.length() - 1L, result);
        return written[0] + 1;
    }

    /**
     * A host I/O error (ENOSPC on a full host disk, EIO) fails only this request, as a real
     * disk's bad sector would: the guest sees S_IOERR and the device goes on. Logged at the
     * 1st, 2nd, 4th, 8th... error, so a guest writing on to a full disk cannot flood the log.
     */
    private byte hostError(int type, IOException e) {
        ioErrors.increment();
        long count = ioErrors.sum();
        if (Long.bitCount(count) == 1) {
            LOG.warning("block request of type " + type + " failed on the host, answered I/O error (" + count
                    + " so far): " + e.getMessage());
        }
        return S_IOERR;
    }

    private boolean inside(long sector, long bytes) {
        return sector >= 0 && bytes % SECTOR == 0 && sector <= sectors && bytes / SECTOR <= sectors - sector;
    }

    /**
     * Moves data between the store and the guest's buffers, straight through FileChannel: one
     * scatter read or gather write for the whole request (Linux may send up to {@link #SEG_MAX}
     * buffers of a page each; on a host, 64 MiB in 4 KiB buffers took 42-60 ms as one call per
     * buffer and 4-8 ms as one call per 256 buffers).
     */
    private byte transfer(DescriptorChain chain, List<DescriptorChain.Buffer> buffers, long sector, boolean write,
                          int[] written) throws IOException {
        long total = 0;
        for (DescriptorChain.Buffer buffer : buffers) {
            total += Integer.toUnsignedLong(buffer.length());
        }
        if (total == 0 || total > MAX_TRANSFER || !inside(sector, total)) {
            return S_IOERR;
        }
        ByteBuffer[] data = new ByteBuffer[buffers.size()];
        for (int i = 0; i < data.length; i++) {
            data[i] = chain.segment(buffers.get(i)).asByteBuffer();
        }
        if (write) {
            store.write(sector * SECTOR, data);
        } else {
            store.read(sector * SECTOR, data);
            written[0] = (int) total;
        }
        (write ? bytesWritten : bytesRead).add(total);
        return S_OK;
    }

    private byte flush() throws IOException {
        store.flush();
        return S_OK;
    }

    private byte getId(DescriptorChain chain, List<DescriptorChain.Buffer> in, int[] written) {
        if (in.isEmpty() || Integer.toUnsignedLong(in.get(0).length()) < ID_BYTES) {
            return S_IOERR;
        }
        MemorySegment.copy(Arrays.copyOf(id, ID_BYTES), 0, chain.segment(in.get(0)), JAVA_BYTE, 0, ID_BYTES);
        written[0] = ID_BYTES;
        return S_OK;
    }

    /**
     * Discard and write-zeroes (virtio 1.2, 5.2.6): both leave the ranges reading as zeros. A
     * discard, or a write-zeroes with the unmap flag, frees the space (a hole in the image);
     * a write-zeroes without it keeps the space allocated, as the guest asked (so a later write
     * cannot meet a full host disk). An unknown flag, or unmap on a discard, is unsupported.
     */
    private byte zeroRanges(DescriptorChain chain, List<DescriptorChain.Buffer> out, boolean discard)
            throws IOException {
        for (DescriptorChain.Buffer buffer : out) {
            MemorySegment ranges = chain.segment(buffer);
            if (ranges.byteSize() % RANGE_BYTES != 0) {
                return S_IOERR;
            }
            for (long at = 0; at < ranges.byteSize(); at += RANGE_BYTES) {
                long sector = ranges.get(JAVA_LONG_UNALIGNED, at);
                long count = Integer.toUnsignedLong(ranges.get(JAVA_INT_UNALIGNED, at + 8));
                int flags = ranges.get(JAVA_INT_UNALIGNED, at + 12);
                if ((flags & ~(discard ? 0 : FLAG_UNMAP)) != 0) {
                    return S_UNSUPP;
                }
                if (count > MAX_RANGE_SECTORS || !inside(sector, count * SECTOR)) {
                    return S_IOERR;
                }
                store.zero(sector * SECTOR, count * SECTOR, discard || (flags & FLAG_UNMAP) != 0);
            }
        }
        return S_OK;
    }

    /** The store the device reads and writes now. */
    public BlockStore store() {
        return store;
    }

    /**
     * Puts {@code next}, a disk of the same size, in place of the store the device reads and
     * writes (a snapshot moves a machine onto a new overlay) and returns the old one, for the
     * caller to close. Only while the VM is paused: its event loop and the disk's worker are
     * quiesced, so no request is in flight (and the device's monitor, which every pass holds,
     * makes a call at any other time wait for the pass in flight).
     */
    public synchronized BlockStore replaceStore(BlockStore next) {
        if (next.capacity() != sectors * SECTOR) {
            throw new IllegalArgumentException("a store of " + next.capacity() + " bytes cannot replace a disk of "
                    + sectors * SECTOR);
        }
        BlockStore old = store;
        store = next;
        return old;
    }

    /** Closes the store once the pass in flight (if any) has finished; nothing is served afterwards. */
    @Override
    public synchronized void close() throws IOException {
        reset();
        store.close();
    }
}
