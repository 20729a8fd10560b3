package dev.flint.image;

/** Content whose sha256 is not the digest it was asked for or announced with; it is never stored. */
public final class DigestMismatchException extends ImageException {
    public DigestMismatchException(String message) {
        super(message);
    }

    public DigestMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
