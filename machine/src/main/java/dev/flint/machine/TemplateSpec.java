package dev.flint.machine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Template#build} boots and sets up once: the root (an OCI image, or Flint's own),
 * the resources, the machine-wide env, and the setup commands (each an argv, run in order; each
 * must exit 0). {@code diskMb} is fixed here: machines made from the template have this disk.
 *
 * <pre>{@code
 * TemplateSpec spec = TemplateSpec.builder()
 *         .image("python:3.12").memoryMb(512).diskMb(1024)
 *         .setupShell("pip install requests")
 *         .build();
 * Template.build("py", spec);     // boots, sets up, snapshots "template-py"
 * }</pre>
 */
public record TemplateSpec(Optional<String> image, int cpus, int memoryMb, int diskMb, Map<String, String> env,
                           List<List<String>> setup) {
    /** The most setup commands a template runs. */
    public static final int MAX_SETUP = 64;

    /** Copies the collections: the record is immutable. */
    public TemplateSpec {
        env = Map.copyOf(env);
        setup = setup.stream().map(List::copyOf).toList();
    }

    /** A builder with the defaults: 1 vCPU, 256 MiB, no disk, Flint's root, no setup. */
    public static Builder builder() {
        return new Builder();
    }

    /** The config of a machine named {@code name} booted cold from this spec, validated by {@link MachineConfig.Builder}. */
    MachineConfig machineConfig(String name, MachineConfig.Builder base) {
        base.name(name).cpus(cpus).memoryMb(memoryMb).diskMb(diskMb);
        image.ifPresent(base::image);
        env.forEach(base::env);
        return base.build();
    }

    /** Builder; defaults as {@link MachineConfig.Builder}'s: 1 vCPU, 256 MiB, no disk, Flint's root. */
    public static final class Builder {
        private String image;
        private int cpus = 1;
        private int memoryMb = 256;
        private int diskMb;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<List<String>> setup = new ArrayList<>();

        private Builder() {
        }

        /** Boots this OCI image as the template's root ({@link MachineConfig.Builder#image}). */
        public Builder image(String image) {
            this.image = image;
            return this;
        }

        /** The number of vCPUs of the template's machines; default 1. */
        public Builder cpus(int cpus) {
            this.cpus = cpus;
            return this;
        }

        /** The memory of the template's machines in MiB; default 256. */
        public Builder memoryMb(int memoryMb) {
            this.memoryMb = memoryMb;
            return this;
        }

        /** The disk of the template and of every machine made from it (0: root in memory). */
        public Builder diskMb(int diskMb) {
            this.diskMb = diskMb;
            return this;
        }

        /** Sets variable {@code key} of the template's machine-wide env (a create's env goes over it). */
        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        /** Adds a setup command (an argv, run after the ones added before; it must exit 0). */
        public Builder setup(List<String> argv) {
            Objects.requireNonNull(argv, "argv");
            if (argv.isEmpty() || argv.stream().anyMatch(a -> a == null)) {
                throw new InvalidConfigException("a setup command needs a program and no null arguments, got " + argv);
            }
            setup.add(List.copyOf(argv));
            return this;
        }

        /** Adds a setup command given as a shell line, run with {@code /bin/sh -c}. */
        public Builder setupShell(String line) {
            return setup(List.of("/bin/sh", "-c", Objects.requireNonNull(line, "line")));
        }

        /** Checks the spec as a machine config would be checked. */
        public TemplateSpec build() {
            if (setup.size() > MAX_SETUP) {
                throw new InvalidConfigException("at most " + MAX_SETUP + " setup commands, got " + setup.size());
            }
            TemplateSpec spec = new TemplateSpec(Optional.ofNullable(image), cpus, memoryMb, diskMb, env, setup);
            spec.machineConfig("template-check", MachineConfig.builder().network(NetworkPolicy.none()));
            return spec;
        }
    }
}
