package dev.flint.machine;

import java.util.List;
import java.util.Objects;

/**
 * A machine set up once and saved, so that every machine made from it is a restore instead of a
 * boot. {@link #build} boots a machine from a {@link TemplateSpec}, runs its setup commands in
 * order (each must exit 0), snapshots it as the named snapshot {@code template-NAME}, and deletes
 * the build machine. {@code MachineConfig.builder().template(name)} then makes machines from it:
 * restored from that snapshot, or, when the snapshot is gone (deleted with {@link Snapshots#delete},
 * or the build never got that far) or cannot restore on this host (taken on another CPU vendor,
 * or by a Flint of another snapshot format), booted cold from the spec with its setup run again;
 * {@link MachineInfo#templateColdBoot()} says why. Rebuild the template to restore again.
 *
 * <pre>{@code
 * Template.build("py", TemplateSpec.builder().image("python:3.12").diskMb(512)
 *         .setup(List.of("pip", "install", "requests")).build());
 * Machine m = Machine.create(MachineConfig.builder().name("w1").template("py").build());
 * }</pre>
 */
public final class Template {
    private Template() {
    }

    /** Template names: 1-54 lowercase letters, digits or '-'. */
    public static String checkName(String name) {
        return TemplateStore.checkName(name);
    }

    /**
     * Builds template {@code name} in this JVM (under {@code $FLINT_HOME}); a failing setup
     * command fails the build with a {@link TemplateBuildException} naming the command, its exit
     * status and stderr, and leaves nothing behind (no template, snapshot or machine).
     *
     * @throws InvalidConfigException if the name is taken (by a template, or by its snapshot's name)
     */
    public static TemplateInfo build(String name, TemplateSpec spec) {
        return build(name, spec, ConnectOptions.local());
    }

    /** As {@link #build(String, TemplateSpec)}, where {@code options} say: in this JVM or on a Flint server. */
    public static TemplateInfo build(String name, TemplateSpec spec, ConnectOptions options) {
        Objects.requireNonNull(spec, "spec");
        return Engine.open(options).buildTemplate(checkName(name), spec);
    }

    /** The templates, by name. */
    public static List<TemplateInfo> list(ConnectOptions options) {
        return Engine.open(options).templates();
    }

    /**
     * Deletes template {@code name} and its snapshot.
     *
     * @throws TemplateNotFoundException if there is none
     * @throws MachineStateException while a warm pool keeps machines of it, or machines made from its snapshot exist
     */
    public static void delete(String name, ConnectOptions options) {
        Engine.open(options).deleteTemplate(checkName(name));
    }
}
