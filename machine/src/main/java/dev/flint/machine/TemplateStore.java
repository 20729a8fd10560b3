package dev.flint.machine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flint.machine.wire.MachineJson;

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

/**
 * Templates on the host, under {@link FlintHome}:
 * <pre>
 *   templates/NAME/template.json   its name, build time and spec (JSON)
 *   snapshots/template-NAME/       its snapshot: a named snapshot ({@link SnapshotStore}) like any other
 * </pre>
 * A template is its spec plus the named snapshot {@code template-NAME}, so restoring, listing and
 * the references that keep a snapshot while machines stand on it are the snapshots' own. Removing
 * that snapshot (it shows in the snapshot list) leaves a template whose machines boot cold.
 */
final class TemplateStore {
    static final String RECORD = "template.json";
    /** The prefix of a template's snapshot name; template names are shorter by its length. */
    static final String SNAPSHOT_PREFIX = "template-";
    private static final long MAX_RECORD_BYTES = 1 << 20;

    private final Path home;

    TemplateStore(Path home) {
        this.home = home;
    }

    static TemplateStore atHome() {
        return new TemplateStore(FlintHome.resolve());
    }

    /** Template names: 1-54 lowercase letters, digits or '-' (so that {@code template-NAME} is a snapshot name). */
    static String checkName(String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,53}")) {
            throw new InvalidConfigException("template name must be 1-54 lowercase letters, digits or '-', starting"
                    + " with a letter or digit; got " + (name == null ? "null" : "'" + name + "'"));
        }
        return name;
    }

    /** The name of template {@code name}'s snapshot, and of the machine that builds it. */
    static String snapshotName(String name) {
        return SNAPSHOT_PREFIX + name;
    }

    private Path directory(String name) {
        return home.resolve("templates").resolve(checkName(name));
    }

    /** Refuses a name that a template or its snapshot already has. */
    void requireFree(String name) {
        if (Files.exists(directory(name))) {
            throw new InvalidConfigException("a template named " + name + " already exists; pick another name or delete"
                    + " it first");
        }
        if (snapshot(name).isPresent()) {
            throw new InvalidConfigException("a snapshot named " + snapshotName(name) + " (the name template " + name
                    + "'s snapshot would have) already exists; delete it or pick another template name");
        }
    }

    /** Writes the record of template {@code name} aside and renames it into place. */
    void write(String name, TemplateSpec spec) {
        Path target = directory(name);
        Path partial = target.resolveSibling("." + name + ".partial");
        try {
            SnapshotStore.deleteTree(partial);
            Files.createDirectories(partial);
            var json = MachineJson.object().put("name", name).put("createdAt", Instant.now().toEpochMilli());
            json.set("spec", MachineJson.templateSpec(spec));
            Files.writeString(partial.resolve(RECORD), MachineJson.write(json));
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new FlintException("cannot write template " + name + " in " + target + ": " + e.getMessage(), e);
        }
    }

    /** Template {@code name}, or {@link TemplateNotFoundException}. */
    TemplateInfo read(String name) {
        Path file = directory(name).resolve(RECORD);
        if (!Files.isRegularFile(file)) {
            throw TemplateNotFoundException.of(name);
        }
        try {
            if (Files.size(file) > MAX_RECORD_BYTES) {
                throw new FlintException("template record " + file + " is larger than " + MAX_RECORD_BYTES + " bytes; it is"
                        + " not Flint's");
            }
            JsonNode json = MachineJson.parse(Files.readString(file), "template record " + file);
            return new TemplateInfo(name, MachineJson.templateSpec(json.path("spec")),
                    Instant.ofEpochMilli(json.path("createdAt").asLong()), snapshot(name).isPresent());
        } catch (IOException | IllegalArgumentException e) {
            throw new FlintException("cannot read template record " + file + ": " + e.getMessage(), e);
        }
    }

    /** The directory of template {@code name}'s snapshot, if it is there. */
    Optional<Path> snapshot(String name) {
        try {
            return Optional.of(new SnapshotStore(home).named(snapshotName(name)));
        } catch (SnapshotNotFoundException e) {
            return Optional.empty();
        }
    }

    /** The templates, by name. */
    List<TemplateInfo> list() {
        List<TemplateInfo> templates = new ArrayList<>();
        Path root = home.resolve("templates");
        if (!Files.isDirectory(root)) {
            return templates;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                if (!entry.getFileName().toString().startsWith(".") && Files.isRegularFile(entry.resolve(RECORD))) {
                    templates.add(read(entry.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new FlintException("cannot list the templates in " + root + ": " + e.getMessage(), e);
        }
        templates.sort(Comparator.comparing(TemplateInfo::name));
        return templates;
    }

    /** Removes template {@code name} and its snapshot; refused while machines stand on the snapshot. */
    void delete(String name) {
        read(name);
        if (snapshot(name).isPresent()) {
            new SnapshotStore(home).delete(snapshotName(name));
        }
        try {
            SnapshotStore.deleteTree(directory(name));
        } catch (IOException e) {
            throw new FlintException("cannot delete template " + name + ": " + e.getMessage(), e);
        }
    }
}
