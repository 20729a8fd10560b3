package dev.flint.machine.server;

import dev.flint.machine.ExecOptions;
import dev.flint.machine.InvalidConfigException;

import java.util.List;

/**
 * What {@code GET /v1/machines/{m}/terminal} runs, from its query: {@code argv} (repeated; default
 * a login shell, {@code /bin/sh -l}), {@code env=K=V} (repeated), {@code workdir}, {@code rows} and
 * {@code columns} (default 24 x 80).
 */
record TerminalRequest(List<String> argv, ExecOptions options, int rows, int columns) {
    static final List<String> LOGIN_SHELL = List.of("/bin/sh", "-l");

    static TerminalRequest of(ApiRequest request) {
        List<String> argv = request.query().getOrDefault("argv", List.of());
        ExecOptions.Builder options = ExecOptions.builder();
        for (String variable : request.query().getOrDefault("env", List.of())) {
            int eq = variable.indexOf('=');
            if (eq < 1) {
                throw new InvalidConfigException("env must be K=V, got '" + variable + "'");
            }
            options.env(variable.substring(0, eq), variable.substring(eq + 1));
        }
        MachineApi.single(request, "workdir").ifPresent(options::workdir);
        return new TerminalRequest(argv.isEmpty() ? LOGIN_SHELL : argv, options.build(), size(request, "rows", 24),
                size(request, "columns", 80));
    }

    private static int size(ApiRequest request, String name, int otherwise) {
        return MachineApi.single(request, name).map(text -> {
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new InvalidConfigException(name + " must be a number, got '" + text + "'");
            }
        }).orElse(otherwise);
    }
}
