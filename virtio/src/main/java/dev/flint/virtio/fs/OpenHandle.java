package dev.flint.virtio.fs;

/**
 * A file or directory the guest opened: a real (not {@code O_PATH}) fd reopened from the node's
 * fd, the node it belongs to, and the flags it was opened with.
 */
record OpenHandle(long id, int fd, long nodeId, boolean directory, int flags) implements FuseHandle {
}
