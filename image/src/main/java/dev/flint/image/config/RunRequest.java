package dev.flint.image.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the caller of {@code run(image, argv)} asked for, each part overriding the image config's.
 *
 * @param argv    the command; empty means the image's Entrypoint and Cmd
 * @param env     variables added to or replacing the image's Env, by name (iteration order kept)
 * @param workdir absolute directory to run in, or null for the image's WorkingDir
 * @param user    {@code name}, {@code uid}, {@code uid:gid}, {@code name:group} or
 *                {@code uid:group}, or null for the image's User
 */
public record RunRequest(List<String> argv, Map<String, String> env, String workdir, String user) {
    public RunRequest {
        argv = List.copyOf(argv);
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    /** Runs {@code argv} with everything else from the image. */
    public static RunRequest of(List<String> argv) {
        return new RunRequest(argv, Map.of(), null, null);
    }
}
