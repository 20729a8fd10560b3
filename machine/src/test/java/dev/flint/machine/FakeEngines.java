package dev.flint.machine;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Engines over {@link FakeBackend}s, for tests in any package: no VM, no KVM, no guest images. */
public final class FakeEngines {
    /** The backends made so far, by machine id, so a test can crash one. */
    public final Map<String, FakeBackend> backends = new ConcurrentHashMap<>();

    /** An engine without a store, like this JVM's. */
    public Engine inMemory() {
        return new LocalEngine(this::define, null);
    }

    /** An engine with the SQLite store under {@code home}, like the server's. */
    public Engine persistent(Path home) {
        return new LocalEngine(this::define, MachineStore.open(home));
    }

    private MachineBackend define(String id, MachineConfig config, java.time.Instant createdAt, java.io.OutputStream copy) {
        FakeBackend backend = FakeBackend.define(id, config, createdAt, copy);
        backends.put(id, backend);
        return backend;
    }
}
