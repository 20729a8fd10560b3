package dev.flint.machine.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher's AOT cache ({@code ./flint}'s aot_key, aot_cache_file, train_aot, run_cli), sourced
 * in bash against a module path of its own. The program is the JDK's javac ({@code --version}),
 * so the test needs no packaged Flint; the JDK is the one running this test.
 */
class LauncherAotCacheTest {
    private static final Path LAUNCHER = Path.of(System.getProperty("flint.root", "..")).toAbsolutePath().normalize()
            .resolve("flint");
    private static final String JDK = System.getProperty("java.home");

    @TempDir
    Path dir;

    record Result(int status, String out, String err) {
    }

    @BeforeEach
    void moduleDirectory() throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("note.txt"), "a jar on the module path\n");
        Result jar = bash(quoted(JDK + "/bin/jar") + " --create --file \"$LIB_DIR/note.jar\" -C " + quoted(dir.toString()) + " note.txt"
                + " && touch -d @1700000000 \"$LIB_DIR/note.jar\"");
        assertEquals(0, jar.status(), jar.err());
    }

    /** Runs {@code script} after sourcing the launcher, with LIB_DIR, AOT_DIR and the program set to this test's. */
    private Result bash(String script) throws IOException, InterruptedException {
        String prelude = "set -euo pipefail; JAVA_HOME=" + quoted(JDK) + "; source " + quoted(LAUNCHER.toString()) + "\n"
                + "LIB_DIR=" + quoted(dir.resolve("lib").toString()) + " AOT_DIR=" + quoted(dir.resolve("aot").toString())
                + " MAIN_MODULE=jdk.compiler/com.sun.tools.javac.Main AOT_TRAINING=--version\n";
        Process process = new ProcessBuilder("bash", "-c", prelude + script).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "bash did not end");
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8).strip(),
                new String(err, StandardCharsets.UTF_8));
    }

    private static String quoted(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void keyIsStableAndChangesWithAJarsMtimeOrSize() throws Exception {
        Result keys = bash("""
                aot_key "$JAVA_HOME"; aot_key "$JAVA_HOME"
                touch -d @1700000100 "$LIB_DIR/note.jar"; aot_key "$JAVA_HOME"
                echo more >>"$LIB_DIR/note.jar"; touch -d @1700000100 "$LIB_DIR/note.jar"; aot_key "$JAVA_HOME"
                """);
        assertEquals(0, keys.status(), keys.err());
        String[] key = keys.out().split("\n");
        assertEquals(4, key.length, keys.out());
        assertTrue(key[0].matches("[0-9a-f]{12}-[0-9a-f]{12}"), key[0]);
        assertEquals(key[0], key[1]);
        assertNotEquals(key[1], key[2], "a new mtime is a new key");
        assertNotEquals(key[2], key[3], "a new size is a new key");
        assertEquals(key[0].split("-")[0], key[3].split("-")[0], "the runtime part stays");
    }

    @Test
    void noCacheWhenTurnedOffOrBeforeJdk25() throws Exception {
        Files.createDirectories(dir.resolve("jdk21/bin"));
        Files.writeString(dir.resolve("jdk21/release"), "JAVA_VERSION=\"21.0.5\"\n");
        Result result = bash("""
                aot_cache_file "$JAVA_HOME" >/dev/null && echo on
                FLINT_AOT=0 aot_cache_file "$JAVA_HOME" || echo off
                aot_cache_file %s || echo old
                """.formatted(quoted(dir.resolve("jdk21").toString())));
        assertEquals("on\noff\nold", result.out(), result.err());
    }

    @Test
    void trainsOnceAndTheProgramRunsWithTheCache() throws Exception {
        Result result = bash("""
                train_aot "$JAVA_HOME"; f=$(aot_cache_file "$JAVA_HOME"); [[ -s $f ]] && echo trained
                train_aot "$JAVA_HOME"; echo "files: $(ls "$AOT_DIR" | grep -c '\\.aot$')"
                (run_cli --version); (FLINT_AOT=0 run_cli --version)
                """);
        assertEquals(0, result.status(), result.err());
        String[] lines = result.out().split("\n");
        assertEquals(4, lines.length, result.out());
        assertEquals("trained\nfiles: 1", lines[0] + "\n" + lines[1]);
        assertTrue(lines[2].startsWith("javac "), lines[2]);
        assertEquals(lines[3], lines[2], "the same output with the cache as without");
        assertEquals(1, result.err().split("training the JVM's AOT cache", -1).length - 1, "trains once: " + result.err());
    }

    @Test
    void oneShotCommandsGetTheStartingOptionsServeAndImageCommandsKeepTheDefaultsFlintJavaOptsComeLast() throws Exception {
        Result result = bash("""
                jvm_options run -- true; echo "${JVM_OPTIONS[*]}"; jvm_options exec web-1 -- sh; echo "${JVM_OPTIONS[*]}"
                for line in serve "pull alpine" "load x.tar" "run --image alpine -- true" "run --image=alpine"; do
                    jvm_options $line; echo "$line: [${JVM_OPTIONS[*]}]"
                done
                FLINT_JAVA_OPTS='-Xmx1g  -XX:TieredStopAtLevel=4' jvm_options exec; echo "${JVM_OPTIONS[*]}"
                FLINT_JAVA_OPTS='-Xmx1g *' jvm_options serve; printf '<%s>' "${JVM_OPTIONS[@]}"; echo
                """);
        assertEquals(0, result.status(), result.err());
        assertEquals("""
                -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData
                -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData
                serve: []
                pull alpine: []
                load x.tar: []
                run --image alpine -- true: []
                run --image=alpine: []
                -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xmx1g -XX:TieredStopAtLevel=4
                <-Xmx1g><*>""", result.out());
    }

    @Test
    void aStaleCacheIsIgnoredWithAWarningOnStderrOnly() throws Exception {
        // A cache under the right name that no longer fits the jars (rewritten within the key's second).
        Result result = bash("""
                train_aot "$JAVA_HOME"; old=$(aot_cache_file "$JAVA_HOME")
                touch -d @1700000200 "$LIB_DIR/note.jar"; cp "$old" "$(aot_cache_file "$JAVA_HOME")"
                (run_cli --version); FLINT_AOT=0 run_cli --version
                """);
        assertEquals(0, result.status(), result.err());
        String[] lines = result.out().split("\n");
        assertEquals(2, lines.length, "stdout holds the program's output only: " + result.out());
        assertEquals(lines[1], lines[0]);
        assertTrue(result.err().contains("[aot]"), "the JVM says why it ignored the cache: " + result.err());
    }

    @Test
    void aFailedTrainingWarnsOnceAndFailsNothing() throws Exception {
        Result result = bash("""
                AOT_TRAINING=--no-such-option
                train_aot "$JAVA_HOME"; echo "after: $?"; train_aot "$JAVA_HOME"
                ls "$AOT_DIR" | grep -c '\\.aot$' || true
                """);
        assertEquals(0, result.status(), result.err());
        assertEquals("after: 0\n0", result.out());
        assertEquals(1, result.err().split("AOT cache training failed", -1).length - 1, result.err());
    }

    @Test
    void aTrainingUnderWayElsewhereIsNotWaitedFor() throws Exception {
        Result result = bash("""
                mkdir -p "$AOT_DIR"; exec 8>"$AOT_DIR/.train.lock"; flock 8
                (exec 8>&-; train_aot "$JAVA_HOME"); echo "rc $?"; ls "$AOT_DIR" | grep -c '\\.aot$' || true
                """);
        assertEquals("rc 0\n0", result.out(), result.err());
        assertFalse(result.err().contains("training"), result.err());
    }
}
