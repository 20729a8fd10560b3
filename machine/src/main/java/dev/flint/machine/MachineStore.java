package dev.flint.machine;

import dev.flint.machine.wire.MachineJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The server's record of its machines: one SQLite file ({@code flint.db} under
 * {@link FlintHome}) in WAL mode, so a reader (a second {@code flint ls}) never blocks the
 * writer. A row holds the machine's id, name, config (JSON), state, times and the process that
 * hosts it. Opening the store recovers from a crash: a machine whose host process is gone is
 * marked stopped (its VM died with that process, and the kernel already dropped its disk lock),
 * except a paused one, whose saved guest is on disk.
 *
 * <p>Calls are serialized on one connection: the server writes a row per lifecycle step, far
 * from SQLite's limits.
 */
final class MachineStore implements AutoCloseable {
    static final String FILE_NAME = "flint.db";
    private static final int SCHEMA_VERSION = 1;

    private final Connection connection;
    private final Path file;

    private MachineStore(Connection connection, Path file) {
        this.connection = connection;
        this.file = file;
    }

    /** Opens (or makes) the store in {@code directory} and marks orphaned machines stopped. */
    static MachineStore open(Path directory) {
        Path file = directory.resolve(FILE_NAME);
        try {
            Files.createDirectories(directory);
            Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
            MachineStore store = new MachineStore(connection, file);
            store.prepare();
            store.recoverOrphans();
            return store;
        } catch (IOException | SQLException e) {
            throw new FlintException("cannot open the machine store " + file + ": " + e.getMessage()
                    + "; check that the directory is writable (FLINT_HOME picks another)", e);
        }
    }

    Path file() {
        return file;
    }

