package dev.flint.machine;

/** Which way a create with a warm pool went ({@link MachineInfo#warmPoolCheckout()}). */
public enum WarmPoolCheckout {
    /** A ready machine of the pool was checked out. */
    WARM,
    /** None was ready in time ({@link WarmPoolMode#PREFER}): made from the template. */
    COLD_FALLBACK,
    /** {@link WarmPoolMode#BYPASS}: made from the template. */
    BYPASSED
}
