package dev.flint.machine;

import java.time.Duration;
import java.util.Optional;

/**
 * A machine made from template {@code name} ({@link MachineConfig.Builder#template}), and, when
 * {@code pool} is there, checked out of that warm pool as {@code mode} and {@code poolWait} say.
 */
public record TemplateUse(String name, Optional<String> pool, WarmPoolMode mode, Duration poolWait) {
}
