package dev.flint.machine.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.image.PullPolicy;
import dev.flint.machine.RunOptions;
import dev.flint.machine.ExecOptions;
import dev.flint.machine.FileInfo;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.MachineConfig;
import dev.flint.machine.MachineInfo;
import dev.flint.machine.MachineMetrics;
import dev.flint.machine.MachinePage;
import dev.flint.machine.MachineState;
import dev.flint.machine.MountSpec;
import dev.flint.machine.TimeoutAction;
import dev.flint.machine.SnapshotInfo;
import dev.flint.machine.NetworkPolicy;
import dev.flint.machine.PortSpec;
import dev.flint.machine.WarmPoolMode;
import dev.flint.machine.TemplateInfo;
import dev.flint.machine.TemplateSpec;
import dev.flint.machine.WarmPoolInfo;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The JSON of machine configs, infos, metrics and exec requests, as the server, the remote
 * client and the state store write it (docs in openapi.yaml). Written field by field through
 * Jackson's tree model rather than by reflection, so the wire format is visible here and a
 * renamed Java component never changes it. Reading goes through the validating builders, and an
 * unknown field is an error (a typo must not be ignored silently).
 */
public final class MachineJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> CONFIG_FIELDS = Set.of("name", "cpus", "memoryMb", "env", "bootTimeoutMs",
            "kernel", "initrd", "bootArgs", "vsockSocket", "disks", "diskMb", "mounts", "rootfs", "image", "retainDisk",
            "network", "ports", "workdir", "metadata", "timeoutMs", "start", "onTimeout", "snapshot", "template");
    private static final Set<String> EXEC_FIELDS = Set.of("argv", "env", "workdir", "stdin", "timeoutMs");
    private static final Set<String> RUN_FIELDS = Set.of("image", "argv", "env", "workdir", "user", "stdin", "timeoutMs",
            "pull");

    private MachineJson() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static JsonNode parse(String text, String what) {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || !node.isObject()) {
                throw new InvalidConfigException(what + " must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    // --- config ----------------------------------------------------------------------------------

    public static ObjectNode config(MachineConfig config) {
        ObjectNode json = object();
        json.put("name", config.name());
        json.put("cpus", config.cpus());
        json.put("memoryMb", config.memoryMb());
        json.set("env", stringMap(config.env()));
        json.put("bootTimeoutMs", config.bootTimeout().toMillis());
        config.kernel().ifPresent(p -> json.put("kernel", p.toString()));
        config.initrd().ifPresent(p -> json.put("initrd", p.toString()));
        json.put("bootArgs", config.bootArgs());
        config.vsockSocket().ifPresent(p -> json.put("vsockSocket", p.toString()));
        ArrayNode disks = json.putArray("disks");
        config.disks().forEach(d -> disks.addObject().put("image", d.image().toString()).put("readOnly", d.readOnly()));
        json.put("diskMb", config.diskMb());
        json.set("mounts", mounts(config.mounts()));
        config.rootfs().ifPresent(p -> json.put("rootfs", p.toString()));
        json.put("retainDisk", config.retainDisk());
        ObjectNode network = json.putObject("network");
        network.put("enabled", config.network().enabled());
        network.put("egress", config.network().egress().name().toLowerCase(Locale.ROOT));
        ArrayNode cidrs = network.putArray("allowedCidrs");
        config.network().allowedCidrs().forEach(cidrs::add);
        config.network().tap().ifPresent(t -> network.put("tap", t));
        json.set("ports", ports(config.ports()));
        config.workdir().ifPresent(w -> json.put("workdir", w));
        json.set("metadata", stringMap(config.metadata()));
        config.timeout().ifPresent(t -> json.put("timeoutMs", t.toMillis()));
        json.put("start", config.startOnCreate());
        config.image().ifPresent(i -> json.put("image", i));
        json.put("onTimeout", config.onTimeout().name().toLowerCase(Locale.ROOT));
        config.snapshot().ifPresent(n -> json.put("snapshot", n));
        config.template().ifPresent(t -> {
            ObjectNode template = json.putObject("template").put("name", t.name());
            t.pool().ifPresent(p -> template.put("pool", p).put("mode", t.mode().name().toLowerCase(Locale.ROOT))
                    .put("waitMs", t.poolWait().toMillis()));
        });
        return json;
    }

    /** A config from its JSON; every rule of {@link MachineConfig.Builder#build()} applies. */
    public static MachineConfig config(JsonNode json) {
        requireObject(json, "machine config");
        rejectUnknown(json, CONFIG_FIELDS, "machine config");
        MachineConfig.Builder config = MachineConfig.builder();
        text(json, "name").ifPresent(config::name);
        integer(json, "cpus").ifPresent(config::cpus);
        integer(json, "memoryMb").ifPresent(config::memoryMb);
        stringMap(json, "env").forEach(config::env);
        millis(json, "bootTimeoutMs").ifPresent(config::bootTimeout);
        text(json, "kernel").map(Path::of).ifPresent(config::kernel);
        text(json, "initrd").map(Path::of).ifPresent(config::initrd);
        text(json, "bootArgs").ifPresent(config::bootArgs);
        text(json, "vsockSocket").map(Path::of).ifPresent(config::vsockSocket);
        for (JsonNode disk : array(json, "disks")) {
            config.disk(Path.of(text(disk, "image").orElseThrow(() -> missing("disks[].image"))),
                    bool(disk, "readOnly").orElse(false));
        }
        integer(json, "diskMb").ifPresent(config::diskMb);
        for (JsonNode mount : array(json, "mounts")) {
            config.mount(new MountSpec(Path.of(text(mount, "source").orElseThrow(() -> missing("mounts[].source"))),
                    text(mount, "target").orElseThrow(() -> missing("mounts[].target")), bool(mount, "readOnly").orElse(false)));
        }
        text(json, "rootfs").map(Path::of).ifPresent(config::rootfs);
        text(json, "image").ifPresent(config::image);
        bool(json, "retainDisk").ifPresent(config::retainDisk);
        if (json.has("network")) {
            config.network(network(json.get("network")));
        }
        for (JsonNode port : array(json, "ports")) {
            rejectUnknown(port, Set.of("hostPort", "guestPort", "protocol", "hostAddress"), "ports[]");
            config.port(new PortSpec(integer(port, "hostPort").orElse(0),
                    integer(port, "guestPort").orElseThrow(() -> missing("ports[].guestPort")),
                    enumValue(PortSpec.Protocol.class, text(port, "protocol").orElse("tcp"), "ports[].protocol"),
                    text(port, "hostAddress").orElse("127.0.0.1")));
        }
        text(json, "workdir").ifPresent(config::workdir);
        stringMap(json, "metadata").forEach(config::metadata);
        millis(json, "timeoutMs").ifPresent(config::timeout);
        bool(json, "start").ifPresent(config::start);
        text(json, "onTimeout").ifPresent(a -> config.onTimeout(enumValue(TimeoutAction.class, a, "onTimeout")));
        text(json, "snapshot").ifPresent(config::fromSnapshot);
        if (json.has("template")) {
            JsonNode template = json.get("template");
            requireObject(template, "template");
            rejectUnknown(template, Set.of("name", "pool", "mode", "waitMs"), "template");
            config.template(text(template, "name").orElseThrow(() -> missing("template.name")));
            text(template, "pool").ifPresent(pool -> config.warmPool(pool,
                    enumValue(WarmPoolMode.class, text(template, "mode").orElse("prefer"), "template.mode"),
                    millis(template, "waitMs").orElse(Duration.ZERO)));
        }
        return config.build();
    }

    private static NetworkPolicy network(JsonNode json) {
        requireObject(json, "network");
        rejectUnknown(json, Set.of("enabled", "egress", "allowedCidrs", "tap"), "network");
        boolean enabled = bool(json, "enabled").orElse(true);
        NetworkPolicy.Egress egress = enumValue(NetworkPolicy.Egress.class, text(json, "egress").orElse("allow_all"),
                "network.egress");
        List<String> cidrs = new ArrayList<>();
        array(json, "allowedCidrs").forEach(c -> cidrs.add(c.asText()));
        return new NetworkPolicy(enabled, egress, cidrs, text(json, "tap"));
    }

    // --- info, page, metrics ---------------------------------------------------------------------

    /** A machine's info, with its config unless {@code config} is null (lists leave it out). */
    public static ObjectNode info(MachineInfo info, MachineConfig config) {
        ObjectNode json = object();
        json.put("id", info.id());
        json.put("name", info.name());
        json.put("state", state(info.state()));
        json.put("cpus", info.cpus());
        json.put("memoryMb", info.memoryMb());
        json.put("diskMb", info.diskMb());
        json.set("mounts", mounts(info.mounts()));
        info.address().ifPresentOrElse(a -> json.put("address", a), () -> json.putNull("address"));
        json.set("ports", ports(info.ports()));
        json.set("metadata", stringMap(info.metadata()));
        json.put("createdAt", info.createdAt().toString());
        info.startedAt().ifPresentOrElse(t -> json.put("startedAt", t.toString()), () -> json.putNull("startedAt"));
        info.bootDuration().ifPresentOrElse(d -> json.put("bootMs", d.toMillis()), () -> json.putNull("bootMs"));
        info.lastStopReason().ifPresentOrElse(r -> json.put("lastStopReason", r), () -> json.putNull("lastStopReason"));
        json.put("crashed", info.crashed());
        if (config != null) {
            json.set("config", config(config));
        }
        return json;
    }

    public static MachineInfo info(JsonNode json) {
        List<MountSpec> mounts = new ArrayList<>();
        for (JsonNode mount : array(json, "mounts")) {
            MountSpec spec = mountOf(mount);
            if (spec != null) {
                mounts.add(spec);
            }
        }
        List<PortSpec> ports = new ArrayList<>();
        for (JsonNode port : array(json, "ports")) {
            ports.add(portOf(port));
        }
        return new MachineInfo(json.path("name").asText(), state(json.path("state").asText()), json.path("cpus").asInt(),
                json.path("memoryMb").asInt(), json.path("diskMb").asInt(), mounts, text(json, "address"), ports,
                stringMap(json, "metadata"), instant(json.path("createdAt").asText(), "createdAt"),
                text(json, "startedAt").map(at -> instant(at, "startedAt")), optionalLong(json, "bootMs").map(Duration::ofMillis),
                text(json, "lastStopReason"), json.path("id").asText());
    }

    /**
     * A mount as a server reports it, or null when its source is not a directory where this
     * client runs: {@link MountSpec} checks the host directory on construction, and the server's
     * host may not be this one. (A server on this host, the default, always reports them all.)
     */
    private static MountSpec mountOf(JsonNode mount) {
        try {
            return new MountSpec(Path.of(mount.path("source").asText()), mount.path("target").asText(),
                    mount.path("readOnly").asBoolean());
        } catch (InvalidConfigException e) {
            return null;
        }
    }

    /**
     * A config as a server or the store reports it, built without the builder's checks of this
     * host (files present, CPUs available, the vsock socket path still free): they were checked
     * where the machine was created, and a running machine's socket exists by design.
     */
    public static MachineConfig reportedConfig(JsonNode json) {
        requireObject(json, "machine config");
        List<dev.flint.machine.DiskSpec> disks = new ArrayList<>();
        for (JsonNode disk : array(json, "disks")) {
            disks.add(new dev.flint.machine.DiskSpec(Path.of(disk.path("image").asText()), disk.path("readOnly").asBoolean()));
        }
        List<MountSpec> mounts = new ArrayList<>();
        for (JsonNode mount : array(json, "mounts")) {
            MountSpec spec = mountOf(mount);
            if (spec != null) {
                mounts.add(spec);
            }
        }
        List<PortSpec> ports = new ArrayList<>();
        for (JsonNode port : array(json, "ports")) {
            ports.add(portOf(port));
        }
        NetworkPolicy network = json.has("network") ? network(json.get("network")) : NetworkPolicy.allowAll();
        return new MachineConfig(json.path("name").asText(), json.path("cpus").asInt(1), json.path("memoryMb").asInt(256),
                stringMap(json, "env"), millis(json, "bootTimeoutMs").orElse(Duration.ofSeconds(60)),
                text(json, "kernel").map(Path::of), text(json, "initrd").map(Path::of), text(json, "bootArgs").orElse(""),
                text(json, "vsockSocket").map(Path::of), disks, json.path("diskMb").asInt(), mounts,
                text(json, "rootfs").map(Path::of), json.path("retainDisk").asBoolean(), network, ports,
                text(json, "workdir"), stringMap(json, "metadata"), millis(json, "timeoutMs"),
                json.path("start").asBoolean(true), text(json, "image"),
                enumValue(TimeoutAction.class, json.path("onTimeout").asText("stop"), "onTimeout"), text(json, "snapshot"),
                Optional.empty());
    }

    private static PortSpec portOf(JsonNode port) {
        return new PortSpec(port.path("hostPort").asInt(), port.path("guestPort").asInt(),
                enumValue(PortSpec.Protocol.class, port.path("protocol").asText("tcp"), "protocol"),
                port.path("hostAddress").asText("127.0.0.1"));
    }

    public static ObjectNode page(List<ObjectNode> machines, Optional<String> nextCursor) {
        ObjectNode json = object();
        ArrayNode array = json.putArray("machines");
        machines.forEach(array::add);
        nextCursor.ifPresentOrElse(c -> json.put("nextCursor", c), () -> json.putNull("nextCursor"));
        return json;
    }

    public static MachinePage page(JsonNode json) {
        List<MachineInfo> machines = new ArrayList<>();
        for (JsonNode machine : array(json, "machines")) {
            machines.add(info(machine));
        }
        return new MachinePage(machines, text(json, "nextCursor"));
    }

    // --- templates and warm pools ----------------------------------------------------------------

    public static ObjectNode templateSpec(TemplateSpec spec) {
        ObjectNode json = object().put("cpus", spec.cpus()).put("memoryMb", spec.memoryMb()).put("diskMb", spec.diskMb());
        spec.image().ifPresent(i -> json.put("image", i));
        json.set("env", stringMap(spec.env()));
        ArrayNode setup = json.putArray("setup");
        for (List<String> argv : spec.setup()) {
            ArrayNode command = setup.addArray();
            argv.forEach(command::add);
        }
        return json;
    }

    /** A spec from its JSON, checked as {@link TemplateSpec.Builder#build()} checks it. */
    public static TemplateSpec templateSpec(JsonNode json) {
        requireObject(json, "template spec");
        rejectUnknown(json, Set.of("image", "cpus", "memoryMb", "diskMb", "env", "setup"), "template spec");
        TemplateSpec.Builder spec = TemplateSpec.builder();
        text(json, "image").ifPresent(spec::image);
        integer(json, "cpus").ifPresent(spec::cpus);
        integer(json, "memoryMb").ifPresent(spec::memoryMb);
        integer(json, "diskMb").ifPresent(spec::diskMb);
        stringMap(json, "env").forEach(spec::env);
        for (JsonNode command : array(json, "setup")) {
            if (!command.isArray()) {
                throw new InvalidConfigException("template spec: each setup command is an array of strings (an argv)");
            }
            List<String> argv = new ArrayList<>();
            for (JsonNode arg : command) {
                if (!arg.isTextual()) {
                    throw new InvalidConfigException("template spec: setup arguments must be strings, got " + arg);
                }
                argv.add(arg.asText());
            }
            spec.setup(argv);
        }
        return spec.build();
    }

    public static ObjectNode template(TemplateInfo template) {
        ObjectNode json = object().put("name", template.name()).put("createdAt", template.createdAt().toString())
                .put("snapshot", template.snapshot());
        json.set("spec", templateSpec(template.spec()));
        return json;
    }

    public static TemplateInfo template(JsonNode json) {
        return new TemplateInfo(json.path("name").asText(), templateSpec(json.path("spec")),
                Instant.parse(json.path("createdAt").asText()), json.path("snapshot").asBoolean());
    }

    public static ObjectNode templates(List<TemplateInfo> templates) {
        ObjectNode json = object();
        ArrayNode array = json.putArray("templates");
        templates.forEach(t -> array.add(template(t)));
        return json;
    }

    public static List<TemplateInfo> templates(JsonNode json) {
        List<TemplateInfo> templates = new ArrayList<>();
        for (JsonNode template : array(json, "templates")) {
            templates.add(template(template));
        }
        return templates;
    }

    public static ObjectNode pool(WarmPoolInfo pool) {
        return object().put("name", pool.name()).put("template", pool.template()).put("size", pool.size())
                .put("ready", pool.ready());
    }

    public static ObjectNode pools(List<WarmPoolInfo> pools) {
        ObjectNode json = object();
        ArrayNode array = json.putArray("pools");
        pools.forEach(p -> array.add(pool(p)));
        return json;
    }

    public static List<WarmPoolInfo> pools(JsonNode json) {
        List<WarmPoolInfo> pools = new ArrayList<>();
        for (JsonNode pool : array(json, "pools")) {
            pools.add(pool(pool));
        }
        return pools;
    }

    public static WarmPoolInfo pool(JsonNode pool) {
        return new WarmPoolInfo(pool.path("name").asText(), pool.path("template").asText(), pool.path("size").asInt(),
                pool.path("ready").asInt());
    }

    // --- snapshots -------------------------------------------------------------------------------

    public static ObjectNode snapshot(SnapshotInfo snapshot) {
        return object().put("name", snapshot.name()).put("source", snapshot.source())
                .put("createdAt", snapshot.createdAt().toString()).put("cpus", snapshot.cpus())
                .put("memoryMb", snapshot.memoryMb()).put("diskMb", snapshot.diskMb());
    }

    public static ObjectNode snapshots(List<SnapshotInfo> snapshots) {
        ObjectNode json = object();
        ArrayNode array = json.putArray("snapshots");
        snapshots.forEach(s -> array.add(snapshot(s)));
        return json;
    }

    public static List<SnapshotInfo> snapshots(JsonNode json) {
        List<SnapshotInfo> snapshots = new ArrayList<>();
        for (JsonNode s : array(json, "snapshots")) {
            snapshots.add(new SnapshotInfo(s.path("name").asText(), s.path("source").asText(),
                    instant(s.path("createdAt").asText(), "createdAt"), s.path("cpus").asInt(), s.path("memoryMb").asInt(),
                    s.path("diskMb").asInt()));
        }
        return snapshots;
    }

    public static ObjectNode metrics(MachineMetrics m) {
        ObjectNode json = object();
        json.put("vcpuTimeMs", m.vcpuTime().toMillis());
        json.put("guestMemoryResidentBytes", m.guestMemoryResidentBytes());
        json.put("vmExits", m.vmExits());
        json.put("vsockBytesToGuest", m.vsockBytesToGuest());
        json.put("vsockBytesFromGuest", m.vsockBytesFromGuest());
        json.put("diskBytesRead", m.diskBytesRead());
        json.put("diskBytesWritten", m.diskBytesWritten());
        json.put("netFramesToGuest", m.netFramesToGuest());
        json.put("netFramesFromGuest", m.netFramesFromGuest());
        json.put("netFramesDenied", m.netFramesDenied());
        return json;
    }

    public static MachineMetrics metrics(JsonNode json) {
        return new MachineMetrics(Duration.ofMillis(json.path("vcpuTimeMs").asLong()),
                json.path("guestMemoryResidentBytes").asLong(), json.path("vmExits").asLong(),
                json.path("vsockBytesToGuest").asLong(), json.path("vsockBytesFromGuest").asLong(),
                json.path("diskBytesRead").asLong(), json.path("diskBytesWritten").asLong(),
                json.path("netFramesToGuest").asLong(), json.path("netFramesFromGuest").asLong(),
                json.path("netFramesDenied").asLong());
    }

    // --- exec ------------------------------------------------------------------------------------

    /** An exec request: the command and its options. */
    public record ExecCall(List<String> argv, ExecOptions options) {
    }

    public static ObjectNode exec(List<String> argv, ExecOptions options) {
        ObjectNode json = object();
        ArrayNode array = json.putArray("argv");
        argv.forEach(array::add);
        json.set("env", stringMap(options.env()));
        options.workdir().ifPresent(w -> json.put("workdir", w));
        options.stdin().ifPresent(s -> json.put("stdin", Base64.getEncoder().encodeToString(s)));
        options.timeout().ifPresent(t -> json.put("timeoutMs", t.toMillis()));
        return json;
    }

    public static ExecCall exec(JsonNode json) {
        requireObject(json, "exec request");
        rejectUnknown(json, EXEC_FIELDS, "exec request");
        List<String> argv = new ArrayList<>();
        for (JsonNode arg : array(json, "argv")) {
            if (!arg.isTextual()) {
                throw new InvalidConfigException("exec request: argv must be an array of strings");
            }
            argv.add(arg.asText());
        }
        ExecOptions.Builder options = ExecOptions.builder();
        options.env(stringMap(json, "env"));
        text(json, "workdir").ifPresent(options::workdir);
        if (json.hasNonNull("stdin")) {
            try {
                options.stdin(Base64.getDecoder().decode(json.get("stdin").asText()));
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException("exec request: stdin must be base64");
            }
        }
        millis(json, "timeoutMs").ifPresent(options::timeout);
        return new ExecCall(argv, options.build());
    }

    /** A run request: a command in an OCI image, and its options. */
    public record RunCall(String image, List<String> argv, RunOptions options) {
    }

    public static ObjectNode run(String image, List<String> argv, RunOptions options) {
        ObjectNode json = object().put("image", image);
        ArrayNode array = json.putArray("argv");
        argv.forEach(array::add);
        json.set("env", stringMap(options.env()));
        options.workdir().ifPresent(w -> json.put("workdir", w));
        options.user().ifPresent(u -> json.put("user", u));
        options.stdin().ifPresent(s -> json.put("stdin", Base64.getEncoder().encodeToString(s)));
        options.timeout().ifPresent(t -> json.put("timeoutMs", t.toMillis()));
        json.put("pull", options.pull().name().toLowerCase(Locale.ROOT));
        return json;
    }

    public static RunCall run(JsonNode json) {
        requireObject(json, "run request");
        rejectUnknown(json, RUN_FIELDS, "run request");
        String image = text(json, "image").orElseThrow(() -> missing("image"));
        ObjectNode execPart = ((ObjectNode) json).deepCopy();
        execPart.remove(List.of("image", "user", "pull"));
        ExecCall exec = exec(execPart);
        RunOptions.Builder options = RunOptions.builder().exec(exec.options());
        text(json, "user").ifPresent(options::user);
        text(json, "pull").ifPresent(pull -> {
            try {
                options.pull(PullPolicy.valueOf(pull.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException("run request: pull must be always, missing or never, got '" + pull + "'");
            }
        });
        return new RunCall(image, exec.argv(), options.build());
    }

    // --- states ----------------------------------------------------------------------------------

    public static String state(MachineState state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    public static MachineState state(String text) {
        return enumValue(MachineState.class, text, "state");
    }

    // --- helpers ---------------------------------------------------------------------------------

    private static ArrayNode mounts(List<MountSpec> mounts) {
        ArrayNode array = MAPPER.createArrayNode();
        mounts.forEach(m -> array.addObject().put("source", m.source().toString()).put("target", m.target())
                .put("readOnly", m.readOnly()));
        return array;
    }

    private static ArrayNode ports(List<PortSpec> ports) {
        ArrayNode array = MAPPER.createArrayNode();
        ports.forEach(p -> array.addObject().put("hostPort", p.hostPort()).put("guestPort", p.guestPort())
                .put("protocol", p.protocol().name().toLowerCase(Locale.ROOT)).put("hostAddress", p.hostAddress()));
        return array;
    }

    /** A guest file, as stat and list answer it. */
    public static ObjectNode file(FileInfo file) {
        ObjectNode json = object().put("name", file.name()).put("type", file.type().name().toLowerCase())
                .put("mode", file.mode()).put("size", file.size()).put("modified", file.modified().toString());
        if (file.linkTarget() != null && !file.linkTarget().isEmpty()) {
            json.put("linkTarget", file.linkTarget());
        }
        return json;
    }

    public static FileInfo file(JsonNode json) {
        FileInfo.Type type;
        try {
            type = FileInfo.Type.valueOf(json.path("type").asText().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("a file's type must be file, directory, symlink or other, got "
                    + json.path("type"));
        }
        return new FileInfo(json.path("name").asText(), type, json.path("mode").asInt(), json.path("size").asLong(),
                instant(json.path("modified").asText(), "modified"), json.path("linkTarget").asText(""));
    }

    /** The {@code env} object of an env request or answer ({@code {"env": {"K": "V"}}}). */
    public static Map<String, String> env(JsonNode json) {
        return stringMap(json, "env");
    }

    /** An env request or answer. */
    public static ObjectNode env(Map<String, String> env) {
        ObjectNode json = object();
        json.set("env", stringMap(env));
        return json;
    }

    public static ObjectNode stringMap(Map<String, String> map) {
        ObjectNode json = object();
        map.forEach(json::put);
        return json;
    }

    private static Map<String, String> stringMap(JsonNode json, String field) {
        Map<String, String> map = new LinkedHashMap<>();
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return map;
        }
        if (!node.isObject()) {
            throw new InvalidConfigException(field + " must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isTextual()) {
                throw new InvalidConfigException(field + "." + entry.getKey() + " must be a string");
            }
            map.put(entry.getKey(), entry.getValue().asText());
        }
        return map;
    }

    private static void requireObject(JsonNode json, String what) {
        if (json == null || !json.isObject()) {
            throw new InvalidConfigException(what + " must be a JSON object");
        }
    }

    private static void rejectUnknown(JsonNode json, Set<String> known, String what) {
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!known.contains(field)) {
                throw new InvalidConfigException(what + " has an unknown field '" + field + "'; known fields: "
                        + known.stream().sorted().toList());
            }
        }
    }

    private static Iterable<JsonNode> array(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new InvalidConfigException(field + " must be an array");
        }
        return node;
    }

    private static Optional<String> text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new InvalidConfigException(field + " must be a string");
        }
        return Optional.of(node.asText());
    }

    private static Optional<Integer> integer(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isInt()) {
            throw new InvalidConfigException(field + " must be a whole number, got " + node);
        }
        return Optional.of(node.asInt());
    }

    private static Optional<Long> optionalLong(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isIntegralNumber()) {
            throw new InvalidConfigException(field + " must be a whole number, got " + node);
        }
        return Optional.of(node.asLong());
    }

    private static Optional<Duration> millis(JsonNode json, String field) {
        return optionalLong(json, field).map(Duration::ofMillis);
    }

    private static Optional<Boolean> bool(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isBoolean()) {
            throw new InvalidConfigException(field + " must be true or false, got " + node);
        }
        return Optional.of(node.asBoolean());
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String text, String field) {
        for (E value : type.getEnumConstants()) {
            if (value.name().equalsIgnoreCase(text)) {
                return value;
            }
        }
        throw new InvalidConfigException(field + " must be one of "
                + java.util.Arrays.stream(type.getEnumConstants()).map(v -> v.name().toLowerCase(Locale.ROOT)).toList()
                + ", got '" + text + "'");
    }

    private static Instant instant(String text, String field) {
        try {
            return Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new InvalidConfigException(field + " must be an ISO-8601 instant (2026-01-31T12:00:00Z), got '"
                    + text + "'");
        }
    }

    private static InvalidConfigException missing(String field) {
        throw new InvalidConfigException(field + " is required");
    }
}
