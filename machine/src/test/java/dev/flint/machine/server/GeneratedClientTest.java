package dev.flint.machine.server;

import dev.flint.machine.TestHome;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flint.generated.client.ApiClient;
import dev.flint.generated.client.ApiException;
import dev.flint.generated.client.api.DefaultApi;
import dev.flint.generated.client.model.CreatePoolRequest;
import dev.flint.generated.client.model.CreateTemplateRequest;
import dev.flint.generated.client.model.Env;
import dev.flint.generated.client.model.Error;
import dev.flint.generated.client.model.ErrorError;
import dev.flint.generated.client.model.ExecFrame;
import dev.flint.generated.client.model.ExecRequest;
import dev.flint.generated.client.model.FileFrame;
import dev.flint.generated.client.model.FileInfo;
import dev.flint.generated.client.model.ForkMachineRequest;
import dev.flint.generated.client.model.Machine;
import dev.flint.generated.client.model.MachineConfig;
import dev.flint.generated.client.model.MachineConfigTemplate;
import dev.flint.generated.client.model.MachinePage;
import dev.flint.generated.client.model.Metrics;
import dev.flint.generated.client.model.Snapshot;
import dev.flint.generated.client.model.SnapshotMachineRequest;
import dev.flint.generated.client.model.State;
import dev.flint.generated.client.model.StopMachineRequest;
import dev.flint.generated.client.model.Template;
import dev.flint.generated.client.model.TemplateSpec;
import dev.flint.generated.client.model.WarmPool;
import dev.flint.machine.FakeEngines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP API as a client nobody here wrote sees it: openapi-generator's Java client (native
 * library, generated from openapi.yaml at build time into the test sources) drives the real server
 * over an engine of fake machines. Each thing it could not do once was a bug in openapi.yaml or
 * the server (an exec answer described as one frame; a JSON null for an absent optional body).
 */
class GeneratedClientTest {
    private static final String TOKEN = "generated-client-token";

    @TempDir
    Path home;
    private MachineServer server;
    private ApiClient client;
    private DefaultApi api;

