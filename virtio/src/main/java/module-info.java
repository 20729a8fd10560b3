/**
 * virtio for Flint's VMM: split virtqueues, the virtio-mmio transport, and the devices
 * (vsock, rng, blk, net, fs). Depends on the VMM only for guest memory and the device-attachment interfaces, so it
 * is tested without /dev/kvm.
 */
module dev.flint.virtio {
    requires dev.flint.vmm;
    requires dev.flint.image;
    requires java.logging;
    exports dev.flint.virtio;
    exports dev.flint.virtio.queue;
    exports dev.flint.virtio.mmio;
    exports dev.flint.virtio.vsock;
    exports dev.flint.virtio.rng;
    exports dev.flint.virtio.blk;
    exports dev.flint.virtio.net;
    exports dev.flint.virtio.fs;
}
