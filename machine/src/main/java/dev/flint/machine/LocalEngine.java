package dev.flint.machine;

import dev.flint.machine.wire.MachineJson;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Hosts machines in this JVM. Without a store (this JVM's shared engine) it knows only the
 * machines it made, which end with the JVM. With a {@link MachineStore} (the server's) it also
 * records each machine and its state changes, lists from the store, and takes over machines
 * recorded by a host process that has ended: {@link #connect} sets them up again, stopped.
 * Names are unique among the machines an engine knows.
 */
final class LocalEngine implements Engine {
    /** Makes the backend of a new or taken-over machine: {@link LocalMachine#define}, or a fake in tests. */
    @FunctionalInterface
    interface BackendFactory {
        MachineBackend define(String id, MachineConfig config, Instant createdAt, OutputStream consoleCopy);
    }

    private static final Duration SHUTDOWN_STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final LocalEngine IN_PROCESS = new LocalEngine(LocalMachine::define, null);

    private record Hosted(long seq, HostedMachine machine) {
    }

    private final BackendFactory factory;
    private final MachineStore store;
    private final HostProcess self = HostProcess.current();
    private final Map<String, Hosted> hosted = new LinkedHashMap<>();
    private final Set<String> namesBeingCreated = new HashSet<>();
    private long nextSeq = 1;
    private boolean closed;

    LocalEngine(BackendFactory factory, MachineStore store) {
        this.factory = factory;
        this.store = store;
    }

    /** This JVM's engine without a store: what {@link ConnectOptions#local()} means. */
    static LocalEngine inProcess() {
        return IN_PROCESS;
    }

    @Override
    public Machine create(MachineConfig config) {
        return create(config, null, config.startOnCreate());
    }

    /**
     * Creates (and boots, if {@code start}) a machine; a failed boot deletes it again and rethrows.
     * A config {@link MachineConfig#snapshot() from a snapshot} makes it from that snapshot.
     */
    Machine create(MachineConfig config, OutputStream consoleCopy, boolean start) {
        if (config.snapshot().isPresent()) {
            Path origin = SnapshotStore.atHome().named(config.snapshot().get());
            return create(SnapshotStore.record(origin).configFor(config), consoleCopy, start, Optional.of(origin));
        }
        return create(config, consoleCopy, start, Optional.empty());
    }

    /**
     * Creates a machine; from {@code origin} (a snapshot directory) it is made paused there, and
     * its start is the restore.
     */
    private Machine create(MachineConfig config, OutputStream consoleCopy, boolean start, Optional<Path> origin) {
        reserveName(config.name());
        Machine machine;
        try {
            String id = MachineId.next();
            Instant createdAt = Instant.now();
            origin.ifPresent(dir -> SnapshotStore.atHome().prepareMachine(dir, id, config, LocalMachine.forkDisks));
            MachineBackend backend;
            try {
                backend = factory.define(id, config, createdAt, consoleCopy);
            } catch (RuntimeException e) {
                SnapshotStore.release(id, config.name());
                throw e;
            }
            try {
                machine = new Machine(register(id, config, createdAt, backend));
            } catch (RuntimeException e) {
                backend.delete();
                throw e;
            }
        } finally {
            releaseName(config.name());
        }
        if (start) {
            try {
                if (machine.status() == MachineState.PAUSED) {
                    machine.resume();
                } else {
                    machine.start();
                }
            } catch (RuntimeException e) {
                try {
                    machine.delete();
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
        }
        return machine;
    }

    /**
     * Writes snapshot {@code name} of {@code machine} aside and renames it into place, so a
     * failure leaves no snapshot of that name.
     */
    void snapshot(MachineBackend machine, String name) {
        SnapshotStore snapshots = SnapshotStore.atHome();
        Path partial = snapshots.begin(name);
        try {
            machine.saveSnapshot(partial, name);
        } catch (RuntimeException e) {
            snapshots.abandon(partial);
            throw e;
        }
        snapshots.commit(partial);
    }

    /**
     * Clones {@code parent}: one snapshot of it (the parent pauses for as long as the save takes,
     * then runs on), and every clone restored from that snapshot's one memory file, mapped
     * copy-on-write, so the host holds the shared pages once. Each clone has its own id, name,
     * hostname and disk ({@link ForkDisks#branch}). The snapshot goes with the last clone. A clone
     * that cannot start undoes the whole fork.
     */
    List<Machine> fork(MachineBackend parent, List<String> names) {
        MachineLifecycle.require(parent.config().name(), parent.status(), MachineLifecycle.Action.FORK);
        List<MachineConfig> configs = names.stream().map(n -> parent.config().renamed(n)).toList();
        SnapshotStore snapshots = SnapshotStore.atHome();
        Path partial = snapshots.beginFork(parent.id());
        try {
            parent.saveSnapshot(partial, "fork-of-" + parent.config().name());
        } catch (RuntimeException e) {
            snapshots.abandon(partial);
            throw e;
        }
        Path origin = snapshots.commit(partial);
        List<Machine> clones = new ArrayList<>();
        try {
            for (MachineConfig config : configs) {
                clones.add(create(config, null, true, Optional.of(origin)));
            }
        } catch (RuntimeException e) {
            for (Machine clone : clones) {
                try {
                    clone.delete();
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            if (clones.isEmpty()) {
                snapshots.abandon(origin);
            }
            throw e;
        }
        return clones;
    }

    /** The named snapshots on this host. */
    @Override
    public List<SnapshotInfo> snapshots() {
        requireOpen();
        return SnapshotStore.atHome().list();
    }

    @Override
    public void deleteSnapshot(String name) {
        requireOpen();
        SnapshotStore.atHome().delete(name);
    }

    private synchronized void reserveName(String name) {
        requireOpen();
        Optional<String> holder = hosted.values().stream().map(h -> h.machine())
                .filter(m -> m.config().name().equals(name)).map(MachineBackend::id).findFirst();
        if (holder.isEmpty() && store != null) {
            holder = store.byName(name).map(StoredMachine::id);
        }
        if (holder.isPresent() || namesBeingCreated.contains(name)) {
            throw new InvalidConfigException("a machine named " + name + " already exists" + holder.map(id -> " (" + id + ")")
                    .orElse(" (being created)") + "; pick another name, or delete that machine first");
        }
        namesBeingCreated.add(name);
    }

    private synchronized void releaseName(String name) {
        namesBeingCreated.remove(name);
    }

    private synchronized HostedMachine register(String id, MachineConfig config, Instant createdAt, MachineBackend backend) {
        requireOpen();
        long seq = store != null ? store.insert(id, config, backend.status(), createdAt, self) : nextSeq++;
        HostedMachine machine = new HostedMachine(this, backend);
        hosted.put(id, new Hosted(seq, machine));
        return machine;
    }

    @Override
    public synchronized Machine connect(String idOrName) {
        requireOpen();
        if (idOrName == null || idOrName.isBlank()) {
            throw new InvalidConfigException("connect needs a machine id (m-...) or name");
        }
        Optional<Hosted> here = Optional.ofNullable(hosted.get(idOrName)).or(() -> hosted.values().stream()
                .filter(h -> h.machine().config().name().equals(idOrName)).findFirst());
        if (here.isPresent()) {
            return new Machine(here.get().machine());
        }
        if (store == null) {
            throw new MachineNotFoundException("no machine with id or name '" + idOrName + "' in this JVM (deleted, or"
                    + " never created here); a machine another process hosts is reached through its Flint server:"
                    + " ConnectOptions.server(...) or FLINT_SERVER");
        }
        StoredMachine row = store.get(idOrName).or(() -> store.byName(idOrName))
                .orElseThrow(() -> MachineNotFoundException.of(idOrName));
        return new Machine(takeOver(row));
    }

    /** Sets up a machine whose recorded host process is gone; stopped, with its disk as it was. */
    private MachineBackend takeOver(StoredMachine row) {
        if (row.hostPid().isPresent() && row.hostPid().getAsLong() != self.pid()
                && HostProcess.isAlive(row.hostPid().getAsLong(), row.hostStartedAt())) {
            throw new MachineStateException("machine " + row.config().name() + " is hosted by process "
                    + row.hostPid().getAsLong() + ", another Flint server on " + store.file().getParent()
                    + "; connect through that server");
        }
        MachineBackend backend;
        try {
            row.config().vsockSocket().filter(Files::exists).ifPresent(socket -> socket.toFile().delete());
            MachineConfig config = MachineJson.config(MachineJson.parse(store.configJson(row.id()), "stored config"));
            backend = factory.define(row.id(), config, row.createdAt(), null);
        } catch (InvalidConfigException e) {
            return new UnhostedMachine(row, e.getMessage(), store);
        }
        store.updateHost(row.id(), self);
        HostedMachine machine = new HostedMachine(this, backend);
        hosted.put(row.id(), new Hosted(row.seq(), machine));
        MachineState now = backend.status();   // PAUSED when its saved guest is there, else STOPPED
        if (row.state() != now) {
            store.updateState(row.id(), now, Optional.empty(), Optional.of(now == MachineState.PAUSED ? "paused"
                    : row.state() == MachineState.PAUSED ? "its saved state was lost; taken over stopped"
                    : "its host process " + row.hostPid().orElse(-1) + " ended; taken over stopped"));
        }
        return machine;
    }

    @Override
    public MachinePage list(MachineQuery query) {
        List<HostedMachine> live;
        synchronized (this) {
            requireOpen();
            live = hosted.values().stream().map(Hosted::machine).toList();
        }
        if (store == null) {
            return listHosted(query);
        }
        live.forEach(HostedMachine::status);   // records crashes and expiries before the store is asked
        List<StoredMachine> rows = store.list(query);
        List<MachineInfo> machines = new ArrayList<>();
        for (StoredMachine row : rows.subList(0, Math.min(rows.size(), query.limit()))) {
            Hosted here;
            synchronized (this) {
                here = hosted.get(row.id());
            }
            machines.add(here != null ? here.machine().info() : row.info());
        }
        Optional<String> next = rows.size() > query.limit()
                ? Optional.of(MachineQuery.cursorAfter(rows.get(query.limit() - 1).seq())) : Optional.empty();
        return new MachinePage(machines, next);
    }

    private MachinePage listHosted(MachineQuery query) {
        List<Hosted> candidates;
        synchronized (this) {
            candidates = hosted.values().stream().filter(h -> h.seq() > query.after()).toList();
        }
        List<MachineInfo> machines = new ArrayList<>();
        long lastSeq = 0;
        for (Hosted candidate : candidates) {
            MachineInfo info = candidate.machine().info();
            if (!query.matches(info)) {
                continue;
            }
            if (machines.size() == query.limit()) {
                return new MachinePage(machines, Optional.of(MachineQuery.cursorAfter(lastSeq)));
            }
            machines.add(info);
            lastSeq = candidate.seq();
        }
        return new MachinePage(machines, Optional.empty());
    }

    /** Called by {@link HostedMachine} on every state change it sees. */
    void recordState(MachineInfo info) {
        if (store != null && info.state() != MachineState.DELETED) {
            store.updateState(info.id(), info.state(), info.startedAt(), info.lastStopReason());
        }
    }

    /** Called by {@link HostedMachine} once its machine is deleted. */
    synchronized void forget(String id) {
        hosted.remove(id);
        if (store != null) {
            store.delete(id);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new FlintException("this engine was closed; open a new one");
        }
    }

    /**
     * Stops every machine this engine hosts (their disks stay) and records them stopped and
     * unhosted, then closes the store. The shared in-process engine is never closed.
     */
    @Override
    public void close() {
        if (this == IN_PROCESS) {
            return;
        }
        List<HostedMachine> machines;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            machines = hosted.values().stream().map(Hosted::machine).toList();
            hosted.clear();
        }
        for (HostedMachine machine : machines) {
            try {
                if (machine.status() == MachineState.RUNNING) {
                    machine.stop(SHUTDOWN_STOP_TIMEOUT);
                }
            } catch (RuntimeException e) {
                // The VM ends with this process either way; the row below says it is stopped.
            }
            if (store != null) {
                boolean paused = machine.status() == MachineState.PAUSED;   // its saved guest outlives the server
                store.updateState(machine.id(), paused ? MachineState.PAUSED : MachineState.STOPPED, Optional.empty(),
                        Optional.of(machine.info().lastStopReason().orElse("the server shut down")));
                store.updateHost(machine.id(), null);
            }
        }
        if (store != null) {
            store.close();
        }
    }
}