    @BeforeEach
    void start() {
        TestHome.use(home);   // pause and snapshots write under it
        server = MachineServer.start(new FakeEngines().persistent(home), new ListenAddress("127.0.0.1", 0),
                Optional.of(TOKEN));
        client = new ApiClient();
        // Strict where the generated client is lenient: a field the server sends that openapi.yaml
        // does not describe fails the test instead of vanishing.
        client.setObjectMapper(ApiClient.createDefaultObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true));
        client.updateBaseUri("http://127.0.0.1:" + server.port());
        // The native library has no bearer support of its own: the spec's bearer scheme, by hand.
        client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + TOKEN));
        api = new DefaultApi(client);
    }

    @AfterEach
    void stop() {
        server.close();
        TestHome.restore();
    }

    @Test
    void createInspectListExecAndDeleteAMachine() throws Exception {
        Machine created = api.createMachine(new MachineConfig().name("gen").cpus(1).memoryMb(128)
                .metadata(Map.of("team", "a")));
        assertTrue(created.getId().matches("m-[a-z2-7]{16}"), created.getId());
        assertEquals(State.RUNNING, created.getState());

        Machine info = api.getMachine(created.getId());
        assertEquals("gen", info.getName());
        assertEquals(128, info.getMemoryMb());
        assertEquals(Map.of("team", "a"), info.getMetadata());
        assertNotNull(info.getCreatedAt(), "createdAt decodes as a date-time");
        assertEquals(128, info.getConfig().getMemoryMb(), "the config as the spec's MachineConfig");
        assertEquals(created.getId(), api.getMachine("gen").getId(), "a name finds it too");

        api.createMachine(new MachineConfig().name("other").start(false));
        MachinePage running = api.listMachines(List.of(State.RUNNING), null, null, null, null);
        assertEquals(List.of("gen"), running.getMachines().stream().map(Machine::getName).toList());
        MachinePage byTeam = api.listMachines(null, null, List.of("team=a"), 10, null);
        assertEquals(List.of(created.getId()), byTeam.getMachines().stream().map(Machine::getId).toList());
        assertNull(byTeam.getNextCursor(), "one page");

        List<ExecFrame> frames = exec(created.getId(), new ExecRequest().argv(List.of("echo", "hello", "world")));
        assertEquals("hello world\n", output(frames, ExecFrame.TypeEnum.STDOUT));
        ExecFrame exit = frames.getLast();
        assertEquals(ExecFrame.TypeEnum.EXIT, exit.getType(), "the stream ends with its exit frame: " + frames);
        assertEquals(0, exit.getExitCode());
        assertEquals(0, exit.getSignal());

        List<ExecFrame> failing = exec(created.getId(), new ExecRequest().argv(List.of("fail")));
        assertEquals("failing on purpose\n", output(failing, ExecFrame.TypeEnum.STDERR));
        assertEquals(3, failing.getLast().getExitCode());

        api.deleteMachine(created.getId());
        ErrorError gone = error(assertThrows(ApiException.class, () -> api.getMachine(created.getId())), 404);
        assertEquals(ErrorError.CodeEnum.NOT_FOUND, gone.getCode());
        assertTrue(gone.getMessage().contains(created.getId()), gone.getMessage());
    }

    @Test
    void errorsArriveAsTheSpecsErrorBody() throws Exception {
        ErrorError unknown = error(assertThrows(ApiException.class, () -> api.getMachine("no-such-machine")), 404);
        assertEquals(ErrorError.CodeEnum.NOT_FOUND, unknown.getCode());
        assertTrue(unknown.getMessage().contains("no-such-machine"), unknown.getMessage());

        String id = api.createMachine(new MachineConfig().name("errs")).getId();
        ErrorError notStarted = error(assertThrows(ApiException.class,
                () -> api.exec(id, new ExecRequest().argv(List.of("missing")))), 422);
        assertEquals(ErrorError.CodeEnum.EXEC_FAILED, notStarted.getCode());
        assertEquals(ErrorError.StepEnum.EXEC, notStarted.getStep());
        assertEquals("ENOENT", notStarted.getErrnoName());
        assertEquals(2, notStarted.getErrno());

        DefaultApi anonymous = new DefaultApi(new ApiClient().setHost("127.0.0.1").setPort(server.port()));
        ErrorError refused = error(assertThrows(ApiException.class, () -> anonymous.getMachine(id)), 401);
        assertEquals(ErrorError.CodeEnum.UNAUTHORIZED, refused.getCode());
        assertEquals("ok", anonymous.health().getStatus().getValue(), "health needs no token");
    }

    @Test
    void optionalBodiesMayBeLeftOut() throws Exception {
        String id = api.createMachine(new MachineConfig().name("opt")).getId();
        assertEquals(State.STOPPED, api.stopMachine(id, new StopMachineRequest().timeoutMs(1000L)).getState());
        // With no request object the generated client sends the JSON body null.
        assertEquals(State.RUNNING, api.startMachine(id, null).getState());
        assertEquals(State.STOPPED, api.stopMachine(id, null).getState());
        assertEquals(State.RUNNING, api.restartMachine(id).getState());
    }

    @Test
    void envFilesLogsAndMetrics() throws Exception {
        String id = api.createMachine(new MachineConfig().name("files").env(Map.of("A", "1"))).getId();
        assertEquals(Map.of("A", "1"), api.getEnv(id).getEnv());
        assertEquals(Map.of("B", "2"), api.setEnv(id, new Env().env(Map.of("B", "2"))).getEnv());

        api.makeDirectories(id, "/work/sub", "750");
        Path local = Files.writeString(home.resolve("upload.txt"), "some text\n");
        uploading(local).writeFile(id, "/work/sub/a.txt", local.toFile(), "640");
        api.makeSymlink(id, "/work/link", "sub/a.txt");

        FileInfo stat = api.statFile(id, "/work/sub/a.txt");
        assertEquals(FileInfo.TypeEnum.FILE, stat.getType());
        assertEquals(10, stat.getSize());
        assertEquals(0640, stat.getMode());
        assertNotNull(stat.getModified());
        List<FileInfo> entries = api.listFiles(id, "/work").getEntries();
        assertEquals(Map.of("link", FileInfo.TypeEnum.SYMLINK, "sub", FileInfo.TypeEnum.DIRECTORY),
                entries.stream().collect(java.util.stream.Collectors.toMap(FileInfo::getName, FileInfo::getType)));
        assertEquals("sub/a.txt", entries.stream().filter(e -> e.getName().equals("link")).findFirst().orElseThrow()
                .getLinkTarget());

        List<FileFrame> content = lines(api.readFile(id, "/work/sub/a.txt"), FileFrame.class);
        StringBuilder text = new StringBuilder();
        content.stream().filter(frame -> frame.getType() == FileFrame.TypeEnum.DATA)
                .forEach(frame -> text.append(new String(frame.getData(), StandardCharsets.UTF_8)));
        assertEquals("some text\n", text.toString());
        assertEquals(FileFrame.TypeEnum.END, content.getLast().getType());
        assertEquals(10L, content.getLast().getBytes());

        api.deleteFile(id, "/work", true);
        ErrorError missing = error(assertThrows(ApiException.class, () -> api.statFile(id, "/work")), 422);
        assertEquals(ErrorError.CodeEnum.FILE_FAILED, missing.getCode());
        assertEquals("ENOENT", missing.getErrnoName());

        assertNotNull(api.getLogs(id), "the console as text/plain");
        Metrics metrics = api.getMetrics(id, null);
        assertNotNull(metrics.getVmExits(), "metrics decode: " + metrics);
    }

    @Test
    void pauseResumeSnapshotAndFork() throws Exception {
        String id = api.createMachine(new MachineConfig().name("src")).getId();
        assertEquals(State.PAUSED, api.pauseMachine(id).getState());
        ErrorError asleep = error(assertThrows(ApiException.class, () -> api.getMetrics(id, false)), 409);
        assertEquals(ErrorError.CodeEnum.NOT_RUNNING, asleep.getCode());
        assertEquals(State.RUNNING, api.resumeMachine(id, null).getState());

        Snapshot snapshot = api.snapshotMachine(id, new SnapshotMachineRequest().name("snap"));
        assertEquals("snap", snapshot.getName());
        assertNotNull(snapshot.getCreatedAt());
        assertEquals(List.of("snap"), api.listSnapshots().getSnapshots().stream().map(Snapshot::getName).toList());
        assertEquals("snap", api.getSnapshot("snap").getName());
        Machine restored = api.createMachine(new MachineConfig().name("restored").snapshot("snap"));
        assertEquals(State.RUNNING, restored.getState());

        List<Machine> clones = api.forkMachine(id, new ForkMachineRequest().count(2)).getMachines();
        assertEquals(List.of("src-fork-1", "src-fork-2"), clones.stream().map(Machine::getName).toList());

        ErrorError inUse = error(assertThrows(ApiException.class, () -> api.deleteSnapshot("snap")), 409);
        assertEquals(ErrorError.CodeEnum.STATE_CONFLICT, inUse.getCode());
        api.deleteMachine(restored.getId());
        api.deleteSnapshot("snap");
        ErrorError noSnapshot = error(assertThrows(ApiException.class, () -> api.getSnapshot("snap")), 404);
        assertEquals(ErrorError.CodeEnum.SNAPSHOT_NOT_FOUND, noSnapshot.getCode());
    }

    @Test
    void templatesAndWarmPools() throws Exception {
        Template built = api.createTemplate(new CreateTemplateRequest().name("web")
                .spec(new TemplateSpec().memoryMb(128).env(Map.of("A", "1")).setup(List.of(List.of("echo", "ready")))));
        assertEquals("web", built.getName());
        assertEquals(List.of(List.of("echo", "ready")), built.getSpec().getSetup());
        assertEquals(List.of("web"), api.listTemplates().getTemplates().stream().map(Template::getName).toList());
        assertEquals(128, api.getTemplate("web").getSpec().getMemoryMb());

        WarmPool pool = api.createPool(new CreatePoolRequest().name("web-pool").template("web").size(1));
        assertEquals("web-pool", pool.getName());
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (api.listPools().getPools().getFirst().getReady() < 1) {
            assertTrue(System.nanoTime() < deadline, "the pool fills");
            Thread.sleep(5);
        }
        Machine warm = api.createMachine(new MachineConfig().name("w1").template(new MachineConfigTemplate().name("web")
                .pool("web-pool").mode(MachineConfigTemplate.ModeEnum.REQUIRE).waitMs(5000L)));
        assertEquals("WARM", warm.getMetadata().get("flint.dev/warm-pool-checkout"));
        api.deleteMachine(warm.getId());
        api.deletePool("web-pool");
        assertEquals(List.of(), api.listPools().getPools());

        ErrorError failed = error(assertThrows(ApiException.class, () -> api.createTemplate(new CreateTemplateRequest()
                .name("bad").spec(new TemplateSpec().setup(List.of(List.of("fail")))))), 422);
        assertEquals(ErrorError.CodeEnum.TEMPLATE_SETUP_FAILED, failed.getCode());
        api.deleteTemplate("web");
        ErrorError gone = error(assertThrows(ApiException.class, () -> api.getTemplate("web")), 404);
        assertEquals(ErrorError.CodeEnum.TEMPLATE_NOT_FOUND, gone.getCode());
    }

    @Test
    void theDocumentItServesIsTheOneItWasGeneratedFrom() throws Exception {
        File served = api.getOpenApiDocument();
        try (InputStream resource = MachineServer.class.getResourceAsStream("openapi.yaml")) {
            assertNotNull(resource);
            assertArrayEquals(resource.readAllBytes(), Files.readAllBytes(served.toPath()));
        } finally {
            Files.deleteIfExists(served.toPath());
        }
    }

    /**
     * The generated client with the one workaround its native library needs here: it JSON-encodes
     * a binary request body (a File is sent as its path, in quotes), so the octet-stream body is
     * replaced by the file's bytes. Our document describes the body right (string, binary).
     */
    private DefaultApi uploading(Path file) {
        ApiClient uploads = new ApiClient();
        uploads.updateBaseUri(client.getBaseUri());
        uploads.setObjectMapper(client.getObjectMapper());
        uploads.setRequestInterceptor(request -> {
            request.header("Authorization", "Bearer " + TOKEN);
            HttpRequest built = request.copy().build();
            if (built.headers().firstValue("Content-Type").orElse("").equals("application/octet-stream")) {
                try {
                    request.method(built.method(), HttpRequest.BodyPublishers.ofFile(file));
                } catch (FileNotFoundException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        return new DefaultApi(uploads);
    }

    /** Runs the command; the answer is a stream of frames, one JSON ExecFrame a line (see ExecFrames). */
    private List<ExecFrame> exec(String machine, ExecRequest request) throws ApiException, IOException {
        return lines(api.exec(machine, request), ExecFrame.class);
    }

    /** An NDJSON answer the generated client saved as a file, one frame a line; the file removed. */
    private <T> List<T> lines(File answer, Class<T> frame) throws IOException {
        try {
            ObjectMapper json = client.getObjectMapper();
            List<T> frames = new ArrayList<>();
            for (String line : Files.readAllLines(answer.toPath(), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    frames.add(json.readValue(line, frame));
                }
            }
            return frames;
        } finally {
            Files.deleteIfExists(answer.toPath());
        }
    }

    private static String output(List<ExecFrame> frames, ExecFrame.TypeEnum stream) {
        StringBuilder text = new StringBuilder();
        frames.stream().filter(frame -> frame.getType() == stream)
                .forEach(frame -> text.append(new String(frame.getData(), StandardCharsets.UTF_8)));
        return text.toString();
    }

    /** The error of an answer the generated client refused, read with the spec's Error schema. */
    private ErrorError error(ApiException refused, int status) throws IOException {
        assertEquals(status, refused.getCode(), refused.getMessage());
        Error body = client.getObjectMapper().readValue(refused.getResponseBody(), Error.class);
        assertNotNull(body.getError(), refused.getResponseBody());
        return body.getError();
    }
}
