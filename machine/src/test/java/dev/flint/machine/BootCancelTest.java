package dev.flint.machine;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class BootCancelTest {
    private final AtomicInteger stops = new AtomicInteger();
    private final BootCancel cancel = new BootCancel();

    @Test
    void aCancelStopsAVmThatExists() {
        cancel.onCancel(stops::incrementAndGet);
        assertNull(cancel.reason());
        assertEquals(0, stops.get());
        cancel.cancel("stopped by the host");
        assertEquals(1, stops.get());
        assertEquals("stopped by the host", cancel.reason());
    }

    @Test
    void aCancelBeforeTheVmExistsStopsItAsSoonAsItDoes() {
        cancel.cancel("the machine was deleted");
        cancel.cancel("stopped by the host");
        assertEquals(0, stops.get());
        cancel.onCancel(stops::incrementAndGet);
        assertEquals(1, stops.get());
        assertEquals("the machine was deleted", cancel.reason());
    }
}
