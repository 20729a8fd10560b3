package dev.flint.machine;

import java.time.Instant;

/**
 * A template ({@link Template#build}): its name, spec, when it was built, and whether its snapshot
 * is there ({@code snapshot} false: machines made from it boot cold from the spec and run its setup).
 */
public record TemplateInfo(String name, TemplateSpec spec, Instant createdAt, boolean snapshot) {
}
