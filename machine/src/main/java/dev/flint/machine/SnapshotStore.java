package dev.flint.machine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.wire.MachineJson;
import dev.flint.virtio.blk.OverlayStore;
import dev.flint.virtio.net.MacAddress;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Saved machines on the host, under {@link FlintHome}:
 * <pre>
 *   snapshots/NAME/snapshot.json   what was saved: source machine, time, MAC, config (JSON)
 *   snapshots/NAME/vm/             the VM ({@code VirtualMachine.snapshot}: vm.state, memory)
 *   snapshots/NAME/disk.layer      the machine's disk as it was: a hold on a frozen layer ({@link DiskLayers})
 *   snapshots/NAME/clones/ID       one file per machine made from it and not deleted yet
 *   forks/ID/...                   the same for a fork's one shared snapshot, removed with its last clone
 * </pre>
 * A snapshot is written under a {@code .partial} name and renamed into place, so a crash never
 * leaves half of one under its name. A machine made from one records the origin in its own
 * directory ({@code origin}) and is registered under {@code clones/} until it is deleted, because
 * its disk may be a layer over the frozen one and its memory is mapped from the origin's file.
 */
final class SnapshotStore {
    static final String RECORD = "snapshot.json";
    static final String VM = "vm";
    static final String DISK = "disk.layer";
    private static final String CLONES = "clones";
    private static final String ORIGIN = "origin";
    /** In a warm pool's machine's directory until it is checked out: the host process that keeps it. */
    static final String WARM_MARK = "warm-pool";
    private static final long MAX_RECORD_BYTES = 1 << 20;

    private final Path home;

    SnapshotStore(Path home) {
        this.home = home;
    }

    static SnapshotStore atHome() {
        return new SnapshotStore(FlintHome.resolve());
    }

