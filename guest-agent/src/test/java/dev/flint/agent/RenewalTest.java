package dev.flint.agent;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RENEW's encoding and bounds, and the decoding of the agent's RENEW_FAILED, hostile ones included. */
class RenewalTest {
    private static final Instant CLOCK = Instant.ofEpochSecond(1_800_000_000L, 123_456_789);

    private static byte[] bytes(int n) {
        byte[] bytes = new byte[n];
        Arrays.fill(bytes, (byte) 0x5a);
        return bytes;
    }

    @Test
    void encodesTheClockTheEntropyAndTheHostname() {
        byte[] payload = new Renewal(CLOCK, bytes(40), Optional.of("clone-2.example")).encode();
        ByteBuffer in = ByteBuffer.wrap(payload);
        assertEquals(1_800_000_000L, in.getLong());
        assertEquals(123_456_789, in.getInt());
        assertEquals(40, in.getInt());
        byte[] entropy = new byte[40];
        in.get(entropy);
        assertArrayEquals(bytes(40), entropy);
        assertEquals(15, in.getInt());
        assertEquals("clone-2.example", new String(payload, in.position(), 15, StandardCharsets.US_ASCII));
        assertEquals(8 + 4 + 4 + 40 + 4 + 15, payload.length);

        byte[] kept = new Renewal(CLOCK, bytes(32), Optional.empty()).encode();
        assertEquals(0, ByteBuffer.wrap(kept).getInt(kept.length - 4), "no hostname: an empty string");
        assertEquals(8 + 4 + 4 + 32 + 4, kept.length);
    }

    @Test
    void entropyIsBoundedAndCopied() {
        new Renewal(CLOCK, bytes(ExecLimits.MIN_RENEW_ENTROPY), Optional.empty());
        new Renewal(CLOCK, bytes(ExecLimits.MAX_RENEW_ENTROPY), Optional.empty());
        assertEquals("a renewal carries 32 to 512 bytes of entropy, got 31",
                assertThrows(IllegalArgumentException.class, () -> new Renewal(CLOCK, bytes(31), Optional.empty())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Renewal(CLOCK, bytes(513), Optional.empty()));
        byte[] mine = bytes(32);
        Renewal renewal = new Renewal(CLOCK, mine, Optional.empty());
        mine[0] = 1;
        renewal.entropy()[1] = 1;
        assertArrayEquals(bytes(32), renewal.entropy(), "neither the caller's array nor the accessor's copy reaches it");
        assertFalse(renewal.toString().contains("90"), "no entropy bytes in " + renewal);
        assertTrue(renewal.toString().contains("entropy=32 bytes"), renewal.toString());
        assertEquals(renewal, new Renewal(CLOCK, bytes(32), Optional.empty()));
    }

    @Test
    void theClockIsNotBeforeTheEpoch() {
        new Renewal(Instant.EPOCH, bytes(32), Optional.empty());
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Renewal(Instant.ofEpochSecond(-1), bytes(32), Optional.empty()));
        assertEquals("the wall clock 1969-12-31T23:59:59Z is before the epoch", e.getMessage());
        assertThrows(NullPointerException.class, () -> new Renewal(null, bytes(32), Optional.empty()));
    }

    @Test
    void hostnamesAreRfc1123Labels() {
        for (String good : List.of("a", "flint", "clone-7", "a.b.c", "x".repeat(63), "0abc", "A-Z.9",
                "a".repeat(31) + "." + "b".repeat(32))) {
            new Renewal(CLOCK, bytes(32), Optional.of(good));
        }
        for (String bad : List.of("", "-a", "a-", "a..b", ".a", "a.", "a_b", "a b", "h\u00e9", "a/b", "x".repeat(64),
                "a".repeat(31) + "." + "b".repeat(33))) {
            var e = assertThrows(IllegalArgumentException.class, () -> new Renewal(CLOCK, bytes(32), Optional.of(bad)),
                    "'" + bad + "'");
            assertTrue(e.getMessage().startsWith("hostname must be at most 64 bytes of dot-separated labels"), e.getMessage());
        }
    }

    @Test
    void nowDrawsFreshEntropy() {
        Renewal one = Renewal.now(Optional.empty());
        Renewal two = Renewal.now(Optional.of("next"));
        assertEquals(Renewal.DEFAULT_ENTROPY, one.entropy().length);
        assertFalse(Arrays.equals(one.entropy(), two.entropy()));
        assertTrue(Math.abs(one.wallClock().toEpochMilli() - System.currentTimeMillis()) < 60_000);
    }

    /** A RENEW_FAILED payload as the agent writes it: count, then errno, step, errno name, message each. */
    static byte[] renewFailed(Object... failures) {
        ByteBuffer out = ByteBuffer.allocate(4096).putInt(failures.length / 4);
        for (int i = 0; i < failures.length; i += 4) {
            out.putInt((Integer) failures[i]);
            for (int j = 1; j < 4; j++) {
                byte[] text = ((String) failures[i + j]).getBytes(StandardCharsets.UTF_8);
                out.putInt(text.length).put(text);
            }
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    @Test
    void renewFailedDecodesEveryFailure() throws Exception {
        RenewFailedException e = RenewFailedException.decode(renewFailed(
                1, "clock", "EPERM", "set the clock to 5.000000000: Operation not permitted",
                25, "reseed", "ENOTTY", "reseed the kernel's RNG: Inappropriate ioctl for device",
                5, "future-step", "", "new: Input/output error"));
        assertEquals(List.of(RenewFailedException.Step.CLOCK, RenewFailedException.Step.RESEED,
                RenewFailedException.Step.OTHER), e.failures().stream().map(RenewFailedException.Failure::step).toList());
        assertEquals(25, e.failures().get(1).errno());
        assertEquals("the guest's agent could not renew it: clock: set the clock to 5.000000000: Operation not permitted"
                + " (EPERM, errno 1); reseed: reseed the kernel's RNG: Inappropriate ioctl for device (ENOTTY, errno 25);"
                + " other: new: Input/output error (errno 5)", e.getMessage());
    }

    private static String violation(byte[] payload) {
        return assertThrows(ProtocolViolationException.class, () -> RenewFailedException.decode(payload)).getMessage();
    }

    @Test
    void hostileRenewFailedPayloadsAreProtocolViolations() {
        assertTrue(violation(new byte[3]).contains("RENEW_FAILED payload of 3 bytes, no count"));
        assertTrue(violation(new byte[4]).contains("RENEW_FAILED with 0 failures; it has 1 to 16"));
        assertTrue(violation(ByteBuffer.allocate(4).putInt(-1).array()).contains("with 4294967295 failures"));
        byte[] one = renewFailed(1, "clock", "EPERM", "no");
        assertTrue(violation(ByteBuffer.wrap(one.clone()).putInt(0, 2).array())
                .contains("RENEW_FAILED payload ends before failure 1's errno"));
        byte[] longStep = one.clone();
        ByteBuffer.wrap(longStep).putInt(8, 1 << 30);
        assertTrue(violation(longStep).contains("RENEW_FAILED step of 1073741824 bytes, more than the"), violation(longStep));
        byte[] negative = one.clone();
        ByteBuffer.wrap(negative).putInt(8, -2);
        assertTrue(violation(negative).contains("RENEW_FAILED step of 4294967294 bytes"));
        assertTrue(violation(Arrays.copyOf(one, one.length - 1)).contains("RENEW_FAILED message of 2 bytes, more than the 1 left"));
        assertTrue(violation(Arrays.copyOf(one, one.length + 3)).contains("has 3 bytes after its 1 failures"));
    }
}
