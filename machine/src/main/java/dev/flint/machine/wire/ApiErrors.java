package dev.flint.machine.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flint.agent.StartFailure;
import dev.flint.image.ImageException;
import dev.flint.image.ImageNotFoundException;
import dev.flint.image.ImageStoreFullException;
import dev.flint.image.InvalidReferenceException;
import dev.flint.machine.AgentUnavailableException;
import dev.flint.machine.ExecStartException;
import dev.flint.machine.ExecTimeoutException;
import dev.flint.machine.FlintException;
import dev.flint.machine.GuestCrashedException;
import dev.flint.machine.HostUnsupportedException;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.MachineFileException;
import dev.flint.machine.MachineNotFoundException;
import dev.flint.machine.SnapshotNotFoundException;
import dev.flint.machine.TemplateBuildException;
import dev.flint.machine.TemplateNotFoundException;
import dev.flint.machine.WarmPoolUnavailableException;
import dev.flint.machine.MachineNotRunningException;
import dev.flint.machine.MachineStateException;

/**
 * The API's errors: each exception of the machine API has a code and an HTTP status, and the
 * remote client turns the code back into the same exception, so a caller's {@code catch}
 * works the same whether the machine runs here or in a server. Body:
 * {@code {"error": {"code": "not_running", "message": "..."}}}; an {@code exec_failed} error also
 * has {@code step}, {@code errno}, {@code errnoName} and {@code path} ({@link ExecStartException}).
 */
public final class ApiErrors {
    // HTTP the server's decoder could not read whole (it closes the connection after answering).
    public static final String BODY_TOO_LARGE = "body_too_large";
    public static final String URI_TOO_LONG = "uri_too_long";
    public static final String HEADERS_TOO_LARGE = "headers_too_large";

    public static final String INVALID_REQUEST = "invalid_request";
    public static final String UNAUTHORIZED = "unauthorized";
    public static final String NOT_FOUND = "not_found";
    public static final String NO_ROUTE = "no_route";
    public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
    public static final String STATE_CONFLICT = "state_conflict";
    public static final String NOT_RUNNING = "not_running";
    public static final String EXEC_TIMEOUT = "exec_timeout";
    /** The command did not start in the guest (no such program, a missing workdir...): 422. */
    public static final String EXEC_FAILED = "exec_failed";
    public static final String AGENT_UNAVAILABLE = "agent_unavailable";
    public static final String GUEST_CRASHED = "guest_crashed";
    public static final String HOST_UNSUPPORTED = "host_unsupported";
    public static final String IMAGE_NOT_FOUND = "image_not_found";
    public static final String SNAPSHOT_NOT_FOUND = "snapshot_not_found";
    public static final String TEMPLATE_NOT_FOUND = "template_not_found";
    /** A template's setup command failed: 422. */
    public static final String TEMPLATE_SETUP_FAILED = "template_setup_failed";
    public static final String WARM_POOL_UNAVAILABLE = "warm_pool_unavailable";
    public static final String REGISTRY_FAILED = "registry_failed";
    public static final String IMAGE_STORE_FULL = "image_store_full";
    /** The guest refused a file request: 422, with {@code errnoName} and {@code path}. */
    public static final String FILE_FAILED = "file_failed";
    public static final String INTERNAL = "internal";

    private ApiErrors() {
    }

    /** The code of an exception the engine threw. */
    public static String code(Throwable error) {
        return switch (error) {
            case InvalidConfigException e -> INVALID_REQUEST;
            case MachineFileException e -> FILE_FAILED;
            case MachineNotFoundException e -> NOT_FOUND;
            case SnapshotNotFoundException e -> SNAPSHOT_NOT_FOUND;
            case TemplateNotFoundException e -> TEMPLATE_NOT_FOUND;
            case TemplateBuildException e -> TEMPLATE_SETUP_FAILED;
            case WarmPoolUnavailableException e -> WARM_POOL_UNAVAILABLE;
            case MachineNotRunningException e -> NOT_RUNNING;
            case MachineStateException e -> STATE_CONFLICT;
            case ExecTimeoutException e -> EXEC_TIMEOUT;
            case ExecStartException e -> EXEC_FAILED;
            case AgentUnavailableException e -> AGENT_UNAVAILABLE;
            case GuestCrashedException e -> GUEST_CRASHED;
            case HostUnsupportedException e -> HOST_UNSUPPORTED;
            case InvalidReferenceException e -> INVALID_REQUEST;
            case ImageNotFoundException e -> IMAGE_NOT_FOUND;
            case ImageStoreFullException e -> IMAGE_STORE_FULL;
            case ImageException e -> REGISTRY_FAILED;
            default -> INTERNAL;
        };
    }

