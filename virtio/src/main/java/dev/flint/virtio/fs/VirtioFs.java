package dev.flint.virtio.fs;

import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.virtio.queue.VirtqueueException;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;
import dev.flint.vmm.sys.ErrnoException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The virtio-fs device (virtio 1.x, 5.11): shares one host directory with the guest, which mounts
 * it with {@code mount -t virtiofs <tag> <dir>} ({@link #forImages} makes the device that shares
 * image trees instead). Queue 0 (hiprio) carries FORGET and INTERRUPT,
 * queue 1 the other FUSE requests; both are served by a FUSE server written here, on the share's
 * own I/O worker once attached to a VM (so a slow host file system stalls no other device; the
 * worker alone touches the queues then, and a pass holds the device's monitor so that reset,
 * snapshot and close wait for the one in flight). The guest can never reach outside the shared directory: see {@code HostTree}.
 *
 * <p>Attach it like any virtio device: {@code new VirtioMmioAttacher(new VirtioFs("share", dir, false))};
 * close it when the VM is gone to close every host fd it holds.
 */
public final class VirtioFs implements VirtioDevice, AutoCloseable {
    public static final int DEVICE_ID = 26;
    /** Longest tag the config space holds (it is NUL-padded, not NUL-terminated, at this length). */
    public static final int TAG_BYTES = 36;
    static final int HIPRIO = 0;
    static final int REQUESTS = 1;
    static final int REQUEST_QUEUES = 1;
    static final int QUEUE_SIZE = 1024;
    static final int CONFIG_BYTES = TAG_BYTES + 4;
    private static final Logger LOG = Logger.getLogger(VirtioFs.class.getName());

    private final String tag;
    private final byte[] config;
    private final FuseServer server;
    private List<Virtqueue> queues;
    private DriverSignals driver;
    private boolean closed;
    private volatile Executor passes = Runnable::run;
    /** Per queue: a pass is scheduled and has not started, so notifications meanwhile need no other. */
    private final AtomicBoolean[] passPending =
            Stream.generate(AtomicBoolean::new).limit(1 + REQUEST_QUEUES).toArray(AtomicBoolean[]::new);

    /**
     * Shares {@code sharedDirectory} under {@code tag} (1 to 36 bytes of UTF-8); with
     * {@code readOnly} every modifying request is refused with EROFS.
     */
    public VirtioFs(String tag, Path sharedDirectory, boolean readOnly) throws IOException {
        this(checkedTag(tag), hostServer(sharedDirectory, readOnly)); // the tag is checked before anything is opened
    }

    /** A device serving {@code server} under {@code tag}; the server is closed when the tag is refused. */
    VirtioFs(String tag, FuseServer server) {
        byte[] tagBytes;
        try {
            tagBytes = checkedTag(tag).getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            server.close();
            throw e;
        }
        this.tag = tag;
        this.config = new byte[CONFIG_BYTES];
        System.arraycopy(tagBytes, 0, config, 0, tagBytes.length);
        MemorySegment.ofArray(config).set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, TAG_BYTES, REQUEST_QUEUES);
        this.server = server;
    }

    private static String checkedTag(String tag) {
        int bytes = tag.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > TAG_BYTES) {
            throw new IllegalArgumentException("virtio-fs tag '" + tag + "' is " + bytes
                    + " bytes; it must be 1 to " + TAG_BYTES + " bytes");
        }
        return tag;
    }

    private static FuseServer hostServer(Path sharedDirectory, boolean readOnly) throws IOException {
        if (!Files.exists(sharedDirectory)) {
            throw new IOException("shared directory " + sharedDirectory + " does not exist");
        }
        if (!Files.isDirectory(sharedDirectory)) {
            throw new IOException("shared directory " + sharedDirectory + " is not a directory");
        }
        try {
            return new FuseServer(new HostFileSystem(sharedDirectory.toAbsolutePath(), readOnly));
        } catch (ErrnoException e) {
            throw new IOException("cannot share " + sharedDirectory + ": " + e.getMessage(), e);
        }
    }

    /**
     * A read-only device that serves image trees instead of a host directory: the guest mounts
     * it (say at /.flint/images) and finds each tree published on it under its name.
     */
    public static ImageTreeFs forImages(String tag) {
        return new ImageTreeFs(tag);
    }

    /** The mount tag the guest names the share by. */
    public String tag() {
        return tag;
    }

    /** Node ids the guest holds, root included (diagnostics and tests). */
    synchronized int liveNodes() {
        return server.liveNodes();
    }

    /** Files and directories the guest holds open (diagnostics and tests). */
    synchronized int openHandles() {
        return server.openHandles();
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public long features() {
        // Indirect descriptors let a 1 MiB request (256 pages plus headers) take one ring slot.
        return F_VERSION_1 | F_RING_INDIRECT_DESC | F_RING_EVENT_IDX;
    }

    @Override
    public int queueCount() {
        return 1 + REQUEST_QUEUES;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public void readConfig(long offset, MemorySegment data) {
        for (int i = 0; i < data.byteSize(); i++) {
            long at = offset + i;
            data.set(JAVA_BYTE, i, at >= 0 && at < config.length ? config[(int) at] : 0);
        }
    }

    @Override
    public synchronized void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver) {
        this.queues = queues;
        this.driver = driver;
    }

    /** Requests are served on a worker of the share's own, off the VM's event loop. */
    @Override
    public void attached(DeviceContext context) {
        passes = context.ioWorker("fs-" + tag);
    }

    /** Schedules a pass over queue {@code index} (at most one waits per queue); never on a vCPU thread. */
    @Override
    public void queueNotify(int index) {
        if (index >= 0 && index < passPending.length && passPending[index].compareAndSet(false, true)) {
            passes.execute(() -> servePass(index));
        }
    }

    /** Serves every request on queue {@code index}. */
    private synchronized void servePass(int index) {
        passPending[index].getAndSet(false); // a full fence before the ring is read, as in RequestQueueDevice
        if (queues == null || closed) {
            return;
        }
        try {
            if (queues.get(index).serveAll(server::serve)) {
                driver.usedBuffers();
            }
        } catch (VirtqueueException e) {
            LOG.warning("virtio-fs device '" + tag + "' stopped: " + e.getMessage());
            queues = null;
            driver.deviceBroken();
        }
    }

    /**
     * The tag, then the FUSE session and the file system's node ids and open handles. A share
     * of images saves them (see {@link ImageTreeFs}); a share of a host directory refuses, with
     * an error that says why ({@code HostFileSystem#saveState}).
     */
    @Override
    public synchronized void saveState(StateOutput out) throws SnapshotException {
        out.writeString(tag);
        server.saveState(out);
    }

    @Override
    public synchronized void restoreState(StateInput in) throws SnapshotException {
        String saved = in.readString(TAG_BYTES);
        if (!saved.equals(tag)) {
            throw new SnapshotException("virtio-fs share '" + saved + "' at the snapshot is '" + tag
                    + "' now; attach the shares in the same order with the same tags");
        }
        server.restoreState(in);
    }

    /** The guest reset the device: queues, open handles and node ids are dropped; the share stays open. */
    @Override
    public synchronized void reset() {
        queues = null;
        if (!closed) {
            server.reset();
        }
    }

    /** Closes every host fd the device holds; it serves nothing afterwards. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            queues = null;
            server.close();
        }
    }
}
