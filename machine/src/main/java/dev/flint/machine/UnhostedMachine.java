package dev.flint.machine;

import dev.flint.virtio.vsock.VsockMuxer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A stored machine that this server could not set up again (its config no longer passes this
 * host's checks, e.g. a mount source was removed): it reads as stopped, says why when asked to
 * start, and can still be deleted, which removes its row and, unless retained, its directory.
 */
final class UnhostedMachine implements MachineBackend {
    private final StoredMachine row;
    private final String problem;
    private final MachineStore store;
    private volatile boolean deleted;

    UnhostedMachine(StoredMachine row, String problem, MachineStore store) {
        this.row = row;
        this.problem = problem;
        this.store = store;
    }

    @Override
    public String id() {
        return row.id();
    }

    @Override
    public MachineConfig config() {
        return row.config();
    }

    @Override
    public MachineState status() {
        return deleted ? MachineState.DELETED : MachineState.STOPPED;
    }

    @Override
    public void start(Duration bootTimeout) {
        MachineLifecycle.require(row.config().name(), status(), MachineLifecycle.Action.START);
        throw new InvalidConfigException("machine " + row.config().name() + " cannot start on this host: " + problem
                + "; fix that and connect again, or delete the machine");
    }

    @Override
    public void stop(Duration timeout) {
        MachineLifecycle.require(row.config().name(), status(), MachineLifecycle.Action.STOP);
    }

    @Override
    public void pause() {
        MachineLifecycle.require(row.config().name(), status(), MachineLifecycle.Action.PAUSE);
    }

    @Override
    public void resume(Duration timeout) {
        MachineLifecycle.require(row.config().name(), status(), MachineLifecycle.Action.RESUME);
    }

    @Override
    public void restart() {
        start(row.config().bootTimeout());
    }

    @Override
    public synchronized void delete() {
        if (deleted) {
            return;
        }
        if (!row.config().retainDisk()) {
            Path directory = FlintHome.machineDirectory(row.config().name());
            try (Stream<Path> paths = Files.exists(directory) ? Files.walk(directory) : Stream.empty()) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                throw new FlintException("machine " + row.config().name() + " could not remove its directory "
                        + directory + ": " + e.getMessage() + "; remove it by hand", e);
            }
        }
        store.delete(row.id());
        deleted = true;
    }

    @Override
    public ExecResult exec(List<String> argv, ExecOptions options) {
        MachineLifecycle.require(row.config().name(), status(), MachineLifecycle.Action.EXEC);
        throw new IllegalStateException("unreachable: an unhosted machine is never running");
    }

    @Override
    public ExecResult exec(List<String> argv, ExecOptions options, Consumer<byte[]> onStdout, Consumer<byte[]> onStderr) {
        return exec(argv, options);
    }

    @Override
    public ExecResult run(String image, List<String> argv, RunOptions options, Consumer<byte[]> onStdout,
                          Consumer<byte[]> onStderr) {
        return exec(argv, ExecOptions.DEFAULT);
    }

    @Override
    public MachineInfo info() {
        MachineInfo info = row.info();
        return new MachineInfo(info.name(), status(), info.cpus(), info.memoryMb(), info.diskMb(), info.mounts(),
                info.address(), info.ports(), info.metadata(), info.createdAt(), info.startedAt(), info.bootDuration(),
                java.util.Optional.of(problem), info.id());
    }

    @Override
    public void setEnv(java.util.Map<String, String> env) {
        throw new InvalidConfigException("machine " + row.config().name() + " cannot be changed on this host: " + problem
                + "; fix that and connect again, or delete the machine");
    }

    @Override
    public MachineMetrics metrics(boolean wake) {
        MachineLifecycle.require(row.config().name(), status(), MachineLifecycle.Action.EXEC);
        throw new IllegalStateException("unreachable: an unhosted machine is never running");
    }

    @Override
    public String consoleLog() {
        return "";
    }

    @Override
    public VsockMuxer vsock() {
        MachineLifecycle.require(row.config().name(), status(), MachineLifecycle.Action.EXEC);
        throw new IllegalStateException("unreachable: an unhosted machine is never running");
    }
}