    public static int status(String code) {
        return switch (code) {
            case BODY_TOO_LARGE -> 413;
            case URI_TOO_LONG -> 414;
            case HEADERS_TOO_LARGE -> 431;
            case INVALID_REQUEST -> 400;
            case UNAUTHORIZED -> 401;
            case NOT_FOUND, NO_ROUTE, IMAGE_NOT_FOUND, SNAPSHOT_NOT_FOUND, TEMPLATE_NOT_FOUND -> 404;
            case TEMPLATE_SETUP_FAILED -> 422;
            case WARM_POOL_UNAVAILABLE -> 503;
            case METHOD_NOT_ALLOWED -> 405;
            case EXEC_TIMEOUT -> 408;
            case EXEC_FAILED, FILE_FAILED -> 422;
            case STATE_CONFLICT, NOT_RUNNING -> 409;
            case HOST_UNSUPPORTED -> 501;
            case AGENT_UNAVAILABLE, GUEST_CRASHED -> 503;
            case REGISTRY_FAILED -> 502;
            case IMAGE_STORE_FULL -> 507;
            default -> 500;
        };
    }

    /** The exception a client throws for the {@code error} object the server sent, with its details. */
    public static RuntimeException exception(JsonNode error) {
        String code = error.path("code").asText();
        String message = error.path("message").asText();
        if (code.equals(EXEC_FAILED)) {
            return new ExecStartException(message, new StartFailure(StartFailure.Step.of(error.path("step").asText()),
                    error.path("errno").asInt(), error.path("errnoName").asText(), error.path("path").asText()));
        }
        if (code.equals(FILE_FAILED)) {
            return new MachineFileException(message, error.path("path").asText(), error.path("errnoName").asText(), null);
        }
        return exception(code, message);
    }

    /** The exception a client throws for an error the server sent. */
    public static RuntimeException exception(String code, String message) {
        return switch (code) {
            case BODY_TOO_LARGE, URI_TOO_LONG, HEADERS_TOO_LARGE -> new InvalidConfigException(message);
            case INVALID_REQUEST -> new InvalidConfigException(message);
            case NOT_FOUND -> new MachineNotFoundException(message);
            case SNAPSHOT_NOT_FOUND -> new SnapshotNotFoundException(message);
            case TEMPLATE_NOT_FOUND -> new TemplateNotFoundException(message);
            case TEMPLATE_SETUP_FAILED -> new TemplateBuildException(message);
            case WARM_POOL_UNAVAILABLE -> new WarmPoolUnavailableException(message);
            case NOT_RUNNING -> new MachineNotRunningException(message);
            case STATE_CONFLICT -> new MachineStateException(message);
            case EXEC_TIMEOUT -> new ExecTimeoutException(message);
            case EXEC_FAILED -> new ExecStartException(message, StartFailure.UNKNOWN);
            case AGENT_UNAVAILABLE -> new AgentUnavailableException(message, null);
            case GUEST_CRASHED -> new GuestCrashedException(message);
            case HOST_UNSUPPORTED -> new HostUnsupportedException(message, null);
            case IMAGE_NOT_FOUND -> new ImageNotFoundException(message);
            case IMAGE_STORE_FULL -> new ImageStoreFullException(message);
            case REGISTRY_FAILED -> new ImageException(message);
            default -> new FlintException(message);
        };
    }

    /** The body for an exception the engine threw: its code, message and details. */
    public static ObjectNode body(Throwable error) {
        ObjectNode json = body(code(error), error.getMessage());
        if (error instanceof ExecStartException e) {
            StartFailure failure = e.failure();
            ((ObjectNode) json.get("error")).put("step", failure.step().wireName()).put("errno", failure.errno())
                    .put("errnoName", failure.errnoName()).put("path", failure.path());
        }
        if (error instanceof MachineFileException e) {
            ((ObjectNode) json.get("error")).put("errnoName", e.errnoName()).put("path", e.path());
        }
        return json;
    }

    public static ObjectNode body(String code, String message) {
        ObjectNode json = MachineJson.object();
        json.putObject("error").put("code", code).put("message", message);
        return json;
    }
}
