package dev.flint.vmm;

/** This host cannot run Flint's guests; the message names the missing capability and the fix. */
public final class HostUnsupportedException extends VmmException {
    public HostUnsupportedException(String message) {
        super(message);
    }
}
