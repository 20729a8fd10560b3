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
    private static final System.Logger LOG = System.getLogger(LocalEngine.class.getName());
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
    private final WarmPools pools = new WarmPools(this::makeWarm, this::discardWarm);
    private final java.util.concurrent.atomic.AtomicLong warmSeq = new java.util.concurrent.atomic.AtomicLong();

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
        if (config.template().isPresent()) {
            return createFromTemplate(config, consoleCopy, start);
        }
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
            MachineBackend backend = define(config, consoleCopy, origin);
            try {
                machine = new Machine(register(backend.id(), config, backend.info().createdAt(), backend));
            } catch (RuntimeException e) {
                backend.delete();
                throw e;
            }
        } finally {
            releaseName(config.name());
        }
        if (start) {
            try {
                launch(machine);
            } catch (RuntimeException e) {
                deleteAfter(machine, e);
                throw e;
            }
        }
        return machine;
    }

    /** Defines the backend of a new machine, made paused from {@code origin} (a snapshot directory) when given. */
    private MachineBackend define(MachineConfig config, OutputStream consoleCopy, Optional<Path> origin) {
        String id = MachineId.next();
        origin.ifPresent(dir -> SnapshotStore.atHome().prepareMachine(dir, id, config));
        try {
            return factory.define(id, config, Instant.now(), consoleCopy);
        } catch (RuntimeException e) {
            if (origin.isPresent()) {
                SnapshotStore.dropDisks(FlintHome.machineDirectory(config.name()));
            }
            SnapshotStore.release(id, config.name());
            throw e;
        }
    }

    /** Starts a new machine: a restore for one made from a snapshot (paused), else a boot. */
    private static void launch(Machine machine) {
        if (machine.status() == MachineState.PAUSED) {
            machine.resume();
        } else {
            machine.start();
        }
    }

    private static void deleteAfter(Machine machine, RuntimeException failure) {
        try {
            machine.delete();
        } catch (RuntimeException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }

    // --- templates -------------------------------------------------------------------------------

    /**
     * Boots a machine from {@code spec}, runs its setup, snapshots it as {@code template-NAME} and
     * records the template; the build machine is deleted either way, and a failure leaves neither
     * snapshot nor template.
     */
    @Override
    public TemplateInfo buildTemplate(String name, TemplateSpec spec) {
        requireOpen();
        TemplateStore.checkName(name);
        TemplateStore templates = TemplateStore.atHome();
        templates.requireFree(name);
        String snapshot = TemplateStore.snapshotName(name);
        Machine machine = create(spec.machineConfig(snapshot, MachineConfig.builder()), null, true, Optional.empty());
        try {
            setUp(machine, name, spec);
            machine.snapshot(snapshot);
            try {
                templates.write(name, spec);
            } catch (RuntimeException e) {
                SnapshotStore.atHome().delete(snapshot);
                throw e;
            }
        } finally {
            machine.delete();
        }
        return templates.read(name);
    }

    /** Runs the template's setup commands in order; the first that fails is a {@link TemplateBuildException}. */
    private static void setUp(Machine machine, String template, TemplateSpec spec) {
        for (List<String> argv : spec.setup()) {
            ExecResult result = machine.exec(argv);
            if (result.exitCode() != 0 || result.signal() != 0) {
                throw new TemplateBuildException("template " + template + ": setup command " + argv + " failed with "
                        + result.status() + (result.stderr().isBlank() ? "" : "; stderr: " + result.stderr().strip()));
            }
        }
    }

    @Override
    public List<TemplateInfo> templates() {
        requireOpen();
        return TemplateStore.atHome().list();
    }

    @Override
    public void deleteTemplate(String name) {
        requireOpen();
        List<String> using = pools.using(name);
        if (!using.isEmpty()) {
            throw new MachineStateException("template " + name + " fills warm pool" + (using.size() == 1 ? " " : "s ")
                    + String.join(", ", using) + "; delete " + (using.size() == 1 ? "it" : "them") + " first");
        }
        TemplateStore.atHome().delete(name);
    }

    /**
     * A machine of a template: checked out of its warm pool when the config names one and one is
     * ready, else restored from the template's snapshot, else booted cold from its spec and set up.
     */
    private Machine createFromTemplate(MachineConfig config, OutputStream consoleCopy, boolean start) {
        TemplateUse use = config.template().orElseThrow();
        TemplateInfo template = TemplateStore.atHome().read(use.name());
        if (config.diskMb() > template.spec().diskMb()) {
            throw new InvalidConfigException("diskMb " + config.diskMb() + " is larger than the " + template.spec().diskMb()
                    + " MiB disk of template " + use.name() + ", which is fixed when the template is built; ask for at most"
                    + " that (or leave diskMb out), or build a template with a larger disk");
        }
        if (use.pool().isEmpty()) {
            return fromTemplate(config, template, consoleCopy, start);
        }
        String pool = use.pool().get();
        if (use.mode() == WarmPoolMode.BYPASS) {
            return fromTemplate(config.labelled(MachineInfo.WARM_POOL_CHECKOUT, WarmPoolCheckout.BYPASSED.name()), template,
                    consoleCopy, start);
        }
        if (!config.ports().isEmpty()) {
            throw new InvalidConfigException("a machine checked out of warm pool " + pool + " already runs, so it cannot"
                    + " forward the ports given; create it without ports, or with WarmPoolMode.BYPASS");
        }
        Optional<MachineBackend> warm = pools.take(pool, use.name(), use.poolWait());
        if (warm.isPresent()) {
            return checkOut(warm.get(), config, template);
        }
        if (use.mode() == WarmPoolMode.REQUIRE) {
            throw new WarmPoolUnavailableException("warm pool " + pool + " had no ready machine within " + use.poolWait().toMillis()
                    + " ms (" + pools.state(pool) + "); wait longer, make the pool larger, or use WarmPoolMode.PREFER to"
                    + " fall back to a cold create");
        }
        return fromTemplate(config.labelled(MachineInfo.WARM_POOL_CHECKOUT, WarmPoolCheckout.COLD_FALLBACK.name()), template,
                consoleCopy, start);
    }

    /**
     * A machine restored from the template's snapshot, or booted cold from its spec when the
     * snapshot is gone or cannot restore here ({@link TemplateStart}); its info says which.
     */
    private Machine fromTemplate(MachineConfig config, TemplateInfo template, OutputStream consoleCopy, boolean start) {
        TemplateStart how = TemplateStart.of(TemplateStore.atHome(), template.name());
        if (how.snapshot().isPresent()) {
            return create(restoredConfig(how.snapshot().get(), config, template), consoleCopy, start, how.snapshot());
        }
        String reason = how.coldReason().orElseThrow();
        if (!start) {
            throw new InvalidConfigException(reason + ", so its machines boot cold and run its setup at create; create with"
                    + " start(true), or build the template again");
        }
        LOG.log(System.Logger.Level.WARNING, "machine " + config.name() + " boots cold: " + reason);
        Machine machine = create(coldLabelled(coldConfig(config, template.spec()), reason), consoleCopy, true,
                Optional.empty());
        try {
            setUp(machine, template.name(), template.spec());
        } catch (RuntimeException e) {
            deleteAfter(machine, e);
            throw e;
        }
        return machine;
    }

    /** The config of a machine restored from a template's snapshot: the snapshot's hardware, the template's env under the config's. */
    private static MachineConfig restoredConfig(Path origin, MachineConfig config, TemplateInfo template) {
        MachineConfig made = SnapshotStore.record(origin).configFor(config);
        return made.withEnv(merged(template.spec().env(), config.env()));
    }

    /** The config of a machine booted cold from {@code spec}, with the given config's own fields. */
    private static MachineConfig coldConfig(MachineConfig config, TemplateSpec spec) {
        MachineConfig.Builder builder = MachineConfig.builder().bootTimeout(config.bootTimeout()).network(config.network())
                .retainDisk(config.retainDisk()).onTimeout(config.onTimeout());
        config.ports().forEach(builder::port);
        config.workdir().ifPresent(builder::workdir);
        config.metadata().forEach(builder::metadata);
        config.timeout().ifPresent(builder::timeout);
        MachineConfig cold = spec.machineConfig(config.name(), builder);
        return cold.withEnv(merged(spec.env(), config.env()));
    }

    /** {@code config} saying why it boots cold ({@link MachineInfo#templateColdBoot()}), cut to what a label holds. */
    private static MachineConfig coldLabelled(MachineConfig config, String reason) {
        return config.labelled(MachineInfo.TEMPLATE_COLD_BOOT, reason.length() <= 1000 ? reason
                : reason.substring(0, 1000) + "...");
    }

    private static java.util.Map<String, String> merged(java.util.Map<String, String> base, java.util.Map<String, String> over) {
        java.util.Map<String, String> env = new LinkedHashMap<>(base);
        env.putAll(over);
        return env;
    }

    // --- warm pools ------------------------------------------------------------------------------

    @Override
    public WarmPoolInfo createPool(String name, String template, int size) {
        requireOpen();
        WarmPool.checkName(name);
        WarmPool.checkSize(size);
        TemplateStore.atHome().read(template);
        return pools.create(name, template, size);
    }

    @Override
    public List<WarmPoolInfo> pools() {
        requireOpen();
        return pools.list();
    }

    @Override
    public void deletePool(String name) {
        requireOpen();
        pools.delete(name);
    }

    /**
     * Makes a machine for warm pool {@code pool}: running, named {@code POOL-warm-N} (a name held
     * while it waits, so no user's machine takes it), and not registered, so not listed.
     */
    private MachineBackend makeWarm(String pool, String templateName) {
        String name = pool + "-warm-" + warmSeq.incrementAndGet();
        TemplateInfo template = TemplateStore.atHome().read(templateName);
        reserveName(name);
        try {
            MachineConfig wanted = MachineConfig.builder().name(name).build();
            TemplateStart how = TemplateStart.of(TemplateStore.atHome(), templateName);
            Optional<Path> origin = how.snapshot();
            how.coldReason().ifPresent(reason -> LOG.log(System.Logger.Level.WARNING,
                    "warm pool " + pool + "'s machine " + name + " boots cold: " + reason));
            MachineConfig config = origin.isPresent() ? restoredConfig(origin.get(), wanted, template)
                    : coldLabelled(coldConfig(wanted, template.spec()), how.coldReason().orElseThrow());
            MachineBackend backend = define(config, null, origin);
            try {
                if (origin.isPresent()) {
                    SnapshotStore.markWarm(name);   // its directory holds the restore; a cold one has none to mark
                }
                Machine machine = new Machine(backend);
                launch(machine);
                if (origin.isEmpty()) {
                    setUp(machine, templateName, template.spec());
                }
            } catch (RuntimeException e) {
                backend.delete();
                throw e;
            }
            return backend;
        } catch (RuntimeException e) {
            releaseName(name);
            throw e;
        }
    }

    private void discardWarm(MachineBackend machine) {
        try {
            machine.delete();
        } catch (RuntimeException e) {
            // A machine that was never handed out; its directory goes with the next machine of its name.
        } finally {
            releaseName(machine.config().name());
        }
    }

    /**
     * Hands a pool's machine to the create that asked: renamed to the config's name (its guest
     * gets that hostname), with its env, metadata and time to live, registered as a new machine.
     */
    private Machine checkOut(MachineBackend warm, MachineConfig config, TemplateInfo template) {
        String poolName = warm.config().name();
        MachineConfig wanted = config.labelled(MachineInfo.WARM_POOL_CHECKOUT, WarmPoolCheckout.WARM.name());
        String cold = warm.config().metadata().get(MachineInfo.TEMPLATE_COLD_BOOT);
        if (cold != null) {
            wanted = wanted.labelled(MachineInfo.TEMPLATE_COLD_BOOT, cold);
        }
        MachineConfig adopted = new MachineConfig(wanted.name(), warm.config().cpus(), warm.config().memoryMb(),
                merged(template.spec().env(), wanted.env()), wanted.bootTimeout(), warm.config().kernel(),
                warm.config().initrd(), warm.config().bootArgs(), Optional.empty(), warm.config().disks(),
                warm.config().diskMb(), warm.config().mounts(), warm.config().rootfs(), wanted.retainDisk(),
                warm.config().network(), List.of(), wanted.workdir(), wanted.metadata(), wanted.timeout(),
                wanted.startOnCreate(), warm.config().image(), wanted.onTimeout(), Optional.empty(), Optional.empty());
        try {
            reserveName(adopted.name());
        } catch (RuntimeException e) {
            discardWarm(warm);
            throw e;
        }
        try {
            warm.adopt(adopted);
            releaseName(poolName);
            return new Machine(register(warm.id(), adopted, warm.info().createdAt(), warm));
        } catch (RuntimeException e) {
            discardWarm(warm);
            throw e;
        } finally {
            releaseName(adopted.name());
        }
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
     * hostname and disk (an empty overlay over the parent's disk as it was, {@link DiskLayers}).
     * The snapshot goes with the last clone. A clone that cannot start undoes the whole fork.
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
            return Machine.attached(here.get().machine());
        }
        if (store == null) {
            throw new MachineNotFoundException("no machine with id or name '" + idOrName + "' in this JVM (deleted, or"
                    + " never created here); a machine another process hosts is reached through its Flint server:"
                    + " ConnectOptions.server(...) or FLINT_SERVER");
        }
        StoredMachine row = store.get(idOrName).or(() -> store.byName(idOrName))
                .orElseThrow(() -> MachineNotFoundException.of(idOrName));
        return Machine.attached(takeOver(row));
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
    /** Records a machine's changed config (its env); a machine of this JVM only has none to keep. */
    void recordConfig(String id, MachineConfig config) {
        if (store != null) {
            store.updateConfig(id, config);
        }
    }

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
        pools.close();
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
