package dev.flint.machine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.wire.MachineJson;
import dev.flint.virtio.net.MacAddress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * What a paused machine's directory records ({@code paused/guest.json}) beside the saved VM:
 * whose it is (a leftover of an earlier machine of the same name is not resumed), the VM state
 * to restore ({@code vmState}: the machine's own {@code paused/vm}, or a snapshot's or a fork's
 * that the machine was made from), the MAC the saved guest's driver holds, and the hostname a
 * new machine from a snapshot takes when it first runs.
 */
record SavedGuest(String machineId, MacAddress mac, Path vmState, Optional<String> hostname) {
    static final String FILE = "guest.json";
    /** A record is a few hundred bytes; anything much larger is not ours. */
    private static final long MAX_BYTES = 64 * 1024;

    void write(Path directory) throws IOException {
        var json = MachineJson.object().put("machineId", machineId).put("mac", mac.toString())
                .put("vmState", vmState.toString());
        hostname.ifPresent(h -> json.put("hostname", h));
        Files.writeString(directory.resolve(FILE), MachineJson.write(json));
    }

    /** The record in {@code directory}, or empty when there is none or it is unreadable (a pause that never finished). */
    static Optional<SavedGuest> read(Path directory) {
        Path file = directory.resolve(FILE);
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES) {
                return Optional.empty();
            }
            JsonNode json = MachineJson.parse(Files.readString(file), FILE);
            return Optional.of(new SavedGuest(json.path("machineId").asText(), MacAddress.parse(json.path("mac").asText()),
                    Path.of(json.path("vmState").asText()), Optional.ofNullable(json.get("hostname")).map(JsonNode::asText)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The MAC of machine {@code id}'s network device: the same at every boot and restore (a
     * restored guest's driver keeps the MAC it read at boot), QEMU's locally administered prefix.
     */
    static MacAddress macOf(String id) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return MacAddress.of(new byte[]{0x52, 0x54, 0x00, hash[0], hash[1], hash[2]});
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