    private void prepare() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA busy_timeout=5000");
            s.execute("PRAGMA synchronous=NORMAL");
            int version;
            try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                version = rs.getInt(1);
            }
            if (version > SCHEMA_VERSION) {
                throw new SQLException("the store was written by a newer Flint (schema " + version
                        + "); use that Flint or another FLINT_HOME");
            }
            s.execute("""
                    CREATE TABLE IF NOT EXISTS machines (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
                      id TEXT NOT NULL UNIQUE,
                      name TEXT NOT NULL UNIQUE,
                      state TEXT NOT NULL,
                      config TEXT NOT NULL,
                      metadata TEXT NOT NULL,
                      created_at INTEGER NOT NULL,
                      started_at INTEGER,
                      updated_at INTEGER NOT NULL,
                      last_stop_reason TEXT,
                      host_pid INTEGER,
                      host_started_at INTEGER)""");
            s.execute("CREATE INDEX IF NOT EXISTS machines_state ON machines(state)");
            s.execute("PRAGMA user_version=" + SCHEMA_VERSION);
        }
    }

    /**
     * Marks stopped every machine whose host process is gone, and releases what it left: its VM
     * and disk lock went with the process; a vsock socket file it served would block the next start.
     *
     * @return the ids of the machines recovered
     */
    synchronized List<String> recoverOrphans() {
        List<String> recovered = new ArrayList<>();
        try {
            List<StoredMachine> hosted = query("SELECT * FROM machines WHERE host_pid IS NOT NULL", List.of());
            long self = ProcessHandle.current().pid();
            for (StoredMachine machine : hosted) {
                long pid = machine.hostPid().getAsLong();
                if (pid == self || HostProcess.isAlive(pid, machine.hostStartedAt())) {
                    continue;
                }
                // A paused machine's saved guest is on disk, not in the process that ended: it stays paused.
                boolean paused = machine.state() == MachineState.PAUSED;
                boolean wasUp = machine.state() != MachineState.STOPPED && !paused;
                String reason = wasUp ? "its host process " + pid + " ended (crash or kill); marked stopped when the"
                        + " store was opened" : machine.lastStopReason().orElse(null);
                update("UPDATE machines SET state = ?, host_pid = NULL, host_started_at = NULL, updated_at = ?,"
                        + " last_stop_reason = ? WHERE id = ?", java.util.Arrays.asList(
                        (paused ? MachineState.PAUSED : MachineState.STOPPED).name(),
                        Instant.now().toEpochMilli(), reason, machine.id()));
                machine.config().vsockSocket().ifPresent(MachineStore::removeStaleSocket);
                recovered.add(machine.id());
            }
        } catch (SQLException e) {
            throw failure("recover machines of ended processes", e);
        }
        return recovered;
    }

    private static void removeStaleSocket(Path socket) {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // The next start says the path is taken, naming it.
        }
    }

    /** Records a new machine; a taken name is an {@link InvalidConfigException}. Returns its sequence number. */
    synchronized long insert(String id, MachineConfig config, MachineState state, Instant createdAt, HostProcess host) {
        String sql = "INSERT INTO machines (id, name, state, config, metadata, created_at, updated_at, host_pid,"
                + " host_started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement s = connection.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
            s.setString(1, id);
            s.setString(2, config.name());
            s.setString(3, state.name());
            s.setString(4, MachineJson.write(MachineJson.config(config)));
            s.setString(5, MachineJson.write(MachineJson.stringMap(config.metadata())));
            s.setLong(6, createdAt.toEpochMilli());
            s.setLong(7, Instant.now().toEpochMilli());
            s.setLong(8, host.pid());
            setInstant(s, 9, host.startedAt());
            s.executeUpdate();
            try (ResultSet keys = s.getGeneratedKeys()) {
                return keys.getLong(1);
            }
        } catch (SQLException e) {
            if (e.getMessage() != null && e.getMessage().contains("UNIQUE") && e.getMessage().contains("name")) {
                throw new InvalidConfigException("a machine named " + config.name() + " already exists; pick another"
                        + " name or delete that machine first");
            }
            throw failure("record machine " + config.name(), e);
        }
    }

    /** Records a state change; {@code startedAt} is kept unless given. */
    synchronized void updateState(String id, MachineState state, Optional<Instant> startedAt, Optional<String> stopReason) {
        try {
            update("UPDATE machines SET state = ?, started_at = COALESCE(?, started_at), last_stop_reason = ?,"
                    + " updated_at = ? WHERE id = ?", java.util.Arrays.asList(state.name(),
                    startedAt.map(Instant::toEpochMilli).orElse(null), stopReason.orElse(null),
                    Instant.now().toEpochMilli(), id));
        } catch (SQLException e) {
            throw failure("record the state of machine " + id, e);
        }
    }

    /** Records the machine's config as it is now (after {@link Machine#setEnv}). */
    synchronized void updateConfig(String id, MachineConfig config) {
        try {
            update("UPDATE machines SET config = ?, updated_at = ? WHERE id = ?", List.of(
                    MachineJson.write(MachineJson.config(config)), Instant.now().toEpochMilli(), id));
        } catch (SQLException e) {
            throw failure("record the config of machine " + id, e);
        }
    }

    /** Records that {@code host} now holds the machine (null: none does). */
    synchronized void updateHost(String id, HostProcess host) {
        try {
            update("UPDATE machines SET host_pid = ?, host_started_at = ?, updated_at = ? WHERE id = ?",
                    java.util.Arrays.asList(host == null ? null : host.pid(),
                            host == null ? null : host.startedAt().map(Instant::toEpochMilli).orElse(null),
                            Instant.now().toEpochMilli(), id));
        } catch (SQLException e) {
            throw failure("record the host of machine " + id, e);
        }
    }

    synchronized void delete(String id) {
        try {
            update("DELETE FROM machines WHERE id = ?", List.of(id));
        } catch (SQLException e) {
            throw failure("forget machine " + id, e);
        }
    }

    synchronized Optional<StoredMachine> get(String id) {
        return one("SELECT * FROM machines WHERE id = ?", id);
    }

    synchronized Optional<StoredMachine> byName(String name) {
        return one("SELECT * FROM machines WHERE name = ?", name);
    }

    private Optional<StoredMachine> one(String sql, String value) {
        try {
            return query(sql, List.of(value)).stream().findFirst();
        } catch (SQLException e) {
            throw failure("read machine " + value, e);
        }
    }

    /** The rows {@code query} selects, in creation order, one more than its limit (to tell whether a next page exists). */
    synchronized List<StoredMachine> list(MachineQuery query) {
        StringBuilder sql = new StringBuilder("SELECT * FROM machines WHERE seq > ?");
        List<Object> args = new ArrayList<>(List.of(query.after()));
        if (!query.states().isEmpty()) {
            sql.append(" AND state IN (").append(String.join(", ", query.states().stream().map(s -> "?").toList())).append(')');
            query.states().stream().map(MachineState::name).sorted().forEach(args::add);
        }
        query.name().ifPresent(name -> {
            sql.append(" AND name = ?");
            args.add(name);
        });
        for (Map.Entry<String, String> pair : query.metadata().entrySet()) {
            // json_extract takes a path; quoting the key keeps '.' and '/' in keys literal.
            sql.append(" AND json_extract(metadata, ?) = ?");
            args.add("$.\"" + pair.getKey().replace("\"", "") + "\"");
            args.add(pair.getValue());
        }
        sql.append(" ORDER BY seq LIMIT ?");
        args.add(query.limit() + 1);
        try {
            return query(sql.toString(), args);
        } catch (SQLException e) {
            throw failure("list machines", e);
        }
    }

    private List<StoredMachine> query(String sql, List<?> args) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            bind(s, args);
            try (ResultSet rs = s.executeQuery()) {
                List<StoredMachine> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(row(rs));
                }
                return rows;
            }
        }
    }

    private void update(String sql, List<?> args) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            bind(s, args);
            s.executeUpdate();
        }
    }

    private static void bind(PreparedStatement s, List<?> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            s.setObject(i + 1, args.get(i));
        }
    }

    private static void setInstant(PreparedStatement s, int index, Optional<Instant> instant) throws SQLException {
        if (instant.isPresent()) {
            s.setLong(index, instant.get().toEpochMilli());
        } else {
            s.setNull(index, java.sql.Types.INTEGER);
        }
    }

    private static StoredMachine row(ResultSet rs) throws SQLException {
        long pid = rs.getLong("host_pid");
        OptionalLong hostPid = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(pid);
        return new StoredMachine(rs.getLong("seq"), rs.getString("id"),
                MachineJson.reportedConfig(MachineJson.parse(rs.getString("config"), "stored config")),
                MachineState.valueOf(rs.getString("state")), Instant.ofEpochMilli(rs.getLong("created_at")),
                instant(rs, "started_at"), Optional.ofNullable(rs.getString("last_stop_reason")).filter(r -> !r.isEmpty()),
                hostPid, instant(rs, "host_started_at"));
    }

    private static Optional<Instant> instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
    }

    /** The stored config as written, for re-defining an adopted machine with every check of this host. */
    synchronized String configJson(String id) {
        try (PreparedStatement s = connection.prepareStatement("SELECT config FROM machines WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw MachineNotFoundException.of(id);
                }
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw failure("read the config of machine " + id, e);
        }
    }

    private FlintException failure(String what, SQLException e) {
        return new FlintException("could not " + what + " in the machine store " + file + ": " + e.getMessage(), e);
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // WAL content is durable; nothing is lost by a failed close.
        }
    }
}
