package dev.flint.machine;

/** How a create uses its warm pool ({@link MachineConfig.Builder#warmPool}). */
public enum WarmPoolMode {
    /** Take a ready machine within the wait, else make one from the template (restore or cold boot). */
    PREFER,
    /** Take a ready machine within the wait, else fail with {@link WarmPoolUnavailableException}. */
    REQUIRE,
    /** Never take one from the pool: always make the machine from the template. */
    BYPASS
}
