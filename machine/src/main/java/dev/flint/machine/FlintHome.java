package dev.flint.machine;

import java.nio.file.Path;

/**
 * Where Flint keeps machine state on the host: {@code -Dflint.home}, else {@code $FLINT_HOME},
 * else {@code $XDG_DATA_HOME/flint}, else {@code ~/.local/share/flint}.
 */
public final class FlintHome {
    private FlintHome() {
    }

    /** The state directory now, by the order above; absolute, and not created here. */
    public static Path resolve() {
        String property = System.getProperty("flint.home");
        if (property != null && !property.isBlank()) {
            return Path.of(property).toAbsolutePath();
        }
        String home = System.getenv("FLINT_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home).toAbsolutePath();
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path data = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return data.resolve("flint").toAbsolutePath();
    }

    /** The directory of machine {@code name}: its disk and its lock. */
    public static Path machineDirectory(String name) {
        return resolve().resolve("machines").resolve(name);
    }
}
