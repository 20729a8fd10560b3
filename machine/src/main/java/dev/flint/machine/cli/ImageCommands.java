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

import dev.flint.machine.wire.ImageJson;
import dev.flint.machine.wire.MachineJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code flint pull|images|rmi|prune|load}: the host's OCI image store under {@code $FLINT_HOME/images}; one nested class each. */
final class ImageCommands {
    static final int NOT_FOUND = 5;
    static final int REGISTRY = 7;
    static final int STORE_FULL = 8;

    private static final String EXIT_TEXT = "Exit status: 0 done; 2 bad arguments or a bad reference; 5 no such image"
            + " (unknown repository or tag, or not in the store); 7 the registry refused, failed or sent bad content"
            + " (denied, unreachable, no linux/amd64, digest mismatch); 8 the image store's disk is full.";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    private ImageCommands() {
    }

    @Command(name = "pull", description = {"pull an image from a registry: flint pull python:3.12", "",
            "Pulls OCI image REF (python:3.12, docker.io/library/alpine:3.20, localhost:5000/app:1, name@sha256:...)"
                    + " into the store under $FLINT_HOME/images, with progress per layer on stderr. Layers already"
                    + " stored are not downloaded again; an image already stored is not asked for again unless"
                    + " --always. Plain-HTTP registries must be listed in FLINT_INSECURE_REGISTRIES (host:port,...);"
                    + " credentials come from ~/.docker/config.json."}, footer = EXIT_TEXT)
    static final class Pull implements FlintCommand {
        @Option(names = "--always", description = "ask the registry even when the image is stored")
        private boolean always;
        @Parameters(paramLabel = "REF", description = "the image reference")
        private List<String> references = new ArrayList<>();
        private final CliContext context;

        Pull(CliContext context) {
            this.context = context;
        }

        @Override
        public int run() throws UsageException {
            if (references.size() != 1) {
                throw new UsageException("pull needs one image reference, e.g. flint pull python:3.12");
            }
            return pull(references.get(0), always ? PullPolicy.ALWAYS : PullPolicy.MISSING, context.err(), context.out());
        }
    }

    @Command(name = "images", description = {"list the stored images", "",
            "Lists the stored images: reference, manifest digest, size, pulled and last used; a table, or JSON with"
                    + " --json."}, footer = EXIT_TEXT)
    static final class ListImages implements FlintCommand {
        @Option(names = "--json", description = "print JSON: {\"images\": [...]}, as GET /v1/images answers")
        private boolean json;
        private final CliContext context;

        ListImages(CliContext context) {
            this.context = context;
        }

        @Override
        public int run() {
            return guarded(context.err(), () -> json ? listJson(context.out()) : list(context.out()));
        }
    }

    @Command(name = "rmi", description = {"forget stored images; prune frees their layers", "",
            "Forgets the stored references; their layers are freed by 'flint prune'."}, footer = EXIT_TEXT)
    static final class Remove implements FlintCommand {
        @Parameters(paramLabel = "REF", description = "the stored references to forget")
        private List<String> references = new ArrayList<>();
        private final CliContext context;

        Remove(CliContext context) {
            this.context = context;
        }

        @Override
        public int run() throws UsageException {
            if (references.isEmpty()) {
                throw new UsageException("rmi needs at least one image reference");
            }
            for (String reference : references) {
                reference(reference);
            }
            return guarded(context.err(), () -> remove(references, context.out(), context.err()));
        }
    }

    @Command(name = "prune", description = {"free every blob and layer no stored image needs", "",
            "Frees every blob and layer that no stored reference needs, and says how much."}, footer = EXIT_TEXT)
    static final class Prune implements FlintCommand {
        private final CliContext context;

        Prune(CliContext context) {
            this.context = context;
        }

        @Override
        public int run() {
            return guarded(context.err(), () -> {
                PruneResult result = Images.local().prune();
                context.out().printf("flint: freed %s in %d blobs and layers%n", size(result.bytesFreed()),
                        result.blobsRemoved());
                return 0;
            });
        }
    }

    @Command(name = "load", description = {"load a 'docker save' archive or an OCI layout: flint load image.tar", "",
            "Loads an image from a 'docker save' archive (FILE) or an OCI image layout (DIR) into the store, no registry"
                    + " needed, under the references the archive names."}, footer = EXIT_TEXT)
    static final class Load implements FlintCommand {
        @Parameters(paramLabel = "FILE|DIR", arity = "1", description = "the archive or the layout directory")
        private Path source;
        private final CliContext context;

        Load(CliContext context) {
            this.context = context;
        }

        @Override
        public int run() throws UsageException {
            if (!Files.exists(source)) {
                throw new UsageException("load " + source + ": no such file or directory");
            }
            return guarded(context.err(), () -> {
                for (ImageSummary image : Images.local().load(source, new PullProgress(context.err()))) {
                    context.out().println("loaded " + image.reference() + " " + image.manifestDigest());
                }
                return 0;
            });
        }
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

    private static int listJson(PrintStream out) {
        out.println(MachineJson.write(ImageJson.summaries(Images.local().list())));
        return 0;
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
