package dev.flint.vmm.net;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * {@code struct SlirpCb} of libslirp 4.7: the function pointers libslirp calls back into the
 * application. {@code timer_new} stays NULL because a version-4 config with
 * {@code timer_new_opaque} set makes libslirp use the latter (it then hands timer expiry back
 * through {@code slirp_handle_timer} instead of a C callback pointer).
 */
public final class SlirpCallbacksStruct {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ADDRESS.withName("send_packet"),
            ADDRESS.withName("guest_error"),
            ADDRESS.withName("clock_get_ns"),
            ADDRESS.withName("timer_new"),
            ADDRESS.withName("timer_free"),
            ADDRESS.withName("timer_mod"),
            ADDRESS.withName("register_poll_fd"),
            ADDRESS.withName("unregister_poll_fd"),
            ADDRESS.withName("notify"),
            ADDRESS.withName("init_completed"),
            ADDRESS.withName("timer_new_opaque"));

    private SlirpCallbacksStruct() {
    }
}