    /** Snapshot names follow machine names: 1-63 lowercase letters, digits or '-'. */
    static String checkName(String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new InvalidConfigException("snapshot name must be 1-63 lowercase letters, digits or '-', starting"
                    + " with a letter or digit; got " + (name == null ? "null" : "'" + name + "'"));
        }
        return name;
    }

    private Path snapshots() {
        return home.resolve("snapshots");
    }

    /** A fresh directory to write snapshot {@code name} into; a taken name is an {@link InvalidConfigException}. */
    Path begin(String name) {
        checkName(name);
        if (Files.exists(snapshots().resolve(name))) {
            throw new InvalidConfigException("a snapshot named " + name + " already exists; pick another name or delete it"
                    + " first");
        }
        return fresh(snapshots().resolve("." + name + ".partial"));
    }

    /** A fresh directory for the one snapshot a fork of {@code parentId} restores its clones from. */
    Path beginFork(String parentId) {
        return fresh(home.resolve("forks").resolve(parentId + "-" + System.nanoTime() + ".partial"));
    }

    private static Path fresh(Path directory) {
        try {
            remove(directory);
            Files.createDirectories(directory.resolve(CLONES));
            return directory;
        } catch (IOException e) {
            throw new FlintException("cannot make the snapshot directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Renames a complete snapshot into place: {@code snapshots/NAME} or the fork's directory. */
    Path commit(Path partial) {
        String file = partial.getFileName().toString();
        String name = file.substring(file.startsWith(".") ? 1 : 0, file.length() - ".partial".length());
        Path target = partial.resolveSibling(name);
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            abandon(partial);
            throw new FlintException("cannot complete the snapshot " + target + ": " + e.getMessage(), e);
        }
    }

    /** Removes a snapshot that failed half-way. */
    void abandon(Path partial) {
        try {
            remove(partial);
        } catch (IOException e) {
            // A .partial directory is never read; the next snapshot of that name removes it.
        }
    }

    /** Writes the record of the machine {@code source} saved into {@code directory}. */
    static void writeRecord(Path directory, String name, MachineConfig source, MacAddress mac) throws IOException {
        var json = MachineJson.object().put("name", name).put("source", source.name())
                .put("createdAt", Instant.now().toEpochMilli()).put("mac", mac.toString());
        json.set("config", MachineJson.config(source));
        Files.writeString(directory.resolve(RECORD), MachineJson.write(json));
    }

    /** The directory of snapshot {@code name}, or {@link SnapshotNotFoundException}. */
    Path named(String name) {
        Path directory = snapshots().resolve(checkName(name));
        if (!Files.isRegularFile(directory.resolve(RECORD))) {
            throw SnapshotNotFoundException.of(name);
        }
        return directory;
    }

    /** The record in a snapshot directory, validated as a config from a client is. */
    static SnapshotRecord record(Path directory) {
        Path file = directory.resolve(RECORD);
        try {
            if (Files.size(file) > MAX_RECORD_BYTES) {
                throw new FlintException("snapshot record " + file + " is larger than " + MAX_RECORD_BYTES + " bytes; it is not"
                        + " Flint's");
            }
            JsonNode json = MachineJson.parse(Files.readString(file), "snapshot record " + file);
            return new SnapshotRecord(json.path("name").asText(), json.path("source").asText(),
                    Instant.ofEpochMilli(json.path("createdAt").asLong()), MacAddress.parse(json.path("mac").asText()),
                    MachineJson.reportedConfig(json.path("config")));
        } catch (IOException | IllegalArgumentException e) {
            throw new FlintException("cannot read snapshot record " + file + ": " + e.getMessage(), e);
        }
    }

    /** The named snapshots, by name. */
    List<SnapshotInfo> list() {
        List<SnapshotInfo> infos = new ArrayList<>();
        if (!Files.isDirectory(snapshots())) {
            return infos;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(snapshots())) {
            for (Path entry : entries) {
                if (!entry.getFileName().toString().startsWith(".") && Files.isRegularFile(entry.resolve(RECORD))) {
                    infos.add(record(entry).info());
                }
            }
        } catch (IOException e) {
            throw new FlintException("cannot list the snapshots in " + snapshots() + ": " + e.getMessage(), e);
        }
        infos.sort(Comparator.comparing(SnapshotInfo::name));
        return infos;
    }

    /** Removes snapshot {@code name}; one that machines still stand on is a {@link MachineStateException}. */
    void delete(String name) {
        Path directory = named(name);
        pruneDeadWarm(directory);
        List<String> clones = clones(directory);
        if (!clones.isEmpty()) {
            throw new MachineStateException("snapshot " + name + " backs machine" + (clones.size() == 1 ? " " : "s ")
                    + String.join(", ", clones) + "; delete " + (clones.size() == 1 ? "it" : "them") + " first");
        }
        try {
            remove(directory);
        } catch (IOException e) {
            throw new FlintException("cannot delete snapshot " + name + " (" + directory + "): " + e.getMessage(), e);
        }
    }

    /** Marks machine {@code name} as a warm pool's, kept by this process (which deletes it when the pool ends). */
    static void markWarm(String name) {
        HostProcess self = HostProcess.current();
        try {
            Files.writeString(FlintHome.machineDirectory(name).resolve(WARM_MARK), self.pid() + " "
                    + self.startedAt().map(Instant::toEpochMilli).orElse(0L));
        } catch (IOException e) {
            throw new FlintException("cannot mark machine " + name + " as a warm pool's: " + e.getMessage(), e);
        }
    }

    /**
     * Removes the machines made from {@code origin} that a warm pool kept in a process that is
     * gone (killed before it could delete them): nobody can reach them, and they would keep the
     * snapshot forever.
     */
    private static void pruneDeadWarm(Path origin) {
        try (Stream<Path> files = Files.list(origin.resolve(CLONES))) {
            for (Path clone : files.toList()) {
                Path machine = FlintHome.machineDirectory(MachineConfig.checkName(Files.readString(clone).trim()));
                Path mark = machine.resolve(WARM_MARK);
                if (Files.isRegularFile(mark) && !keeperAlive(Files.readString(mark))) {
                    dropDisks(machine);
                    deleteTree(machine);
                    Files.deleteIfExists(clone);
                }
            }
        } catch (IOException | InvalidConfigException e) {
            // Anything unreadable stays, and is named by the refusal that follows.
        }
    }

    private static boolean keeperAlive(String mark) {
        String[] fields = mark.trim().split(" ");
        try {
            long millis = fields.length > 1 ? Long.parseLong(fields[1]) : 0;
            return HostProcess.isAlive(Long.parseLong(fields[0]),
                    millis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis)));
        } catch (NumberFormatException e) {
            return true;   // not Flint's mark: keep it
        }
    }

    /** The names of the machines made from {@code origin} and not deleted. */
    private static List<String> clones(Path origin) {
        try (Stream<Path> files = Files.list(origin.resolve(CLONES))) {
            List<String> names = new ArrayList<>();
            for (Path file : files.sorted().toList()) {
                names.add(Files.readString(file).trim());
            }
            return names;
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Readies machine {@code id} to start from {@code origin}: its disk an empty overlay over the
     * snapshot's frozen layer (nothing copied), a paused record pointing at the origin's VM (with
     * the new hostname), and the two-way reference that keeps the origin while the machine exists.
     */
    void prepareMachine(Path origin, String id, MachineConfig config) {
        Path directory = FlintHome.machineDirectory(config.name());
        DiskLayers layers = new DiskLayers(home);
        SnapshotRecord record = record(origin);
        Path image = MachineDisk.imageOf(config, directory);
        if (config.hasOwnDisk() && Files.exists(image)) {
            throw new InvalidConfigException("a disk of an earlier machine named " + config.name() + " is still in "
                    + directory + " (retained); pick another name, or remove that directory");
        }
        try {
            Files.createDirectories(directory.resolve(LocalMachine.PAUSED));
            if (config.hasOwnDisk()) {
                Path layer = layers.readHold(origin.resolve(DISK)).layer();
                layers.branch(layer, MachineDisk.overlayOf(config, directory), id);
            }
            new SavedGuest(id, record.mac(), origin.resolve(VM), Optional.of(config.name()))
                    .write(directory.resolve(LocalMachine.PAUSED));
            Files.writeString(origin.resolve(CLONES).resolve(id), config.name());
            Files.writeString(directory.resolve(ORIGIN), origin.toString());
        } catch (IOException e) {
            dropDisks(directory);
            throw new FlintException("machine " + config.name() + " could not be made from snapshot " + record.name() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Drops machine {@code id}'s hold on the snapshot it was made from; a fork's snapshot goes
     * with its last clone. Called when the machine is deleted.
     */
    static void release(String id, String name) {
        Path reference = FlintHome.machineDirectory(name).resolve(ORIGIN);
        try {
            if (!Files.isRegularFile(reference)) {
                return;
            }
            Path origin = Path.of(Files.readString(reference).trim());
            Files.deleteIfExists(origin.resolve(CLONES).resolve(id));
            Files.deleteIfExists(reference);
            if (origin.getParent().getFileName().toString().equals("forks") && clones(origin).isEmpty()) {
                remove(origin);
            }
        } catch (IOException e) {
            // The snapshot stays on disk; deleting it by hand is safe once its machines are gone.
        }
    }

    /**
     * Renames machine {@code id}'s directory from {@code from}'s to {@code to}'s (a warm pool's
     * machine checked out under a new name) and points its snapshot's reference at the new name.
     */
    static void moveMachine(String id, String from, String to) {
        Path source = FlintHome.machineDirectory(from);
        Path target = FlintHome.machineDirectory(to);
        try {
            if (Files.exists(target)) {
                throw new InvalidConfigException("a disk of an earlier machine named " + to + " is still in " + target
                        + " (retained); pick another name, or remove that directory");
            }
            if (Files.exists(source)) {
                Files.createDirectories(target.getParent());
                Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.deleteIfExists(target.resolve(WARM_MARK));   // the user's machine now
            Path reference = target.resolve(ORIGIN);
            if (Files.isRegularFile(reference)) {
                Path clone = Path.of(Files.readString(reference).trim()).resolve(CLONES).resolve(id);
                Files.writeString(clone, to);
            }
        } catch (IOException e) {
            throw new FlintException("machine " + from + " could not be renamed " + to + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a snapshot's directory and then its hold on its disk's layer. */
    private static void remove(Path directory) throws IOException {
        Path disk = directory.resolve(DISK);
        DiskLayers layers = new DiskLayers(directory.getParent().getParent());
        DiskLayers.Hold hold = Files.isRegularFile(disk) ? layers.readHold(disk) : null;
        deleteTree(directory);
        if (hold != null) {
            layers.release(hold.layer(), hold.holder());
        }
    }

    /**
     * Removes the overlay disk in machine directory {@code directory} and its hold on the layer
     * under it, when the directory goes another way than its machine's own delete.
     */
    static void dropDisks(Path directory) {
        DiskLayers layers = DiskLayers.atHome();
        for (String name : List.of("disk", "rootfs")) {
            try {
                layers.dropOverlay(directory.resolve(name + OverlayStore.SUFFIX));
            } catch (IOException e) {
                // The layer keeps a hold nobody drops: it stays on the host, and no disk breaks.
            }
        }
    }

    static void deleteTree(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** A snapshot's record: the machine it was taken of, when, its MAC and its config. */
    record SnapshotRecord(String name, String source, Instant createdAt, MacAddress mac, MachineConfig config) {
        SnapshotInfo info() {
            return new SnapshotInfo(name, source, createdAt, config.cpus(), config.memoryMb(), config.diskMb());
        }

        /**
         * The config of a machine made from this snapshot: the saved machine's hardware (the
         * restored VM must have the same devices), with the new machine's name, metadata, env,
         * workdir and time to live.
         */
        MachineConfig configFor(MachineConfig wanted) {
            MachineConfig saved = config;
            return new MachineConfig(wanted.name(), saved.cpus(), saved.memoryMb(), wanted.env(), wanted.bootTimeout(),
                    saved.kernel(), saved.initrd(), saved.bootArgs(), Optional.empty(), saved.disks(), saved.diskMb(),
                    saved.mounts(), saved.rootfs(), wanted.retainDisk(), saved.network(), wanted.ports(), wanted.workdir(),
                    wanted.metadata(), wanted.timeout(), wanted.startOnCreate(), saved.image(), wanted.onTimeout(),
                    Optional.empty(), Optional.empty());
        }
    }
}
