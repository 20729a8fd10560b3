package dev.flint.image.store;

import dev.flint.image.ImageException;

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
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The store's names: {@code refs.db} (SQLite, WAL, so a second process reads while one writes)
 * maps each reference to its manifest, and each manifest to the blobs and uncompressed layers it
 * needs, which is what prune keeps.
 */
public final class RefDatabase implements AutoCloseable {
    static final String FILE_NAME = "refs.db";
    private static final int SCHEMA_VERSION = 1;
    /** {@code manifest_files.kind} of a file under {@code blobs/}. */
    public static final String BLOB = "blob";
    /** {@code manifest_files.kind} of a file under {@code layers/}. */
    public static final String LAYER = "layer";

    private final Connection connection;
    private final Path file;

    private RefDatabase(Connection connection, Path file) {
        this.connection = connection;
        this.file = file;
    }

    public static RefDatabase open(Path directory) {
        Path file = directory.resolve(FILE_NAME);
        try {
            Files.createDirectories(directory);
            RefDatabase db = new RefDatabase(DriverManager.getConnection("jdbc:sqlite:" + file), file);
            db.prepare();
            return db;
        } catch (IOException | SQLException e) {
            throw new ImageException("cannot open the image references " + file + ": " + e.getMessage()
                    + "; check that the directory is writable (FLINT_HOME picks another)", e);
        }
    }

    private void prepare() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA busy_timeout=10000");
            int version;
            try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                version = rs.getInt(1);
            }
            if (version > SCHEMA_VERSION) {
                throw new SQLException("the image store was written by a newer Flint (schema " + version
                        + "); use that Flint or another FLINT_HOME");
            }
            s.execute("""
                    CREATE TABLE IF NOT EXISTS refs (
                      reference TEXT PRIMARY KEY,
                      manifest_digest TEXT NOT NULL,
                      config_digest TEXT NOT NULL,
                      size INTEGER NOT NULL,
                      pulled_at INTEGER NOT NULL,
                      last_used INTEGER NOT NULL)""");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS manifest_files (
                      manifest_digest TEXT NOT NULL,
                      kind TEXT NOT NULL,
                      digest TEXT NOT NULL,
                      PRIMARY KEY (manifest_digest, kind, digest))""");
            s.execute("PRAGMA user_version=" + SCHEMA_VERSION);
        }
    }

    /** Records (or replaces) {@code reference} and the files its manifest needs, in one transaction. */
    public synchronized void record(StoredReference reference, Collection<String> blobDigests,
                                    Collection<String> layerDiffIds) {
        try {
            connection.setAutoCommit(false);
            try (PreparedStatement ref = connection.prepareStatement("INSERT OR REPLACE INTO refs VALUES (?,?,?,?,?,?)");
                 PreparedStatement files = connection.prepareStatement(
                         "INSERT OR IGNORE INTO manifest_files VALUES (?,?,?)")) {
                ref.setString(1, reference.reference());
                ref.setString(2, reference.manifestDigest());
                ref.setString(3, reference.configDigest());
                ref.setLong(4, reference.size());
                ref.setLong(5, reference.pulledAt().toEpochMilli());
                ref.setLong(6, reference.lastUsed().toEpochMilli());
                ref.executeUpdate();
                addFiles(files, reference.manifestDigest(), BLOB, blobDigests);
                addFiles(files, reference.manifestDigest(), LAYER, layerDiffIds);
                files.executeBatch();
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failure("record " + reference.reference(), e);
        }
    }

    private static void addFiles(PreparedStatement s, String manifest, String kind, Collection<String> digests)
            throws SQLException {
        for (String digest : digests) {
            s.setString(1, manifest);
            s.setString(2, kind);
            s.setString(3, digest);
            s.addBatch();
        }
    }

    public synchronized Optional<StoredReference> find(String reference) {
        List<StoredReference> rows = query("SELECT * FROM refs WHERE reference = ?", reference);
        return rows.stream().findFirst();
    }

    /** Every reference, by name. */
    public synchronized List<StoredReference> list() {
        return query("SELECT * FROM refs ORDER BY reference");
    }

    public synchronized void touch(String reference, Instant when) {
        update("UPDATE refs SET last_used = ? WHERE reference = ?", when.toEpochMilli(), reference);
    }

    /** Forgets {@code reference} (its files stay until prune); whether it was there. */
    public synchronized boolean remove(String reference) {
        return update("DELETE FROM refs WHERE reference = ?", reference) > 0;
    }

    /**
     * Forgets the files of manifests no reference names, then returns the hex digests still
     * needed: {@code [blobs, layers]}.
     */
    public synchronized List<Set<String>> neededFiles() {
        update("DELETE FROM manifest_files WHERE manifest_digest NOT IN (SELECT manifest_digest FROM refs)");
        Set<String> blobs = new HashSet<>();
        Set<String> layers = new HashSet<>();
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT kind, digest FROM manifest_files")) {
            while (rs.next()) {
                String hex = rs.getString(2).substring("sha256:".length());
                (BLOB.equals(rs.getString(1)) ? blobs : layers).add(hex);
            }
        } catch (SQLException e) {
            throw failure("read the files images need", e);
        }
        return List.of(blobs, layers);
    }

    private List<StoredReference> query(String sql, Object... args) {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                List<StoredReference> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(new StoredReference(rs.getString("reference"), rs.getString("manifest_digest"),
                            rs.getString("config_digest"), rs.getLong("size"),
                            Instant.ofEpochMilli(rs.getLong("pulled_at")), Instant.ofEpochMilli(rs.getLong("last_used"))));
                }
                return rows;
            }
        } catch (SQLException e) {
            throw failure("read image references", e);
        }
    }

    private int update(String sql, Object... args) {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            return s.executeUpdate();
        } catch (SQLException e) {
            throw failure("update image references", e);
        }
    }

    private ImageException failure(String what, SQLException e) {
        return new ImageException("could not " + what + " in " + file + ": " + e.getMessage(), e);
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
