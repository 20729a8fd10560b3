package dev.flint.machine;

import dev.flint.agent.GuestFileException;
import dev.flint.agent.GuestFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link MachineFiles} over a machine's agent: checks every argument, then runs the request on
 * the guest's files the supplier hands out (the machine's root, or its image's), mapping the
 * guest's refusals to {@link MachineFileException} and a lost agent to the machine's own error.
 */
final class AgentMachineFiles implements MachineFiles {
    private final String machine;
    private final Supplier<GuestFiles> files;
    private final Function<IOException, RuntimeException> agentFailure;

    /** {@code files}: throws the machine's state error when it is not running. */
    AgentMachineFiles(String machine, Supplier<GuestFiles> files, Function<IOException, RuntimeException> agentFailure) {
        this.machine = machine;
        this.files = files;
        this.agentFailure = agentFailure;
    }

    private interface Call<T> {
        T run(GuestFiles files) throws IOException, InterruptedException;
    }

    private <T> T call(String what, String path, Call<T> call) {
        GuestFiles guest = files.get();
        try {
            return call.run(guest);
        } catch (FileSystemException e) {
            throw refused(what, path, e);
        } catch (IOException e) {
            throw agentFailure.apply(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlintException("interrupted during " + what + " of " + path + " on machine " + machine, e);
        }
    }

    /** A host-side file error (copyIn, copyOut) or the guest's refusal. */
    private MachineFileException refused(String what, String path, FileSystemException e) {
        String errno = switch (e) {
            case GuestFileException guest -> guest.errnoName();
            case NoSuchFileException missing -> "ENOENT";
            case AccessDeniedException denied -> "EACCES";
            case FileAlreadyExistsException exists -> "EEXIST";
            default -> "";
        };
        String reason = Objects.requireNonNullElse(e.getReason(), e.getMessage());
        return new MachineFileException(what + " on machine " + machine + " failed: " + reason
                + (e.getFile() != null && !reason.contains(e.getFile()) ? " (" + e.getFile() + ")" : ""),
                e.getFile() == null ? path : e.getFile(), errno, e);
    }

    static String linkTarget(String target) {
        if (target == null || target.isEmpty() || target.indexOf('\0') >= 0 || target.length() > GuestFiles.MAX_PATH) {
            throw new InvalidConfigException("a symlink target must be 1-" + GuestFiles.MAX_PATH
                    + " characters without NUL, got " + (target == null ? "null" : "'" + target + "'"));
        }
        return target;
    }

    static String path(String path) {
        try {
            GuestFiles.checkPath(path);
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new InvalidConfigException(path == null ? "guest path must not be null" : e.getMessage());
        }
        return path;
    }

    static int mode(int mode) {
        try {
            return GuestFiles.checkMode(mode);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(e.getMessage());
        }
    }

    static <T> T required(T value, String name) {
        if (value == null) {
            throw new InvalidConfigException(name + " must not be null");
        }
        return value;
    }

    @Override
    public void write(String path, byte[] data, int mode) {
        required(data, "data");
        write(path, new java.io.ByteArrayInputStream(data), mode);
    }

    @Override
    public long write(String path, InputStream data, int mode) {
        path(path);
        mode(mode);
        required(data, "data");
        return call("write", path, guest -> guest.write(path, data, mode));
    }

    @Override
    public byte[] read(String path) {
        path(path);
        return call("read", path, guest -> guest.readAllBytes(path, MAX_READ_BYTES));
    }

    @Override
    public InputStream readStream(String path) {
        path(path);
        return call("read", path, guest -> guest.read(path));
    }

    @Override
    public List<FileInfo> list(String path) {
        path(path);
        return call("list", path, guest -> guest.list(path).stream().map(FileInfo::of).toList());
    }

    @Override
    public FileInfo stat(String path) {
        path(path);
        return call("stat", path, guest -> FileInfo.of(guest.stat(path)));
    }

    @Override
    public void mkdirs(String path, int mode) {
        path(path);
        mode(mode);
        call("mkdirs", path, guest -> {
            guest.mkdirs(path, mode);
            return null;
        });
    }

    @Override
    public void symlink(String path, String target) {
        path(path);
        linkTarget(target);
        call("symlink", path, guest -> {
            guest.symlink(target, path);
            return null;
        });
    }

    @Override
    public void remove(String path, boolean recursive) {
        path(path);
        call("remove", path, guest -> {
            guest.remove(path, recursive);
            return null;
        });
    }

    @Override
    public long copyIn(Path hostDir, String guestDir) {
        required(hostDir, "hostDir");
        path(guestDir);
        return call("copy in", guestDir, guest -> guest.copyIn(hostDir, guestDir));
    }

    @Override
    public long copyOut(String guestDir, Path hostDir) {
        path(guestDir);
        required(hostDir, "hostDir");
        return call("copy out", guestDir, guest -> guest.copyOut(guestDir, hostDir));
    }
}
