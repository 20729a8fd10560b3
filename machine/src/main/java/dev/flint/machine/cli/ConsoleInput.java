package dev.flint.machine.cli;

import dev.flint.vmm.VirtualMachine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Forwards the terminal's input to the guest's serial console on a daemon thread. */
final class ConsoleInput {
    private ConsoleInput() {
    }

    static void forward(InputStream in, VirtualMachine vm) {
        Thread.ofPlatform().daemon().name("flint-console-input").start(() -> {
            byte[] buffer = new byte[256];
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    vm.sendToConsole(Arrays.copyOf(buffer, n));
                }
            } catch (IOException e) {
                // The terminal went away: the guest simply gets no more input.
            }
        });
    }
}
