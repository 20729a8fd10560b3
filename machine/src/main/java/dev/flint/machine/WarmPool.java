package dev.flint.machine;

import java.util.List;

/**
 * Keeps {@code size} machines of a {@link Template} restored and running, so that a create with
 * {@code MachineConfig.builder().template(t).warmPool(pool, mode, wait)} checks one out instead of
 * restoring: it gets the create's name (and hostname), env, metadata and time to live, and the
 * pool restores a replacement in the background (at most {@value #CONCURRENT_REFILLS} restores at a
 * time per engine). Machines in a pool are not listed until checked out. A pool lives in its
 * engine: this JVM's, or a server's, and ends with it (its machines deleted); a restarted server
 * has no pools until they are created again.
 *
 * <pre>{@code
 * WarmPool.create("py-pool", "py", 4);     // keeps 4 machines of template "py" ready
 * try (Machine m = Machine.create(MachineConfig.builder().name("job-1").template("py")
 *         .warmPool("py-pool", WarmPoolMode.PREFER, Duration.ofSeconds(2)).build())) {
 *     m.exec(List.of("python3", "-c", "import requests")).assertSuccess();
 * }
 * WarmPool.delete("py-pool", ConnectOptions.local());
 * }</pre>
 */
public final class WarmPool {
    /** The most machines one pool keeps. */
    public static final int MAX_SIZE = 64;
    /** How many machines an engine restores for its pools at once. */
    public static final int CONCURRENT_REFILLS = 2;

    private WarmPool() {
    }

    /** Pool names: 1-40 lowercase letters, digits or '-' (its machines are named {@code NAME-warm-N} until checked out). */
    public static String checkName(String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,39}")) {
            throw new InvalidConfigException("warm pool name must be 1-40 lowercase letters, digits or '-', starting"
                    + " with a letter or digit; got " + (name == null ? "null" : "'" + name + "'"));
        }
        return name;
    }

    /** Creates pool {@code name} of template {@code template} in this JVM and starts filling it. */
    public static WarmPoolInfo create(String name, String template, int size) {
        return create(name, template, size, ConnectOptions.local());
    }

    /**
     * Creates pool {@code name} of {@code template}, keeping {@code size} (1-{@value #MAX_SIZE})
     * machines ready, where {@code options} say; returns at once, with the pool filling.
     *
     * @throws TemplateNotFoundException if there is no such template
     * @throws InvalidConfigException if the name is taken or the size out of range
     */
    public static WarmPoolInfo create(String name, String template, int size, ConnectOptions options) {
        return Engine.open(options).createPool(checkName(name), Template.checkName(template), checkSize(size));
    }

    static int checkSize(int size) {
        if (size < 1 || size > MAX_SIZE) {
            throw new InvalidConfigException("a warm pool keeps 1 to " + MAX_SIZE + " machines, got " + size);
        }
        return size;
    }

    /** The pools, by name, with how many machines each has ready. */
    public static List<WarmPoolInfo> list(ConnectOptions options) {
        return Engine.open(options).pools();
    }

    /**
     * Deletes pool {@code name} and the machines it has ready (checked-out ones are the user's and stay).
     *
     * @throws InvalidConfigException if there is no such pool
     */
    public static void delete(String name, ConnectOptions options) {
        Engine.open(options).deletePool(checkName(name));
    }
}
