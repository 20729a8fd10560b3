package dev.flint.vmm.snapshot;

import dev.flint.vmm.VmmException;

/**
 * A snapshot cannot be written or restored: a corrupt or foreign file, a state that does not fit
 * the VM it is restored into, or a device that cannot be saved. The message says which and what
 * to do.
 */
public class SnapshotException extends VmmException {
    public SnapshotException(String message) {
        super(message);
    }

    public SnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
