package dev.flint.examples;

import dev.flint.image.ImageSummary;
import dev.flint.image.PullListener;
import dev.flint.machine.ExecResult;
import dev.flint.machine.Images;
import dev.flint.machine.Machine;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.NetworkPolicy;

import java.nio.file.Path;
import java.util.List;

/**
 * Loads an OCI image (an OCI layout directory or a {@code docker save} archive) into Flint's image
 * store and runs a command in it, in a fresh writable layer over the image's root. A registry
 * image works the same way: {@code m.run("python:3.12-alpine", ...)} pulls it first.
 *
 * <p>Usage: {@code Image PATH} (run.sh passes {@code $FLINT_EXAMPLE_IMAGE}).
 */
public final class Image {
    private Image() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: Image OCI-LAYOUT-OR-ARCHIVE (e.g. the output of 'docker save' or 'skopeo copy')");
            System.exit(2);
        }
        List<ImageSummary> loaded = Images.local().load(Path.of(args[0]), PullListener.NONE);
        String image = loaded.getFirst().reference();
        System.out.println("loaded " + loaded.size() + " image(s); running in " + image);

        MachineConfig config = MachineConfig.builder()
                .name("image-" + ProcessHandle.current().pid())
                .network(NetworkPolicy.none())
                .build();
        try (Machine m = Machine.create(config)) {
            ExecResult listing = m.run(image, List.of("sh", "-c", "echo in-the-image; ls /")).assertSuccess();
            System.out.print(listing.stdout());
            if (!listing.stdout().startsWith("in-the-image")) {
                throw new IllegalStateException("the command did not run in the image: " + listing.stdout());
            }
            // The machine's own root is untouched: the image ran in a layer of its own.
            ExecResult own = m.exec(List.of("sh", "-c", "test -e /bin/flint-agent && echo flint-root")).assertSuccess();
            if (!own.stdout().strip().equals("flint-root")) {
                throw new IllegalStateException("the machine's own root changed: " + own.stdout());
            }
        }
    }
}
