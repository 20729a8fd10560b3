package dev.flint.machine.cli;

import dev.flint.image.ImageException;
import dev.flint.image.ImageNotFoundException;
import dev.flint.image.ImageReference;
import dev.flint.image.ImageStoreFullException;
import dev.flint.image.ImageSummary;
import dev.flint.image.InvalidReferenceException;
import dev.flint.image.PruneResult;
import dev.flint.image.PullPolicy;
import dev.flint.machine.FlintException;
import dev.flint.machine.Images;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** {@code flint pull|images|rmi|prune|load}: the host's OCI image store under {@code $FLINT_HOME/images}. */
final class ImageCommands {
    static final int NOT_FOUND = 5;
    static final int REGISTRY = 7;
    static final int STORE_FULL = 8;

    private static final String EXIT_TEXT = """

            Exit status: 0 done; 2 bad arguments or a bad reference; 5 no such image (unknown
            repository or tag, or not in the store); 7 the registry refused, failed or sent bad
            content (denied, unreachable, no linux/amd64, digest mismatch); 8 the image store's disk is full.
            """;
    static final String PULL_USAGE = """
            Usage: flint pull [--always] REF

            Pulls OCI image REF (python:3.12, docker.io/library/alpine:3.20, localhost:5000/app:1,
            name@sha256:...) into the store under $FLINT_HOME/images, with progress per layer on
            stderr. Layers already stored are not downloaded again; an image already stored is not
            asked for again unless --always. Plain-HTTP registries must be listed in
            FLINT_INSECURE_REGISTRIES (host:port,...); credentials come from ~/.docker/config.json.
            """ + EXIT_TEXT;
    static final String IMAGES_USAGE = """
            Usage: flint images

            Lists the stored images: reference, manifest digest, size, pulled and last used.
            """ + EXIT_TEXT;
    static final String RMI_USAGE = """
            Usage: flint rmi REF...

            Forgets the stored references; their layers are freed by 'flint prune'.
            """ + EXIT_TEXT;
    static final String PRUNE_USAGE = """
            Usage: flint prune

            Frees every blob and layer that no stored reference needs, and says how much.
            """ + EXIT_TEXT;
    static final String LOAD_USAGE = """
            Usage: flint load FILE|DIR

            Loads an image from a 'docker save' archive (FILE) or an OCI image layout (DIR) into the
            store, no registry needed, under the references the archive names.
            """ + EXIT_TEXT;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    private ImageCommands() {
    }

    static String usage(String command) {
        return switch (command) {
            case "pull" -> PULL_USAGE;
            case "images" -> IMAGES_USAGE;
            case "rmi" -> RMI_USAGE;
            case "prune" -> PRUNE_USAGE;
            case "load" -> LOAD_USAGE;
            default -> throw new IllegalArgumentException(command);
        };
    }

    static int run(String command, List<String> args, PrintStream out, PrintStream err) throws UsageException {
        return switch (command) {
            case "pull" -> {
                boolean always = args.contains("--always");
                List<String> refs = args.stream().filter(a -> !a.equals("--always")).toList();
                yield pull(single(refs, "pull needs one image reference, e.g. flint pull python:3.12"),
                        always ? PullPolicy.ALWAYS : PullPolicy.MISSING, err, out);
            }
            case "images" -> {
                noArguments(args, "images");
                yield guarded(err, () -> list(out));
            }
            case "rmi" -> {
                if (args.isEmpty()) {
                    throw new UsageException("rmi needs at least one image reference");
                }
                for (String reference : args) {
                    reference(reference);
                }
                yield guarded(err, () -> remove(args, out, err));
            }
            case "prune" -> {
                noArguments(args, "prune");
                yield guarded(err, () -> {
                    PruneResult result = Images.local().prune();
                    out.printf("flint: freed %s in %d blobs and layers%n", size(result.bytesFreed()), result.blobsRemoved());
                    return 0;
                });
            }
            case "load" -> {
                Path source = Path.of(single(args, "load needs a docker-save archive or an OCI layout directory"));
                if (!Files.exists(source)) {
                    throw new UsageException("load " + source + ": no such file or directory");
                }
                yield guarded(err, () -> {
                    for (ImageSummary image : Images.local().load(source, new PullProgress(err))) {
                        out.println("loaded " + image.reference() + " " + image.manifestDigest());
                    }
                    return 0;
                });
            }
            default -> throw new UsageException("unknown command: " + command);
        };
    }

    /** Pulls with progress on {@code err}; 0, or the exit status of what went wrong. */
    static int pull(String reference, PullPolicy policy, PrintStream err) {
        return pull(reference, policy, err, null);
    }

    private static int pull(String reference, PullPolicy policy, PrintStream err, PrintStream out) {
        return guarded(err, () -> {
            ImageSummary image = Images.local().pull(reference, policy, new PullProgress(err));
            if (out != null) {
                out.println(image.reference() + " " + image.manifestDigest());
            }
            return 0;
        });
    }

    private static int list(PrintStream out) {
        List<ImageSummary> images = Images.local().list();
        out.printf("%-50s %-19s %10s %-16s %-16s%n", "REFERENCE", "DIGEST", "SIZE", "PULLED", "LAST USED");
        for (ImageSummary image : images) {
            out.printf("%-50s %-19s %10s %-16s %-16s%n", image.reference(), shortDigest(image.manifestDigest()),
                    size(image.size()), time(image.pulledAt()), time(image.lastUsed()));
        }
        return 0;
    }

    private static int remove(List<String> references, PrintStream out, PrintStream err) {
        int status = 0;
        for (String reference : references) {
            if (Images.local().remove(reference)) {
                out.println("removed " + reference);
            } else {
                err.println("flint: no stored image " + reference + " (see flint images)");
                status = NOT_FOUND;
            }
        }
        return status;
    }

    private interface Action {
        int run();
    }

    private static int guarded(PrintStream err, Action action) {
        try {
            return action.run();
        } catch (ImageException e) {
            err.println("flint: " + e.getMessage());
            return exitCode(e);
        } catch (FlintException e) {
            err.println("flint: " + e.getMessage());
            return ExitCodes.of(e);
        }
    }

    static int exitCode(ImageException e) {
        return switch (e) {
            case InvalidReferenceException r -> ExitCodes.USAGE;
            case ImageNotFoundException n -> NOT_FOUND;
            case ImageStoreFullException f -> STORE_FULL;
            default -> REGISTRY;
        };
    }

    /** Validates a reference as the CLI reads it, so a typo is exit 2 before anything else happens. */
    static String reference(String text) throws UsageException {
        try {
            return ImageReference.parse(text).canonical();
        } catch (InvalidReferenceException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static PullPolicy pullPolicy(String text) throws UsageException {
        try {
            return PullPolicy.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--pull must be always, missing or never, got '" + text + "'");
        }
    }

    private static String single(List<String> args, String problem) throws UsageException {
        if (args.size() != 1 || args.get(0).startsWith("-")) {
            throw new UsageException(problem);
        }
        return args.get(0);
    }

    private static void noArguments(List<String> args, String command) throws UsageException {
        if (!args.isEmpty()) {
            throw new UsageException(command + " takes no arguments, got " + args);
        }
    }

    private static String shortDigest(String digest) {
        return digest.length() > 19 ? digest.substring(0, 19) : digest;
    }

    private static String time(Instant instant) {
        return instant == null ? "-" : TIME.format(instant);
    }

    static String size(long bytes) {
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes < 1L << 30 ? String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024))
                : String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
