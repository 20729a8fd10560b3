package dev.flint.machine;

/**
 * A template's setup command failed (while {@link Template#build} ran it, or while a machine of a
 * template without a snapshot booted cold): the message names the command, its exit status and stderr.
 */
public final class TemplateBuildException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do. */
    public TemplateBuildException(String message) {
        super(message);
    }
}
