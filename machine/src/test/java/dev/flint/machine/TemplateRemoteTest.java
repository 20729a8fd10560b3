package dev.flint.machine;

import dev.flint.machine.server.ListenAddress;
import dev.flint.machine.server.MachineServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Templates and warm pools against a server: the routes, the wire JSON and the errors, as in this JVM. */
class TemplateRemoteTest {
    private static final String TOKEN = "tpl-token-1";

    @TempDir
    Path home;
    private final FakeEngines fakes = new FakeEngines();
    private MachineServer server;
    private ConnectOptions options;
    private URI uri;

    @BeforeEach
    void start() {
        TestHome.use(home);
        server = MachineServer.start(fakes.persistent(home), new ListenAddress("127.0.0.1", 0), Optional.of(TOKEN));
        uri = URI.create("http://127.0.0.1:" + server.port());
        options = ConnectOptions.server(uri, TOKEN);
    }

    @AfterEach
    void stop() {
        server.close();
        TestHome.restore();
    }

    @Test
    void templatesAndPoolsOverHttp() throws Exception {
        TemplateInfo built = Template.build("web", TemplateSpec.builder().memoryMb(128).env("A", "1")
                .setupShell("echo ready").build(), options);
        assertEquals("web", built.name());
        assertEquals(List.of(List.of("/bin/sh", "-c", "echo ready")), built.spec().setup());
        assertEquals(List.of("web"), Template.list(options).stream().map(TemplateInfo::name).toList());

        WarmPoolInfo pool = WarmPool.create("web-pool", "web", 1, options);
        assertEquals(new WarmPoolInfo("web-pool", "web", 1, pool.ready()), pool);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (WarmPool.list(options).getFirst().ready() < 1) {
            assertTrue(System.nanoTime() < deadline, "the pool fills");
            Thread.sleep(5);
        }
        Machine warm = Machine.create(MachineConfig.builder().name("w1").template("web")
                .warmPool("web-pool", WarmPoolMode.REQUIRE, Duration.ofSeconds(5)).build(), options);
        assertEquals(Optional.of(WarmPoolCheckout.WARM), warm.info().warmPoolCheckout());
        assertEquals("1", warm.config().env().get("A"));
        warm.delete();

        WarmPool.delete("web-pool", options);
        WarmPool.create("slow", "web", 1, options);
        WarmPool.delete("slow", options);
        assertEquals(List.of(), WarmPool.list(options));
        String none = assertThrows(InvalidConfigException.class, () -> WarmPool.delete("slow", options)).getMessage();
        assertTrue(none.startsWith("no warm pool named slow"), none);

        TemplateNotFoundException missing = assertThrows(TemplateNotFoundException.class,
                () -> Machine.create(MachineConfig.builder().name("x").template("nothing").build(), options));
        assertTrue(missing.getMessage().startsWith("no template named 'nothing'"), missing.getMessage());
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve("/v1/templates/nothing"))
                .header("Authorization", "Bearer " + TOKEN).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, raw.statusCode());
        assertTrue(raw.body().contains("\"template_not_found\""), raw.body());
        assertThrows(TemplateBuildException.class, () -> Template.build("bad", TemplateSpec.builder().setup(List.of("fail"))
                .build(), options));

        Template.delete("web", options);
        assertEquals(List.of(), Template.list(options));
    }

    @Test
    void requireWithoutAReadyMachineIs503WarmPoolUnavailableWithTheReason() throws Exception {
        Template.build("broken", TemplateSpec.builder().build(), options);
        // Its snapshot gone and its setup failing now: every fill of its pool fails.
        Snapshots.delete("template-broken", options);
        new TemplateStore(home).delete("broken");
        new TemplateStore(home).write("broken", TemplateSpec.builder().setup(List.of("fail")).build());
        WarmPool.create("never", "broken", 1, options);
        var body = dev.flint.machine.wire.MachineJson.object().put("name", "e1");
        body.putObject("template").put("name", "broken").put("pool", "never").put("mode", "require").put("waitMs", 300);
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve("/v1/machines"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(dev.flint.machine.wire.MachineJson.write(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, raw.statusCode(), raw.body());
        assertTrue(raw.body().contains("\"warm_pool_unavailable\""), raw.body());
        WarmPoolUnavailableException e = assertThrows(WarmPoolUnavailableException.class, () -> Machine.create(
                MachineConfig.builder().name("e2").template("broken").warmPool("never", WarmPoolMode.REQUIRE,
                        Duration.ofMillis(300)).build(), options));
        assertTrue(e.getMessage().startsWith("warm pool never had no ready machine within 300 ms (0 of 1 ready"),
                e.getMessage());
        assertTrue(e.getMessage().contains("the last one failed: template broken: setup command [fail] failed"),
                e.getMessage());
        assertEquals(List.of(), Machine.list(MachineQuery.all(), options).machines(), "no machine was left");
    }
}
