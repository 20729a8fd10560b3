package dev.flint.machine;

/**
 * A create with {@link WarmPoolMode#REQUIRE} found no ready machine in its pool within its wait;
 * the message names the pool and how many machines it had ready.
 */
public final class WarmPoolUnavailableException extends FlintException {
    public WarmPoolUnavailableException(String message) {
        super(message);
    }
}
