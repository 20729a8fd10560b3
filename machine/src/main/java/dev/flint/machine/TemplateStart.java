package dev.flint.machine;

import dev.flint.vmm.cpu.CpuVendor;
import dev.flint.vmm.snapshot.SnapshotFile;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How the machines of a template start now: restored from its snapshot, or booted cold from its
 * spec (and set up) with {@code coldReason} saying why: the snapshot is gone, or it can never
 * restore here (taken on another CPU vendor, or written by a Flint of another snapshot format).
 * A template built elsewhere thus still makes machines, only slower; a damaged snapshot is not a
 * reason to boot cold, its restore fails saying what is wrong.
 *
 * @param snapshot   the snapshot directory to restore from, when there is one that can restore here
 * @param coldReason why the machines boot cold, when they do
 */
record TemplateStart(Optional<Path> snapshot, Optional<String> coldReason) {
    static TemplateStart of(TemplateStore templates, String template) {
        Optional<Path> snapshot = templates.snapshot(template);
        if (snapshot.isEmpty()) {
            return cold("template " + template + " has no snapshot");
        }
        return SnapshotFile.incompatibility(snapshot.get().resolve(SnapshotStore.VM), CpuVendor.ofHost())
                .map(why -> cold("template " + template + "'s snapshot cannot restore on this host: " + why))
                .orElseGet(() -> new TemplateStart(snapshot, Optional.empty()));
    }

    private static TemplateStart cold(String reason) {
        return new TemplateStart(Optional.empty(), Optional.of(reason));
    }
}
