package dev.flint.image.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flint.image.tree.ImageTree;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parts of an OCI image config (image-spec config.md) that decide how a command runs, and
 * {@link #resolve}, which combines them with the caller's request by Docker's rules.
 *
 * @param env          {@code NAME=value} entries
 * @param entrypoint   empty when the image has none
 * @param cmd          empty when the image has none
 * @param workingDir   "" when unset
 * @param user         "" when unset (root)
 * @param exposedPorts like {@code 80/tcp}
 * @param diffIds      the uncompressed layers' digests, bottom first
 */
public record ImageConfig(List<String> env, List<String> entrypoint, List<String> cmd, String workingDir,
                          String user, Set<String> exposedPorts, List<String> diffIds) {
    /** PATH when neither the image nor the caller sets one: Docker's default. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final ObjectMapper JSON = new ObjectMapper();

    public ImageConfig {
        env = List.copyOf(env);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        exposedPorts = Set.copyOf(exposedPorts);
        diffIds = List.copyOf(diffIds);
    }

    /**
     * This config without Entrypoint: for {@code docker exec}-style commands in an image, which
     * run the caller's argv as given, with the image's Env, WorkingDir and User.
     */
    public ImageConfig withoutEntrypoint() {
        return new ImageConfig(env, List.of(), cmd, workingDir, user, exposedPorts, diffIds);
    }

    /** Reads an image config blob; every field is optional except that it must be a JSON object. */
    public static ImageConfig parse(byte[] configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(configJson);
        } catch (JsonProcessingException e) {
            throw new InvalidImageConfigException("the image config is not valid JSON (" + e.getOriginalMessage()
                    + "); the image is corrupt, pull it again", e);
        } catch (IOException e) {
            throw new InvalidImageConfigException("cannot read the image config: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidImageConfigException("the image config is not a JSON object; the image is corrupt");
        }
        JsonNode config = root.path("config");
        Set<String> ports = new TreeSet<>();
        JsonNode exposed = config.path("ExposedPorts");
        if (exposed.isObject()) {
            exposed.fieldNames().forEachRemaining(ports::add);
        }
        return new ImageConfig(strings(config, "Env"), strings(config, "Entrypoint"), strings(config, "Cmd"),
                text(config, "WorkingDir"), text(config, "User"), ports, strings(root.path("rootfs"), "diff_ids"));
    }

    private static List<String> strings(JsonNode parent, String field) {
        JsonNode node = parent.path(field);
        if (node.isMissingNode() || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new InvalidImageConfigException("the image config's " + field + " is not a list of strings");
        }
        List<String> values = new ArrayList<>();
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            JsonNode element = it.next();
            if (!element.isTextual()) {
                throw new InvalidImageConfigException("the image config's " + field + " holds " + element
                        + ", which is not a string");
            }
            values.add(element.asText());
        }
        return values;
    }

    private static String text(JsonNode parent, String field) {
        JsonNode node = parent.path(field);
        if (node.isMissingNode() || node.isNull()) {
            return "";
        }
        if (!node.isTextual()) {
            throw new InvalidImageConfigException("the image config's " + field + " is not a string");
        }
        return node.asText();
    }

    /**
     * The command {@code request} runs in an image with this config and file {@code tree}:
     * the caller's argv replaces Cmd and follows the Entrypoint; the caller's env wins over the
     * image's by name; the caller's workdir and user win over WorkingDir and User (default "/"
     * and root); the user is resolved in the image's own /etc/passwd and /etc/group; HOME comes
     * from passwd and PATH gets Docker's default when nobody sets them.
     */
    public ResolvedCommand resolve(RunRequest request, ImageTree tree) {
        List<String> argv = new ArrayList<>(entrypoint);
        argv.addAll(request.argv().isEmpty() ? cmd : request.argv());
        if (argv.isEmpty()) {
            throw new InvalidImageConfigException("the image has no Entrypoint or Cmd and no command was given;"
                    + " pass the program to run");
        }
        if (argv.getFirst().isEmpty()) {
            throw new InvalidImageConfigException("the command's program name is empty; pass the program to run");
        }
        String workdir = workdir(request);
        String userSpec = request.user() != null && !request.user().isBlank() ? request.user().strip()
                : !user.isBlank() ? user.strip() : "0";
        UserDatabase.Identity identity = UserDatabase.of(tree).resolve(userSpec);
        Map<String, String> variables = new LinkedHashMap<>();
        for (String entry : env) {
            int equals = entry.indexOf('=');
            variables.put(equals < 0 ? entry : entry.substring(0, equals), entry);
        }
        for (Map.Entry<String, String> entry : request.env().entrySet()) {
            if (entry.getKey().isEmpty() || entry.getKey().indexOf('=') >= 0 || entry.getKey().indexOf('\0') >= 0) {
                throw new InvalidImageConfigException("environment variable name '" + entry.getKey()
                        + "' is empty or holds '=' or NUL; use a plain name");
            }
            variables.put(entry.getKey(), entry.getKey() + "=" + entry.getValue());
        }
        variables.putIfAbsent("PATH", "PATH=" + DEFAULT_PATH);
        variables.putIfAbsent("HOME", "HOME=" + (identity.home() != null ? identity.home() : "/"));
        return new ResolvedCommand(argv, List.copyOf(variables.values()), workdir, identity.uid(), identity.gid(),
                identity.groups());
    }

    private String workdir(RunRequest request) {
        if (request.workdir() != null) {
            if (!request.workdir().startsWith("/")) {
                throw new InvalidImageConfigException("working directory '" + request.workdir()
                        + "' is not absolute; give a path starting with /");
            }
            return request.workdir();
        }
        if (workingDir.isBlank()) {
            return "/";
        }
        return workingDir.startsWith("/") ? workingDir : "/" + workingDir;
    }
}
