package dev.flint.machine;

import java.util.List;

/**
 * The named snapshots ({@link Machine#snapshot(String)}) of this host ({@code $FLINT_HOME/snapshots})
 * or of a Flint server, as {@code options} say.
 *
 * <pre>{@code
 * m.snapshot("after-setup");        // m pauses while it is saved, then runs on
 * try (Machine copy = Machine.create(MachineConfig.builder().name("w2").fromSnapshot("after-setup").build())) {
 *     copy.exec(List.of("ls", "/workspace")).assertSuccess();
 * }
 * for (SnapshotInfo s : Snapshots.list(ConnectOptions.local())) {
 *     System.out.println(s.name() + " of " + s.source() + ", " + s.createdAt());
 * }
 * Snapshots.delete("after-setup", ConnectOptions.local());
 * }</pre>
 */
public final class Snapshots {
    private Snapshots() {
    }

    /** The snapshots, by name. */
    public static List<SnapshotInfo> list(ConnectOptions options) {
        return Engine.open(options).snapshots();
    }

    /**
     * Deletes snapshot {@code name}; refused while machines made from it exist, whose disks may stand on it.
     *
     * @throws SnapshotNotFoundException if there is none
     * @throws MachineStateException while machines made from it exist and stand on its disk
     */
    public static void delete(String name, ConnectOptions options) {
        Engine.open(options).deleteSnapshot(SnapshotStore.checkName(name));
    }
}
