package dev.flint.vmm.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link HostTerminal} on a real pseudo-terminal: {@code script} runs {@link Probe} in one of a set size. */
class HostTerminalTest {
    /** Run by the test on a terminal: prints what HostTerminal sees, and stty's view in raw mode and after. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            System.out.print("tty=" + HostTerminal.isTerminal(0) + " size="
                    + HostTerminal.size(1).map(s -> s[0] + "x" + s[1]).orElse("none") + "\n");
            try (HostTerminal.Raw raw = HostTerminal.raw(0).orElseThrow()) {
                System.out.print("raw: " + stty() + "\r\n");
            }
            System.out.print("after: " + stty() + "\n");
        }

        private static String stty() throws IOException {
            Process stty = new ProcessBuilder("stty", "-a").redirectInput(ProcessBuilder.Redirect.INHERIT).start();
            String settings = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return (settings.contains("-icanon") ? "-icanon" : "icanon") + " " + (settings.contains("-echo ") ? "-echo" : "echo");
        }
    }

    @Test
    void seesItsTerminalItsSizeAndPutsRawModeBack() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs script(1) for a pseudo-terminal");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = Path.of("target/classes").toAbsolutePath() + ":" + Path.of("target/test-classes").toAbsolutePath();
        String command = "stty rows 33 cols 101; '" + java + "' --enable-native-access=ALL-UNNAMED -cp '" + classes + "' '"
                + Probe.class.getName() + "'";
        Process script = new ProcessBuilder(List.of("script", "-qec", command, "/dev/null")).redirectErrorStream(true).start();
        String shown = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "");
        assertEquals(0, script.waitFor(), shown);
        assertTrue(shown.contains("tty=true size=33x101"), shown);
        assertTrue(shown.contains("raw: -icanon -echo"), "raw mode: no line editing, no echo: " + shown);
        assertTrue(shown.contains("after: icanon echo"), "the terminal's settings are back: " + shown);
    }

    @Test
    void aPipeIsNoTerminal() {
        assertFalse(HostTerminal.isTerminal(-1));
        assertTrue(HostTerminal.raw(-1).isEmpty());
        assertTrue(HostTerminal.size(-1).isEmpty());
    }
}
