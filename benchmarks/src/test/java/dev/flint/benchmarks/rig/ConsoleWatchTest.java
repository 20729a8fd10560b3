package dev.flint.benchmarks.rig;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsoleWatchTest {
    @Test
    void notesTheLineAndCopiesEveryByte() throws Exception {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        ConsoleWatch watch = new ConsoleWatch("flint-agent: ready", copy);
        long before = System.nanoTime();
        byte[] console = "Run /bin/flint-agent\nflint-agent: rea".getBytes(StandardCharsets.UTF_8);
        watch.write(console, 0, console.length);
        watch.write("dy (vsock port 1024)\nafter\n".getBytes(StandardCharsets.UTF_8));
        long seen = watch.await(Duration.ofSeconds(1));
        assertTrue(seen >= before, "the time is taken when the line completes");
        assertEquals("Run /bin/flint-agent\nflint-agent: ready (vsock port 1024)\nafter\n", copy.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnfinishedLineDoesNotCount() throws Exception {
        ConsoleWatch watch = new ConsoleWatch("ready", new ByteArrayOutputStream());
        watch.write('r');
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> watch.await(Duration.ofMillis(10)));
        assertTrue(e.getMessage().contains("no console line containing 'ready'"), e.getMessage());
    }
}
