package dev.flint.virtio.net;

/**
 * The virtio-net device's counters at one moment.
 *
 * @param txFrames          frames the guest sent, handed to the backend
 * @param txMalformed       guest tx chains dropped: shorter than the virtio-net header, or asking for offloads never offered
 * @param txDroppedTooLarge guest tx chains dropped unread: longer than the header and the largest frame (65549 bytes)
 * @param rxFrames          frames delivered into guest rx buffers
 * @param rxDroppedFull     frames dropped because the guest posted no rx buffers and the backlog was full
 * @param rxDroppedTooLarge frames dropped because they do not fit the guest's rx buffers
 * @param rxDroppedNotReady frames dropped because the driver had not set the device up (or reset it)
 */
public record VirtioNetStats(long txFrames, long txMalformed, long txDroppedTooLarge, long rxFrames, long rxDroppedFull,
                             long rxDroppedTooLarge, long rxDroppedNotReady) {
}
