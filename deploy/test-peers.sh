# Test peers: installs (Debian packages) and checks the real components the
# test suite talks to. Sourced by deploy/test.sh; every function is
# idempotent, and `apt-get update` runs at most once per run.

APT_UPDATED=""

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "satupintu tests: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        echo "satupintu tests: please install: ${missing[*]}" >&2
        return 1
    fi
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    echo "== installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

need_rust() {
    if ! command -v cargo >/dev/null; then
        echo "satupintu tests: cargo not found; install Rust 1.85 or newer (https://rustup.rs)" >&2
        exit 1
    fi
}

pg_reachable() {
    # $1: host, $2: port
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h "$1" -p "$2"
    else
        (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
    fi
}

# PostgreSQL for the store tests. The tests create (and drop) one database
# per test through SATUPINTU_TEST_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/test. When nothing listens there and
# the default is in use, PostgreSQL is installed and started, and a
# dedicated role with CREATEDB is created for the tests.
ensure_postgres() {
    local default_url="postgres://postgres@127.0.0.1:5432/test"
    local url="${SATUPINTU_TEST_DATABASE_URL:-$default_url}"
    if pg_reachable 127.0.0.1 5432 || [ "$url" != "$default_url" ]; then
        export SATUPINTU_TEST_DATABASE_URL="$url"
        return 0
    fi
    echo "== PostgreSQL not reachable on 127.0.0.1:5432; installing and starting it"
    apt_install postgresql
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_reachable 127.0.0.1 5432 && break; sleep 1; done
    if ! pg_reachable 127.0.0.1 5432; then
        echo "satupintu tests: PostgreSQL did not start; the store tests need it at $url" >&2
        exit 1
    fi
    as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='satupintu_test'\" | grep -q 1 || psql -qc \"CREATE ROLE satupintu_test LOGIN CREATEDB PASSWORD 'satupintu_test'\""
    as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='satupintu_test'\" | grep -q 1 || createdb -O satupintu_test satupintu_test"
    export SATUPINTU_TEST_DATABASE_URL="postgres://satupintu_test:satupintu_test@127.0.0.1:5432/satupintu_test"
}

# Dovecot (IMAP) and an SMTP server (aiosmtpd) for the e-mail tests. Each
# test starts its own Dovecot from a configuration in a temporary
# directory, on a free loopback port, and stops it by PID; the Debian
# service is neither started nor needed.
ensure_mail_peers() {
    apt_install dovecot-imapd python3-aiosmtpd
}

# Kannel for the SMS channel tests: bearerbox and smsbox from `kannel`, the
# test SMSC `fakesmsc` from `kannel-extras`. The tests start their own
# boxes on free ports; the packaged service is not used.
KANNEL_FAKESMSC=/usr/lib/kannel/test/fakesmsc
ensure_kannel() {
    apt_install kannel kannel-extras
    if [ ! -x /usr/sbin/bearerbox ] || [ ! -x /usr/sbin/smsbox ] || [ ! -x "$KANNEL_FAKESMSC" ]; then
        echo "satupintu tests: Kannel is installed but bearerbox, smsbox or $KANNEL_FAKESMSC is missing" >&2
        exit 1
    fi
}
