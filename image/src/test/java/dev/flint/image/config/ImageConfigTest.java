package dev.flint.image.config;

import dev.flint.image.tree.ImageTree;
import dev.flint.image.tree.TestTar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The image config's parsing and every rule that turns it and a run request into one command. */
class ImageConfigTest {
    private static final String PASSWD = """
            root:x:0:0:root:/root:/bin/sh
            # a comment
            broken line
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            app:x:1000:1000:App:/home/app:/bin/sh
            nohome:x:1001:1001::::
            """;
    private static final String GROUP = """
            root:x:0:
            daemon:x:1:
            wheel:x:10:root,app
            app:x:1000:
            docker:x:999:app
            staff:x:50:daemon
            """;

    @TempDir
    Path dir;

    private ImageTree tree(boolean withUsers) throws Exception {
        TestTar tar = new TestTar().dir("etc").dir("bin");
        if (withUsers) {
            tar.file("etc/passwd", PASSWD).file("etc/group", GROUP);
        }
        return ImageTree.flatten(List.of(tar.writeTo(dir.resolve(withUsers ? "users.tar" : "bare.tar"))));
    }

    private static ImageConfig config(String json) {
        return ImageConfig.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static ImageConfig config(List<String> entrypoint, List<String> cmd) {
        return new ImageConfig(List.of("PATH=/image/bin", "LANG=C.UTF-8"), entrypoint, cmd, "", "", Set.of(), List.of());
    }

    private static RunRequest request(List<String> argv) {
        return RunRequest.of(argv);
    }

    @Test
    void parsesEveryFieldAndToleratesMissingOnes() {
        ImageConfig full = config("""
                {"architecture":"amd64","os":"linux",
                 "config":{"Env":["PATH=/usr/bin","A=1"],"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],
                           "WorkingDir":"/srv","User":"app:docker","ExposedPorts":{"80/tcp":{},"443/tcp":{}}},
                 "rootfs":{"type":"layers","diff_ids":["sha256:aa","sha256:bb"]}}
                """);
        assertEquals(List.of("PATH=/usr/bin", "A=1"), full.env());
        assertEquals(List.of("/docker-entrypoint.sh"), full.entrypoint());
        assertEquals(List.of("nginx", "-g", "daemon off;"), full.cmd());
        assertEquals("/srv", full.workingDir());
        assertEquals("app:docker", full.user());
        assertEquals(Set.of("80/tcp", "443/tcp"), full.exposedPorts());
        assertEquals(List.of("sha256:aa", "sha256:bb"), full.diffIds());
        ImageConfig empty = config("{\"config\":{\"Entrypoint\":null,\"Cmd\":null}}");
        assertTrue(empty.entrypoint().isEmpty());
        assertTrue(empty.cmd().isEmpty());
        assertEquals("", empty.user());
        assertTrue(config("{}").env().isEmpty());
    }

    @Test
    void malformedConfigsAreRefusedClearly() {
        assertTrue(assertThrows(InvalidImageConfigException.class, () -> config("{not json"))
                .getMessage().contains("not valid JSON"));
        assertThrows(InvalidImageConfigException.class, () -> config("[1]"));
        assertTrue(assertThrows(InvalidImageConfigException.class, () -> config("{\"config\":{\"Cmd\":\"sh\"}}"))
                .getMessage().contains("Cmd"));
        assertThrows(InvalidImageConfigException.class, () -> config("{\"config\":{\"Env\":[1]}}"));
        assertThrows(InvalidImageConfigException.class, () -> config("{\"config\":{\"User\":5}}"));
    }

    @Test
    void argvFollowsDockersEntrypointAndCmdRules() throws Exception {
        ImageTree tree = tree(true);
        assertEquals(List.of("sh", "-c", "x"), config(List.of(), List.of("sh", "-c", "x")).resolve(request(List.of()), tree).argv(),
                "no argv: Cmd");
        assertEquals(List.of("ls", "-l"), config(List.of(), List.of("sh")).resolve(request(List.of("ls", "-l")), tree).argv(),
                "the caller's argv replaces Cmd; argv[0] is the program");
        assertEquals(List.of("/entry", "default"), config(List.of("/entry"), List.of("default"))
                .resolve(request(List.of()), tree).argv(), "Entrypoint + Cmd");
        assertEquals(List.of("/entry", "mine"), config(List.of("/entry"), List.of("default"))
                .resolve(request(List.of("mine")), tree).argv(), "Entrypoint + the caller's argv");
        assertEquals(List.of("/entry"), config(List.of("/entry"), List.of()).resolve(request(List.of()), tree).argv());
        InvalidImageConfigException none = assertThrows(InvalidImageConfigException.class,
                () -> config(List.of(), List.of()).resolve(request(List.of()), tree));
        assertTrue(none.getMessage().contains("no Entrypoint or Cmd"), none.getMessage());
        assertThrows(InvalidImageConfigException.class, () -> config(List.of(), List.of()).resolve(request(List.of("")), tree));
    }

    @Test
    void callerEnvWinsByNameAndDefaultsFillTheGaps() throws Exception {
        ImageTree tree = tree(true);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LANG", "en_US.UTF-8");
        env.put("EXTRA", "a=b");
        ResolvedCommand command = config(List.of(), List.of("sh"))
                .resolve(new RunRequest(List.of(), env, null, null), tree);
        assertEquals(List.of("PATH=/image/bin", "LANG=en_US.UTF-8", "EXTRA=a=b", "HOME=/root"), command.env(),
                "image order kept, caller values in place, new ones appended; HOME from passwd");
        assertTrue(command.env().stream().noneMatch(e -> e.startsWith("HOSTNAME=")));
        ImageConfig noPath = new ImageConfig(List.of(), List.of(), List.of("sh"), "", "", Set.of(), List.of());
        ResolvedCommand defaults = noPath.resolve(request(List.of()), tree);
        assertEquals(List.of("PATH=" + ImageConfig.DEFAULT_PATH, "HOME=/root"), defaults.env());
        ResolvedCommand callerHome = noPath.resolve(new RunRequest(List.of(), Map.of("HOME", "/x", "PATH", "/p"), null, null), tree);
        assertEquals(Set.of("HOME=/x", "PATH=/p"), Set.copyOf(callerHome.env()), "the caller's HOME and PATH stand");
        assertEquals(2, callerHome.env().size());
        assertThrows(InvalidImageConfigException.class,
                () -> noPath.resolve(new RunRequest(List.of(), Map.of("A=B", "1"), null, null), tree));
    }

    @Test
    void workdirIsTheCallersThenTheImagesThenRoot() throws Exception {
        ImageTree tree = tree(true);
        ImageConfig withDir = new ImageConfig(List.of(), List.of(), List.of("sh"), "/srv", "", Set.of(), List.of());
        ImageConfig relative = new ImageConfig(List.of(), List.of(), List.of("sh"), "app", "", Set.of(), List.of());
        assertEquals("/srv", withDir.resolve(request(List.of()), tree).workdir());
        assertEquals("/tmp", withDir.resolve(new RunRequest(List.of(), Map.of(), "/tmp", null), tree).workdir());
        assertEquals("/", config(List.of(), List.of("sh")).resolve(request(List.of()), tree).workdir());
        assertEquals("/app", relative.resolve(request(List.of()), tree).workdir());
        assertThrows(InvalidImageConfigException.class,
                () -> withDir.resolve(new RunRequest(List.of(), Map.of(), "tmp", null), tree));
    }

    private static ResolvedCommand as(ImageTree tree, String imageUser, String callerUser) {
        return new ImageConfig(List.of(), List.of(), List.of("id"), "", imageUser, Set.of(), List.of())
                .resolve(new RunRequest(List.of(), Map.of(), null, callerUser), tree);
    }

    private static String home(ResolvedCommand command) {
        return command.env().stream().filter(e -> e.startsWith("HOME=")).findFirst().orElseThrow();
    }

    @Test
    void everyUserFormResolvesAgainstTheImagesFiles() throws Exception {
        ImageTree tree = tree(true);
        ResolvedCommand root = as(tree, "", null);
        assertEquals(0, root.uid());
        assertEquals(0, root.gid());
        assertEquals(List.of(0, 10), root.groups(), "root's primary group and wheel");
        ResolvedCommand name = as(tree, "app", null);
        assertEquals(1000, name.uid());
        assertEquals(1000, name.gid());
        assertEquals(List.of(1000, 10, 999), name.groups(), "primary gid, then every group listing app");
        assertEquals("HOME=/home/app", home(name));
        ResolvedCommand uid = as(tree, "1", null);
        assertEquals(1, uid.uid());
        assertEquals(1, uid.gid(), "a known uid takes its passwd gid");
        assertEquals(List.of(1, 50), uid.groups());
        ResolvedCommand unknownUid = as(tree, "4242", null);
        assertEquals(4242, unknownUid.uid());
        assertEquals(0, unknownUid.gid());
        assertEquals(List.of(0), unknownUid.groups());
        assertEquals("HOME=/", home(unknownUid));
        ResolvedCommand uidGid = as(tree, "1000:5", null);
        assertEquals(1000, uidGid.uid());
        assertEquals(5, uidGid.gid());
        assertEquals(List.of(5), uidGid.groups(), "an explicit group brings no supplementary groups");
        ResolvedCommand nameGroup = as(tree, "app:docker", null);
        assertEquals(1000, nameGroup.uid());
        assertEquals(999, nameGroup.gid());
        ResolvedCommand uidGroupName = as(tree, "1001:wheel", null);
        assertEquals(1001, uidGroupName.uid());
        assertEquals(10, uidGroupName.gid());
        assertEquals("HOME=/", home(uidGroupName), "an empty home field means /");
        assertEquals(1000, as(tree, "daemon", "app").uid(), "the caller's user wins over the image's");
        assertEquals(1, as(tree, "daemon", null).uid());
    }

    @Test
    void unknownNamesAreClearErrorsNamingTheImageFile() throws Exception {
        ImageTree tree = tree(true);
        InvalidImageConfigException user = assertThrows(InvalidImageConfigException.class, () -> as(tree, "nobody", null));
        assertTrue(user.getMessage().contains("/etc/passwd") && user.getMessage().contains("nobody"), user.getMessage());
        InvalidImageConfigException group = assertThrows(InvalidImageConfigException.class, () -> as(tree, "app:nogroup", null));
        assertTrue(group.getMessage().contains("/etc/group") && group.getMessage().contains("nogroup"), group.getMessage());
        assertThrows(InvalidImageConfigException.class, () -> as(tree, "app:", null));
        assertThrows(InvalidImageConfigException.class, () -> as(tree, ":5", null));
    }

    @Test
    void numericUsersNeedNoPasswdButNamesDo() throws Exception {
        ImageTree bare = tree(false);
        ResolvedCommand numeric = as(bare, "1000:1000", null);
        assertEquals(1000, numeric.uid());
        assertEquals(1000, numeric.gid());
        ResolvedCommand root = as(bare, "", null);
        assertEquals(0, root.uid());
        assertEquals(List.of(0), root.groups());
        assertEquals("HOME=/", home(root));
        InvalidImageConfigException missing = assertThrows(InvalidImageConfigException.class, () -> as(bare, "app", null));
        assertTrue(missing.getMessage().contains("has no /etc/passwd"), missing.getMessage());
        assertTrue(assertThrows(InvalidImageConfigException.class, () -> as(bare, "0:wheel", null))
                .getMessage().contains("has no /etc/group"));
        assertThrows(InvalidImageConfigException.class, () -> as(bare, "99999999999", null), "a uid beyond 2^31-1 is a name, and unknown");
    }

    @Test
    void passwdIsFoundThroughSymlinksInTheImage() throws Exception {
        Path tar = new TestTar().dir("usr/etc").file("usr/etc/passwd", "svc:x:7:8::/srv:/bin/sh\n").symlink("etc", "usr/etc")
                .writeTo(dir.resolve("linked.tar"));
        ResolvedCommand command = as(ImageTree.flatten(List.of(tar)), "svc", null);
        assertEquals(7, command.uid());
        assertEquals(8, command.gid());
        assertEquals("HOME=/srv", home(command));
    }
}
