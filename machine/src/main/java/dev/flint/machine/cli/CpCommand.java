package dev.flint.machine.cli;

import dev.flint.machine.ConnectOptions;
import dev.flint.machine.FileInfo;
import dev.flint.machine.FlintException;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineFileException;
import dev.flint.machine.MachineFiles;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code flint cp SRC MACHINE:DST} and {@code flint cp MACHINE:SRC DST}, as {@code docker cp}: a
 * file or a directory tree (modes and symlinks kept) between this host and a server's machine. A
 * destination that is an existing directory receives the source under its own name.
 */
@Command(name = "cp", customSynopsis = {"flint cp [OPTIONS] SRC MACHINE:DST", "       flint cp [OPTIONS] MACHINE:SRC DST"},
        description = {"copy files in or out, as docker cp: flint cp app.conf web-1:/etc/", "",
                "Copies a file or a directory tree between this host and a machine (its id or name), as 'docker cp'"
                        + " does: modes and symlinks are kept (symlinks are copied as links); when DST is an existing"
                        + " directory, SRC lands in it under its own name. Guest paths are absolute. Through a server a"
                        + " file is at most 16 MiB each way into the machine (one request)."},
        footer = "Exit status: 0 copied; 1 the guest refused (no such file, not a directory, permission denied, no"
                + " space: the message says which) or a host file could not be read or written; 2 bad arguments; 4 no"
                + " server; 5 no such machine; 6 not running; 125 the machine failed otherwise.")
final class CpCommand extends ServerBound<CpCommand.Options> {
    @Parameters(paramLabel = "SRC DST", description = "the source and the destination, one of them MACHINE:PATH")
    private List<String> paths = new ArrayList<>();

    /** {@code machine} names the side in the guest: {@code toGuest} says which way. */
    record Options(String machine, String guestPath, Path hostPath, boolean toGuest) {
    }

    CpCommand(CliContext context) {
        super(context);
    }

    @Override
    Options request() throws UsageException {
        if (paths.size() != 2) {
            throw new UsageException("cp takes SRC and DST, one of them MACHINE:PATH; got " + paths.size() + " arguments");
        }
        boolean fromGuest = guestSide(paths.get(0));
        boolean toGuest = guestSide(paths.get(1));
        if (fromGuest == toGuest) {
            throw new UsageException("cp copies between this host and a machine: exactly one of SRC and DST is"
                    + " MACHINE:/path, got '" + paths.get(0) + "' and '" + paths.get(1) + "'");
        }
        String guest = toGuest ? paths.get(1) : paths.get(0);
        int colon = guest.indexOf(':');
        String path = guest.substring(colon + 1);
        if (!path.startsWith("/")) {
            throw new UsageException("the guest path must be absolute, got '" + path + "' in '" + guest + "'");
        }
        return new Options(guest.substring(0, colon), path, Path.of(toGuest ? paths.get(0) : paths.get(1)), toGuest);
    }

    @Override
    int run(Options options, ConnectOptions server) {
        return run(options, server, context.out(), context.err());
    }

    /** {@code NAME:/path}: a machine name or id (never holds a '/') before the first colon. */
    private static boolean guestSide(String arg) {
        int colon = arg.indexOf(':');
        return colon > 0 && arg.substring(0, colon).indexOf('/') < 0;
    }

    static int run(Options options, ConnectOptions server, PrintStream out, PrintStream err) {
        try {
            MachineFiles files = Machine.connect(options.machine(), server).files();
            long copied = options.toGuest() ? in(files, options.hostPath(), options.guestPath())
                    : out(files, options.guestPath(), options.hostPath());
            err.println("flint: copied " + copied + (copied == 1 ? " entry" : " entries"));
            return ExitCodes.OK;
        } catch (MachineFileException e) {
            err.println("flint: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("flint: " + e.getMessage());
            return 1;
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        }
    }

    private static long in(MachineFiles files, Path host, String guest) throws IOException {
        String target = isGuestDirectory(files, guest) ? guest.replaceAll("/+$", "") + "/" + host.getFileName() : guest;
        if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
            return files.copyIn(host, target);
        }
        try (InputStream in = Files.newInputStream(host)) {
            files.write(target, in, mode(host));
        }
        return 1;
    }

    private static long out(MachineFiles files, String guest, Path host) throws IOException {
        FileInfo source = files.stat(guest);
        Path target = Files.isDirectory(host) ? host.resolve(source.name()) : host;
        if (source.isDirectory()) {
            return files.copyOut(guest, target);
        }
        try (InputStream in = files.readStream(guest)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return 1;
    }

    private static boolean isGuestDirectory(MachineFiles files, String guest) {
        try {
            return files.stat(guest).isDirectory();
        } catch (MachineFileException e) {
            if (e.errnoName().equals("ENOENT")) {
                return false;
            }
            throw e;
        }
    }

    private static int mode(Path host) throws IOException {
        int mode = 0;
        for (var permission : Files.getPosixFilePermissions(host)) {
            mode |= 0400 >> permission.ordinal();
        }
        return mode;
    }
}
