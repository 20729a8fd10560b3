# Sourced by run-benchmarks.sh and guard.sh: finds a JDK >= 22 and (re)builds the benchmarks jar.
# Sets JAVA and BENCH_JAR.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"
BENCH_JAR="$BENCH_DIR/target/benchmarks.jar"

java_feature() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

find_java() {
  local candidate
  for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/temurin-25*/bin/java "$(command -v java)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(java_feature "$candidate")" -ge 22 ] 2>/dev/null; then
      JAVA="$candidate"
      return 0
    fi
  done
  echo "no JDK 22 or newer found (Flint needs the FFM API): set JAVA_HOME" >&2
  return 1
}

# Rebuilds when the jar is missing or any module's source or pom is newer than it.
ensure_jar() {
  if [ -f "$BENCH_JAR" ] && [ -z "$(find "$REPO_DIR"/{vmm,virtio,guest-agent,benchmarks} "$REPO_DIR/pom.xml" \
        \( -name '*.java' -o -name pom.xml \) -newer "$BENCH_JAR" -not -path '*/target/*' -print -quit)" ]; then
    return 0
  fi
  echo "building $BENCH_JAR ..." >&2
  (cd "$REPO_DIR" && JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")" \
      mvn -B -q -pl benchmarks -am package -DskipTests) >&2
}

find_java && ensure_jar || exit 2
