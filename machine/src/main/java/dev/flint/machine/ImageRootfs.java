package dev.flint.machine;

import dev.flint.agent.ExecRequest;
import dev.flint.image.PulledImage;
import dev.flint.image.config.ImageConfig;
import dev.flint.image.config.InvalidImageConfigException;
import dev.flint.image.config.ResolvedCommand;
import dev.flint.image.config.RunRequest;
import dev.flint.image.tree.ImageTree;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One image as machines see it: its flattened tree, published on every machine's image share
 * under {@link #shareName()} (the guest sees it at {@code /.flint/images/NAME}), and its config,
 * which turns a caller's command into the process the agent starts in that root.
 */
record ImageRootfs(PulledImage image, ImageConfig config, ImageTree tree) {
    /** Where the agent finds the image share's trees in the guest. */
    static final String GUEST_IMAGES = "/.flint/images";

    /** The tree's name on the share: the manifest digest's first 24 hex digits, the same on every machine. */
    String shareName() {
        String digest = image.manifestDigest();
        return digest.substring(digest.indexOf(':') + 1, digest.indexOf(':') + 25);
    }

    /**
     * The agent's request for {@code argv} in this image. {@code entrypoint}: whether the image's
     * Entrypoint and Cmd apply (as {@code docker run}) or argv runs as given (as {@code docker exec}).
     * {@code upper}: the guest directory that keeps what the process writes, or empty for a fresh
     * layer that ends with the process.
     */
    ExecRequest request(List<String> argv, Map<String, String> machineEnv, RunOptions options, boolean entrypoint,
                        String upper) {
        Map<String, String> env = new LinkedHashMap<>(machineEnv);
        env.putAll(options.env());
        ResolvedCommand command;
        try {
            command = (entrypoint ? config : config.withoutEntrypoint())
                    .resolve(new RunRequest(argv, env, options.workdir().orElse(null), options.user().orElse(null)), tree);
        } catch (InvalidImageConfigException e) {
            throw new InvalidConfigException("image " + image.reference().canonical() + ": " + e.getMessage());
        }
        ExecRequest.Builder request = ExecRequest.builder(command.argv())
                .user(command.uid(), command.gid())
                .groups(command.groups())
                .workdir(command.workdir())
                .imageRoot(GUEST_IMAGES + "/" + shareName(), upper);
        for (String variable : command.env()) {
            int eq = variable.indexOf('=');
            if (eq > 0) {
                request.env(variable.substring(0, eq), variable.substring(eq + 1));
            }
        }
        options.stdin().ifPresent(request::stdin);
        options.timeout().ifPresent(request::timeout);
        return request.build();
    }
}
