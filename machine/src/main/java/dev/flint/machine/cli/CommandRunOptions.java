package dev.flint.machine.cli;

import dev.flint.image.PullPolicy;
import dev.flint.machine.ExecOptions;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.RunOptions;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How {@code flint run}, {@code exec} and {@code shell} run their command (a picocli mixin): its
 * environment, workdir and timeout, and the OCI image it may run in, checked into {@link RunOptions}.
 */
final class CommandRunOptions {
    @Option(names = "--env", paramLabel = "K=V", description = "environment variable for the command (repeatable)")
    private List<String> env = new ArrayList<>();
    @Option(names = "--workdir", paramLabel = "DIR",
            description = "working directory in the guest (absolute; default: the machine's workdir, else /)")
    private String workdir;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "kill the command after this long and exit 124")
    private Integer timeout;
    @Option(names = "--image", paramLabel = "REF", description = "run in OCI image REF (python:3.12, localhost:5000/app:1,"
            + " name@sha256:...) with a fresh writable layer, its config applying as in 'docker run'")
    private String image;
    @Option(names = "--user", paramLabel = "USER", description = "with --image: NAME, UID, UID:GID or NAME:GROUP of the image")
    private String user;
    @Option(names = "--pull", paramLabel = "POLICY", description = "with --image: missing (default), always, or never")
    private String pull;

    /** The image reference of {@code --image}, checked; empty without one. */
    Optional<String> image() throws UsageException {
        return image == null ? Optional.empty() : Optional.of(ImageCommands.reference(image));
    }

    /** The options as given, checked: an env pair without '=', a timeout out of range, --user without --image... */
    RunOptions runOptions() throws UsageException {
        PullPolicy policy = pull == null ? PullPolicy.MISSING : ImageCommands.pullPolicy(pull);
        try {
            ExecOptions.Builder exec = ExecOptions.builder();
            for (String pair : env) {
                String[] kv = OptionChecks.keyValue("--env", pair);
                exec.env(kv[0], kv[1]);
            }
            if (workdir != null) {
                exec.workdir(workdir);
            }
            if (timeout != null) {
                exec.timeout(Duration.ofSeconds(OptionChecks.between("--timeout", timeout, 1, 86_400)));
            }
            if (image == null && (user != null || policy != PullPolicy.MISSING)) {
                throw new UsageException("--user and --pull apply to --image; add --image REF");
            }
            RunOptions.Builder run = RunOptions.builder().exec(exec.build()).pull(policy);
            if (user != null) {
                run.user(user);
            }
            return run.build();
        } catch (InvalidConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
