package dev.flint.machine;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.function.Consumer;

/**
 * An engine's warm pools ({@link WarmPool}): for each, the machines ready to check out, and the
 * refills that keep it at its size, on virtual threads of this one executor, at most
 * {@link WarmPool#CONCURRENT_REFILLS} machines being made at a time. A fill that fails leaves the
 * pool short until the next checkout tries again, and the pool's info says why.
 */
final class WarmPools implements AutoCloseable {
    /** Makes one ready (running, unlisted) machine of {@code template} for pool {@code pool}. */
    @FunctionalInterface
    interface Maker {
        MachineBackend make(String pool, String template);
    }

    private static final class Pool {
        final String name;
        final String template;
        final int size;
        final ArrayDeque<MachineBackend> ready = new ArrayDeque<>();
        int filling;
        boolean closed;
        String lastFailure;

        Pool(String name, String template, int size) {
            this.name = name;
            this.template = template;
            this.size = size;
        }

        WarmPoolInfo info() {
            return new WarmPoolInfo(name, template, size, ready.size());
        }
    }

    private static final Logger LOG = Logger.getLogger(WarmPools.class.getName());
    /** A restore in flight ignores the interrupt; in the emulated rig one takes tens of seconds. */
    private static final Duration FILL_WAIT_AT_CLOSE = Duration.ofSeconds(60);

    private final Maker maker;
    private final Consumer<MachineBackend> discard;
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final ExecutorService refills = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("flint-warm-pool-", 0).factory());
    private final Semaphore making = new Semaphore(WarmPool.CONCURRENT_REFILLS);
    private boolean closed;

    WarmPools(Maker maker, Consumer<MachineBackend> discard) {
        this.maker = maker;
        this.discard = discard;
    }

    synchronized WarmPoolInfo create(String name, String template, int size) {
        requireOpen();
        if (pools.containsKey(name)) {
            throw new InvalidConfigException("a warm pool named " + name + " already exists; pick another name or delete"
                    + " it first");
        }
        Pool pool = new Pool(name, template, size);
        pools.put(name, pool);
        refill(pool);
        return pool.info();
    }

    synchronized List<WarmPoolInfo> list() {
        return pools.values().stream().map(Pool::info).sorted(java.util.Comparator.comparing(WarmPoolInfo::name)).toList();
    }

    /** The pools that keep machines of {@code template}. */
    synchronized List<String> using(String template) {
        return pools.values().stream().filter(p -> p.template.equals(template)).map(p -> p.name).sorted().toList();
    }

    /**
     * A ready machine of pool {@code name} (which must be of {@code template}), waiting up to
     * {@code wait} for one; empty when none came in time. Every checkout starts a refill.
     *
     * @throws InvalidConfigException if there is no such pool, or it is of another template
     */
    Optional<MachineBackend> take(String name, String template, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        List<MachineBackend> dead = new ArrayList<>();
        try {
            synchronized (this) {
                Pool pool = require(name);
                if (!pool.template.equals(template)) {
                    throw new InvalidConfigException("warm pool " + name + " keeps machines of template " + pool.template
                            + ", not " + template + "; name its template, or another pool");
                }
                while (true) {
                    MachineBackend machine = pool.ready.poll();
                    if (machine != null && machine.status() == MachineState.RUNNING) {
                        refill(pool);
                        return Optional.of(machine);
                    }
                    if (machine != null) {
                        dead.add(machine);   // it crashed or ended while it waited
                        continue;
                    }
                    refill(pool);
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || pool.closed) {
                        return Optional.empty();
                    }
                    wait(Math.max(1, left / 1_000_000));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            dead.forEach(discard);
        }
    }

    /** Why pool {@code name} is short, for a REQUIRE that found none: how many are ready and being made, and the last failure. */
    synchronized String state(String name) {
        Pool pool = require(name);
        return pool.ready.size() + " of " + pool.size + " ready, " + pool.filling + " being made"
                + (pool.lastFailure == null ? "" : "; the last one failed: " + pool.lastFailure);
    }

    /** Deletes pool {@code name} and the machines it has ready. */
    void delete(String name) {
        List<MachineBackend> ready;
        synchronized (this) {
            Pool pool = require(name);
            pools.remove(name);
            pool.closed = true;
            ready = List.copyOf(pool.ready);
            pool.ready.clear();
            notifyAll();
        }
        ready.forEach(discard);
    }

    private Pool require(String name) {
        Pool pool = pools.get(name);
        if (pool == null) {
            throw new InvalidConfigException("no warm pool named " + name + "; create it first (WarmPool.create, flint pool"
                    + " create), or list the pools to see which exist");
        }
        return pool;
    }

    /** Starts as many fills as keep the pool at its size. Holding this. */
    private void refill(Pool pool) {
        while (!closed && !pool.closed && pool.ready.size() + pool.filling < pool.size) {
            pool.filling++;
            refills.execute(() -> fill(pool));
        }
    }

    private void fill(Pool pool) {
        MachineBackend made = null;
        String failure = null;
        try {
            making.acquire();
            try {
                made = maker.make(pool.name, pool.template);
            } finally {
                making.release();
            }
        } catch (InterruptedException e) {
            failure = "interrupted (the engine closed)";
        } catch (RuntimeException e) {
            failure = e.getMessage();
        }
        boolean keep;
        synchronized (this) {
            pool.filling--;
            keep = made != null && !pool.closed && !closed;
            if (keep) {
                pool.ready.add(made);
                pool.lastFailure = null;
            } else if (failure != null) {
                pool.lastFailure = failure;
            }
            notifyAll();
        }
        if (made != null && !keep) {
            discard.accept(made);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new FlintException("this engine was closed; open a new one");
        }
    }

    /** Stops the refills and deletes every ready machine. */
    @Override
    public void close() {
        List<MachineBackend> ready = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (Pool pool : pools.values()) {
                pool.closed = true;
                ready.addAll(pool.ready);
                pool.ready.clear();
            }
            pools.clear();
            notifyAll();
        }
        refills.shutdownNow();
        ready.forEach(discard);
        awaitFills();
    }

    /**
     * Waits for the fills that were making a machine when the engine closed: each discards what
     * it made, so once close returns no pool machine appears or lingers in the Flint home.
     */
    private void awaitFills() {
        try {
            if (!refills.awaitTermination(FILL_WAIT_AT_CLOSE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warning("a warm-pool fill still runs " + FILL_WAIT_AT_CLOSE.toSeconds() + " s after the engine"
                        + " closed; it deletes its machine when it ends");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
