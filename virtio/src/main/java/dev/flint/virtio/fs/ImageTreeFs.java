package dev.flint.virtio.fs;

import dev.flint.image.tree.ImageTree;
import dev.flint.virtio.VirtioDevice;
import dev.flint.virtio.queue.Virtqueue;
import dev.flint.vmm.devices.DeviceContext;
import dev.flint.vmm.snapshot.SnapshotException;
import dev.flint.vmm.snapshot.StateInput;
import dev.flint.vmm.snapshot.StateOutput;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A virtio-fs device that shares image trees rather than a host directory: read-only, its root
 * (0555 root:root) lists each tree {@link #publish published} under its name, and each tree
 * shows the owners, modes, setuid bits and device nodes its layers say, though the host never
 * unpacked a file. File data is read straight from the layer tars. Made by
 * {@link VirtioFs#forImages}; attach it like any virtio device and close it when the VM is gone.
 */
public final class ImageTreeFs implements VirtioDevice, AutoCloseable {
    private final PublishedTrees trees = new PublishedTrees();
    private final ImageFileSystem fileSystem = new ImageFileSystem(trees);
    private final VirtioFs device;

    ImageTreeFs(String tag) {
        this.device = new VirtioFs(tag, new FuseServer(fileSystem));
    }

    /**
     * Offers {@code tree} to the guest as {@code /<mount point>/<name>}; callable from any thread,
     * also while the guest runs (the guest finds it on its next lookup). Publishing the same tree
     * twice is a no-op; another tree under a taken name is refused with IllegalStateException.
     * {@code name}: 1 to 255 bytes of UTF-8, no '/' or NUL, not "." or "..".
     */
    public void publish(String name, ImageTree tree) {
        trees.publish(name, tree);
    }

    /** Whether a tree is published as {@code name}. */
    public boolean isPublished(String name) {
        return trees.isPublished(name);
    }

    /** The mount tag the guest names the share by. */
    public String tag() {
        return device.tag();
    }

    /** Files and directories the guest holds open (diagnostics and tests). */
    int openHandles() {
        return device.openHandles();
    }

    /** Layer tars held open for reading (diagnostics and tests). */
    int openLayers() {
        synchronized (device) {
            return fileSystem.openLayers();
        }
    }

    VirtioFs device() {
        return device;
    }

    @Override
    public int deviceId() {
        return device.deviceId();
    }

    @Override
    public long features() {
        return device.features();
    }

    @Override
    public int queueCount() {
        return device.queueCount();
    }

    @Override
    public int maxQueueSize() {
        return device.maxQueueSize();
    }

    @Override
    public void readConfig(long offset, MemorySegment data) {
        device.readConfig(offset, data);
    }

    @Override
    public void attached(DeviceContext context) {
        device.attached(context);
    }

    @Override
    public void activate(List<Virtqueue> queues, long negotiated, DriverSignals driver) {
        device.activate(queues, negotiated, driver);
    }

    @Override
    public void queueNotify(int index) {
        device.queueNotify(index);
    }

    @Override
    public void reset() {
        device.reset();
    }

    /**
     * The FUSE session, the index each tree was published under and the guest's open handles:
     * node ids are the trees' own, so a guest that had files or directories of an image open
     * goes on reading them after a restore.
     */
    @Override
    public void saveState(StateOutput out) throws SnapshotException {
        device.saveState(out);
    }

    /**
     * Takes a saved share; publish the same trees under the same names first (in any order), or
     * the restore names the one missing.
     */
    @Override
    public void restoreState(StateInput in) throws SnapshotException {
        device.restoreState(in);
    }

    /** Closes every layer tar the share opened; it serves nothing afterwards. */
    @Override
    public void close() {
        device.close();
    }
}
