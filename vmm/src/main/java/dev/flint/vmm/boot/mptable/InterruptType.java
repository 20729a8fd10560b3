package dev.flint.vmm.boot.mptable;

/** The interrupt types of I/O and local interrupt entries (MP spec table 4-10). */
public enum InterruptType {
    /** A vectored interrupt; the vector comes from the APIC redirection entry. */
    INT(0),
    NMI(1),
    SMI(2),
    /** A vectored interrupt whose vector comes from the external 8259 PIC. */
    EXTINT(3);

    private final int code;

    InterruptType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
