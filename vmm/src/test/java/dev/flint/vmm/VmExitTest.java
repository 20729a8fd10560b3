package dev.flint.vmm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VmExitTest {
    @Test
    void anAnnouncedResetIsAPowerOff() {
        VmExit exit = VmExit.guestReset(true);
        assertEquals(VmExit.Reason.POWER_OFF, exit.reason());
        assertTrue(exit.clean());
    }

    @Test
    void aResetWithoutTheAnnouncementIsACrash() {
        VmExit exit = VmExit.guestReset(false);
        assertEquals(VmExit.Reason.CRASH, exit.reason());
        assertFalse(exit.clean());
        assertTrue(exit.detail().contains("kernel panic"), exit.detail());
    }

    @Test
    void panicsResetAtOnce() {
        assertTrue((" " + VirtualMachine.BASE_CMDLINE + " ").contains(" panic=-1 "), VirtualMachine.BASE_CMDLINE);
        assertTrue((" " + VirtualMachine.BASE_CMDLINE + " ").contains(" reboot=k "), VirtualMachine.BASE_CMDLINE);
    }
}
