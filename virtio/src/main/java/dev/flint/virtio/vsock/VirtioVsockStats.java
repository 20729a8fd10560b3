package dev.flint.virtio.vsock;

/**
 * The vsock device's counters at one moment.
 *
 * @param bytesFromGuest    payload bytes the guest sent
 * @param bytesToGuest      payload bytes delivered into guest rx buffers
 * @param txDroppedTooLarge guest tx chains dropped unread: longer than a header and {@value VirtioVsock#MAX_PAYLOAD}
 *                          payload bytes
 * @param txMalformed       guest tx chains dropped: shorter than a header, or shorter than their header's len says
 * @param packetsDropped    guest packets that broke the protocol or matched no connection (each answered by a reset)
 * @param controlDropped    replies (resets, credit updates, ...) dropped because the guest left them unread past
 *                          {@link VsockMuxer#MAX_CONTROL}
 * @param connectionsRefused connections refused for being over {@link VsockMuxer#MAX_CONNECTIONS}, either side's
 * @param openConnections   connections open now
 */
public record VirtioVsockStats(long bytesFromGuest, long bytesToGuest, long txDroppedTooLarge, long txMalformed,
                               long packetsDropped, long controlDropped, long connectionsRefused, int openConnections) {
}
