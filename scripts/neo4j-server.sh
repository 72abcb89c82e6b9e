#!/usr/bin/env bash
# A Neo4j server for development and tests: Neo4j Community with the Graph Data Science
# plugin, from the jars named in tools/neo4j-server/pom.xml (fetched from Maven Central once,
# then cached), listening on 127.0.0.1 only. Not for production: point Sunlight at your own
# Neo4j with NEO4J_URI instead (docs/neo4j.md).
#
#   bash scripts/neo4j-server.sh start DIR [PORT]   # prints NEO4J_URI=, NEO4J_USERNAME=, NEO4J_PASSWORD=
#   bash scripts/neo4j-server.sh stop DIR
#
# DIR keeps the database, its log and its password; a second start on the same DIR reuses them.
# Jars are cached in $SUNLIGHT_NEO4J_CACHE (default ~/.cache/sunlight/neo4j-server), one folder
# per version of the pom. $SUNLIGHT_NEO4J_HEAP sets the Java heap (default 1g).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOL="$ROOT/tools/neo4j-server"
START_TIMEOUT=${SUNLIGHT_NEO4J_START_TIMEOUT:-180}
STOP_TIMEOUT=60

usage() {
    echo "usage: $0 start DIR [PORT] | stop DIR" >&2
    exit 2
}

fail() {
    echo "neo4j-server: $*" >&2
    exit 1
}

# The jars, resolved into a cache folder keyed by the pom's content (a new version resolves anew).
resolve_jars() {
    local cache key dest tmp
    cache=${SUNLIGHT_NEO4J_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sunlight/neo4j-server}
    key=$(sha256sum "$TOOL/pom.xml" | cut -c1-16)
    dest="$cache/$key"
    if [ ! -f "$dest/complete" ]; then
        command -v mvn >/dev/null || fail "Maven (mvn) is needed to fetch Neo4j's jars the first time"
        mkdir -p "$cache"
        tmp=$(mktemp -d "$cache/resolving.XXXXXX")
        echo "neo4j-server: fetching Neo4j and GDS jars into $dest (once)" >&2
        if ! mvn -B -q -f "$TOOL/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1 ||
            ! mvn -B -q -f "$TOOL/pom.xml" dependency:copy-dependencies -DincludeGroupIds=org.neo4j.gds \
                -DoutputDirectory="$tmp/plugins" >>"$tmp/mvn.log" 2>&1; then
            cat "$tmp/mvn.log" >&2
            rm -rf "$tmp"
            fail "could not fetch the jars named in $TOOL/pom.xml"
        fi
        touch "$tmp/complete"
        # another start may have finished first: keep whichever folder arrived first
        mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
    fi
    echo "$dest"
}

# True when a Bolt server answers a handshake on 127.0.0.1:$1 (agrees on a protocol version).
bolt_answers() {
    local reply
    reply=$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "\x60\x60\xb0\x17\x00\x04\x04\x05\x00\x00\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00" >&3
        head -c 4 <&3 | od -An -tx1 | tr -d " \n"' _ "$1" 2>/dev/null) || return 1
    [ -n "$reply" ] && [ "$reply" != "00000000" ]
}

running_pid() {
    local pid
    [ -f "$1/neo4j.pid" ] || return 1
    pid=$(cat "$1/neo4j.pid")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

print_env() {
    echo "NEO4J_URI=bolt://127.0.0.1:$(cat "$1/port")"
    echo "NEO4J_USERNAME=neo4j"
    echo "NEO4J_PASSWORD=$(cat "$1/password")"
}

start() {
    local dir=$1 port=${2:-7687} jars pid waited set_password=""
    [[ "$port" =~ ^[0-9]+$ ]] || fail "PORT must be a number, not '$port'"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if pid=$(running_pid "$dir"); then
        [ "$(cat "$dir/port")" = "$port" ] || fail "a server (pid $pid) already runs in $dir on port $(cat "$dir/port")"
        print_env "$dir"
        return 0
    fi
    if bolt_answers "$port"; then
        fail "port $port on 127.0.0.1 is already taken by another server"
    fi
    command -v java >/dev/null || fail "Java 17 or 21 is needed (java not found)"
    jars=$(resolve_jars)
    if [ ! -s "$dir/password" ]; then
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/password")
        set_password=$(cat "$dir/password")
    fi
    echo "$port" >"$dir/port"
    cat >"$dir/neo4j.conf" <<CONF
server.default_listen_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$port
server.bolt.advertised_address=127.0.0.1:$port
dbms.security.auth_enabled=true
server.directories.plugins=$jars/plugins
dbms.security.procedures.unrestricted=gds.*
server.memory.pagecache.size=${SUNLIGHT_NEO4J_PAGECACHE:-256m}
db.tx_log.rotation.retention_policy=2 files
dbms.usage_report.enabled=false
CONF
    local opens=()
    for pkg in java.base/java.lang java.base/java.nio java.base/java.io java.base/java.util \
        java.base/java.util.concurrent java.base/sun.net.www.protocol.http java.base/sun.nio.ch \
        java.base/java.lang.invoke java.base/java.util.stream jdk.compiler/com.sun.tools.javac.api; do
        opens+=("--add-opens=$pkg=ALL-UNNAMED")
    done
    # setsid: the server outlives the shell that started it until `stop`
    SUNLIGHT_NEO4J_SET_PASSWORD=$set_password setsid java "${opens[@]}" -Xmx"${SUNLIGHT_NEO4J_HEAP:-1g}" \
        -XX:+UseG1GC -cp "$jars/lib/*" "$TOOL/Launcher.java" "$dir/home" "$dir/neo4j.conf" \
        >"$dir/neo4j.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/neo4j.pid"
    waited=0
    until grep -q "sunlight-neo4j: ready" "$dir/neo4j.log" 2>/dev/null && bolt_answers "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$dir/neo4j.log" >&2
            rm -f "$dir/neo4j.pid"
            [ -z "$set_password" ] || rm -f "$dir/password"
            fail "Neo4j stopped during start-up (log: $dir/neo4j.log)"
        fi
        if [ "$waited" -ge "$((START_TIMEOUT * 2))" ]; then
            kill -TERM "$pid" 2>/dev/null || true
            fail "Neo4j did not answer on 127.0.0.1:$port within ${START_TIMEOUT}s (log: $dir/neo4j.log)"
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    print_env "$dir"
}

stop() {
    local dir=$1 pid waited=0
    [ -d "$dir" ] || fail "no server folder $dir"
    if ! pid=$(running_pid "$dir"); then
        rm -f "$dir/neo4j.pid"
        echo "neo4j-server: no server running in $dir" >&2
        return 0
    fi
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge "$((STOP_TIMEOUT * 10))" ]; then
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$dir/neo4j.pid"
            fail "Neo4j (pid $pid) did not stop within ${STOP_TIMEOUT}s and was killed"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "$dir/neo4j.pid"
}

case "${1:-}" in
start) [ $# -ge 2 ] && [ $# -le 3 ] || usage; start "$2" "${3:-}" ;;
stop) [ $# -eq 2 ] || usage; stop "$2" ;;
*) usage ;;
esac
