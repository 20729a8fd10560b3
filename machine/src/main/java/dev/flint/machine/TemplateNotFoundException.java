package dev.flint.machine;

/** No template has that name (never built, or deleted); {@link Template#list} shows which exist. */
public final class TemplateNotFoundException extends FlintException {
    /** An error with {@code message}, which says what happened and what to do. */
    public TemplateNotFoundException(String message) {
        super(message);
    }

    /** The error for template {@code name}, saying how to see which exist. */
    public static TemplateNotFoundException of(String name) {
        return new TemplateNotFoundException("no template named '" + name + "' (deleted, or never built); list the"
                + " templates to see which exist, or build it with Template.build / flint template build");
    }
}
