package dev.flint.machine;

import java.nio.file.Path;

/**
 * Points {@code -Dflint.home} at a test's own directory, and back at the build's test home
 * (surefire sets {@code target/test-flint-home}) afterwards: clearing the property instead would
 * send every later test in the JVM to the user's real {@code ~/.local/share/flint}.
 */
public final class TestHome {
    /** The home before any test changed it, read when the first test calls {@link #use}. */
    private static final String BUILD_HOME = System.getProperty("flint.home");

    private TestHome() {
    }

    public static void use(Path home) {
        System.setProperty("flint.home", home.toString());
    }

    public static void restore() {
        if (BUILD_HOME == null) {
            System.clearProperty("flint.home");
        } else {
            System.setProperty("flint.home", BUILD_HOME);
        }
    }
}
