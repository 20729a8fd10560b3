package dev.flint.image.config;

import java.util.List;

/**
 * The one command the guest agent runs: what the image config and the caller's request come to
 * after Docker's rules.
 *
 * @param env    {@code NAME=value} entries, in order
 * @param groups every gid the process holds: the primary one first, then the supplementary ones
 */
public record ResolvedCommand(List<String> argv, List<String> env, String workdir, int uid, int gid,
                              List<Integer> groups) {
    public ResolvedCommand {
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        groups = List.copyOf(groups);
    }
}
