package dev.flint.machine;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where machines are hosted, as {@link Machine}'s static methods reach it: this JVM
 * ({@link #open(ConnectOptions)} with {@link ConnectOptions#local()}), a Flint server over HTTP,
 * or this JVM with a persistent store ({@link #persistent(Path)}, what {@code flint serve} runs).
 * Every engine hands out the same {@link Machine} handles.
 */
public interface Engine extends AutoCloseable {
    /** Creates a machine and boots it unless the config says {@code start(false)}. */
    Machine create(MachineConfig config);

    /** A handle on an existing machine, by id (preferred) or name; a paused machine stays paused (see {@link Machine#connect}). */
    Machine connect(String idOrName);

    /** The named snapshots ({@link Machine#snapshot(String)}) where this engine keeps them, by name. */
    java.util.List<SnapshotInfo> snapshots();

    /**
     * Deletes snapshot {@code name}.
     *
     * @throws SnapshotNotFoundException if there is none
     * @throws MachineStateException while machines made from it exist
     */
    void deleteSnapshot(String name);

    /** Builds template {@code name} ({@link Template#build}): boots, sets up and snapshots a machine, then deletes it. */
    TemplateInfo buildTemplate(String name, TemplateSpec spec);

    /** The templates where this engine keeps them, by name. */
    java.util.List<TemplateInfo> templates();

    /** Deletes template {@code name} and its snapshot ({@link Template#delete}). */
    void deleteTemplate(String name);

    /** Creates warm pool {@code name} of {@code template} ({@link WarmPool#create}), filling in the background. */
    WarmPoolInfo createPool(String name, String template, int size);

    /** This engine's warm pools, by name. */
    java.util.List<WarmPoolInfo> pools();

    /** Deletes warm pool {@code name} and the machines it has ready. */
    void deletePool(String name);

    /** One page of the machines {@code query} selects, oldest first. */
    MachinePage list(MachineQuery query);

    /** Releases the engine: a persistent one stops the machines it hosts and closes its store; the others hold nothing. */
    @Override
    void close();

    /** The engine {@code options} name; the local one is this JVM's, shared, and closing it does nothing. */
    static Engine open(ConnectOptions options) {
        Objects.requireNonNull(options, "options");
        if (options.isLocal()) {
            return LocalEngine.inProcess();
        }
        return new RemoteEngine(options.serverUri().orElseThrow(), options.token());
    }

    /**
     * Hosts machines in this JVM and records them in the SQLite store under {@code home} (usually
     * {@link FlintHome#resolve()}); on open, machines whose host process ended are marked stopped,
     * and each can be started again through {@link #connect}.
     */
    static Engine persistent(Path home) {
        return new LocalEngine(LocalMachine::define, MachineStore.open(home));
    }
}
