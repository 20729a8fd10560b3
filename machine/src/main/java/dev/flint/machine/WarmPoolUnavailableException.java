package dev.flint.machine;

/**
 * A create with {@link WarmPoolMode#REQUIRE} found no ready machine in its pool within its wait;
 * the message names the pool and how many machines it had ready.
 */
public final class WarmPoolUnavailableException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do. */
    public WarmPoolUnavailableException(String message) {
        super(message);
    }
}
