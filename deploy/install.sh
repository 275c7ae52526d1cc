#!/usr/bin/env bash
# Installs zwfw on a production host (Debian 12) from a build directory;
# docs/operations.md says what to do before and after. Run as root:
#
#   deploy/install.sh [--build-dir DIR] [--prefix DIR] [--root DIR]
#                     [--user NAME] [--dry-run]
#
#   --build-dir DIR  the build to install (default $BUILD_DIR, else build/
#                    beside deploy/): DIR/bin/zwfw-*, zwfwctl, DIR/lib/libzwfw.so
#   --prefix DIR     where programs and shipped data go (default /usr/local):
#                    PREFIX/bin, PREFIX/lib/zwfw, PREFIX/share/zwfw,
#                    PREFIX/share/doc/zwfw
#   --root DIR       a staging root: every file goes under DIR (DIR/etc/zwfw,
#                    DIR/PREFIX/bin, ...) but names its final paths, as a
#                    package would; no user is made, nothing is reloaded
#   --user NAME      the account the daemons run as (default zwfw; made as a
#                    system user with its own group if missing)
#   --dry-run        say what would be done; change nothing
#
# What it does, every step idempotent (run it again after every upgrade):
#   - the user, if missing;
#   - programs: zwfw-broker, -intake, -workflow, -rating, -report, -xregion
#     and zwfwctl to PREFIX/bin, libzwfw.so to PREFIX/lib/zwfw (with an
#     ld.so.conf.d entry); replaced when they differ;
#   - shipped data to PREFIX/share/zwfw, in the source tree's layout (what
#     ZWFW_SOURCE_DIR names): migrations (common/sql, services/*/sql), the
#     working-day calendar, division codes, workflow definitions, the
#     sample catalog; the example configs in PREFIX/share/zwfw/config-examples;
#   - keys in /etc/zwfw/keys (0700, the user's): a CURVE pair for the
#     broker, each daemon (`system` keys), the operator's zwfwctl and the
#     partner link, made with `zwfwctl keygen` when missing (secret 0600,
#     public 0644), and the data key data.key (64 hex digits, 0600) that
#     seals personal data. An existing key is NEVER replaced;
#   - /etc/zwfw/keys.json, the key registry, written from those keys when
#     missing (else checked: a key of ours it lacks is reported);
#   - /etc/zwfw/zwfw-<daemon>.json from the examples, only when missing
#     (0640, root and the user's group), and /etc/zwfw/zwfwctl.env;
#   - the systemd units (zwfw-*.service, zwfw.target) to /etc/systemd/system,
#     replaced when they differ, then systemctl daemon-reload.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
daemons=(zwfw-broker zwfw-intake zwfw-workflow zwfw-rating zwfw-report zwfw-xregion)
programs=("${daemons[@]}" zwfwctl)
# The CURVE pairs made here: the broker's, one `system` key per worker
# daemon (named after it without "zwfw-"), the operator's, the link's.
system_keys=(intake workflow rating report xregion)
all_keys=(broker "${system_keys[@]}" operator link)
# Division code written into the registry entries made here (Tongnan).
region=500152

build=${BUILD_DIR:-$src/build}
prefix=/usr/local
root=""
user=zwfw
dry=0

usage() {
  sed -n '/^#   deploy\/install.sh/,/^#   --dry-run/p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  echo "zwfw-install: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir | --prefix | --root | --user)
      [ $# -ge 2 ] && [ -n "$2" ] || { echo "zwfw-install: $1 needs a value" >&2; usage >&2; exit 2; }
      case "$1" in
        --build-dir) build=$2 ;;
        --prefix) prefix=$2 ;;
        --root) root=$2 ;;
        --user) user=$2 ;;
      esac
      shift 2
      ;;
    --build-dir=* | --prefix=* | --root=* | --user=*)
      v=${1#*=}
      [ -n "$v" ] || { echo "zwfw-install: ${1%%=*} needs a value" >&2; exit 2; }
      case "$1" in
        --build-dir=*) build=$v ;;
        --prefix=*) prefix=$v ;;
        --root=*) root=$v ;;
        --user=*) user=$v ;;
      esac
      shift
      ;;
    --dry-run) dry=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "zwfw-install: unexpected argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

# The prefix is written into units and configs: keep it a plain path.
case "$prefix" in
  /*) ;;
  *) echo "zwfw-install: --prefix must be an absolute path, got '$prefix'" >&2; exit 2 ;;
esac
prefix=${prefix%/}
if [ -z "$prefix" ]; then
  echo "zwfw-install: --prefix / would put zwfw's files among the system's: use /usr/local or /opt/zwfw" >&2
  exit 2
fi
if ! [[ "$prefix" =~ ^[A-Za-z0-9._/+-]+$ ]]; then
  echo "zwfw-install: --prefix may hold only letters, digits and . _ / + -, got '$prefix'" >&2
  exit 2
fi
if ! [[ "$user" =~ ^[a-z_][a-z0-9_-]*$ ]]; then
  echo "zwfw-install: --user: '$user' is not a user name" >&2
  exit 2
fi
if [ -n "$root" ]; then
  case "$root" in /*) ;; *) root=$(pwd)/$root ;; esac
  root=${root%/}
  [ -n "$root" ] || die "--root / is the real system: leave --root out"
fi

log() { echo "zwfw-install: $*"; }
# Files are made in a scratch folder first, removed on exit.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/zwfw-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# Every change goes through act: under --dry-run it is only said.
act() { # DESCRIPTION CMD...
  local what=$1
  shift
  if [ "$dry" = 1 ]; then
    log "would $what"
  else
    log "$what"
    "$@"
  fi
}

is_root=0
[ "$(id -u)" = 0 ] && is_root=1
if [ $is_root = 0 ] && [ -z "$root" ] && [ $dry = 0 ]; then
  die "run as root (or stage with --root DIR, or look first with --dry-run)"
fi

bindir=$prefix/bin
libdir=$prefix/lib/zwfw
datadir=$prefix/share/zwfw
docdir=$prefix/share/doc/zwfw
etc=/etc/zwfw
keys=$etc/keys
unitdir=/etc/systemd/system
R=$root # every path below is written as "$R$path"

# --- the build -------------------------------------------------------------
for p in "${programs[@]}"; do
  [ -x "$build/bin/$p" ] || die "$build/bin/$p is not built (--build-dir DIR, or build first: cmake -S $src -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build)"
done
[ -f "$build/lib/libzwfw.so" ] || die "$build/lib/libzwfw.so is not built"
build=$(cd "$build" && pwd)
ctl=$build/bin/zwfwctl

# --- what must not be touched ------------------------------------------------------
# Checked before any change: a key this run would have to replace, or a data
# key it cannot read, stops it with the system as it was.
public_key_of() { # FILE: the public key (Z85) in a key file ("" if none)
  [ -f "$1" ] || return 0
  sed -nE 's/^[[:space:]]*public-key[[:space:]]*=[[:space:]]*"?([^"[:space:]]+)"?.*/\1/p' "$1" | head -n 1
}
for name in "${all_keys[@]}"; do
  k=$R$keys/$name
  if [ -f "$k.key" ] && [ ! -f "$k.secret" ]; then
    die "$keys/$name.key exists without $name.secret: put the secret back, or move $name.key away to make a new pair (and register the new public key wherever the old one was)"
  fi
  if [ -f "$k.secret" ] && [ -z "$(public_key_of "$k.secret")" ]; then
    die "$keys/$name.secret holds no public key: put the right file back, or move it away to make a new pair"
  fi
done
if [ -f "$R$keys/data.key" ] && ! tr -d ' \r\n' <"$R$keys/data.key" | grep -qE '^[0-9a-fA-F]{64}$'; then
  die "$keys/data.key exists but is not 64 hex digits: it is never replaced; put the right one back (docs/operations.md \"Backups\")"
fi

# --- the user ----------------------------------------------------------------
owner=root group=root
if getent passwd "$user" >/dev/null; then
  owner=$user
  group=$(id -gn "$user")
elif [ -n "$root" ]; then
  log "--root: the user '$user' is not made on this host; staged files stay root's (chown -R $user: $keys and chgrp $user $etc/*.json once they are in place)"
  group=$user
else
  act "make the system user $user (group $user, no home, no login)" \
    useradd --system --user-group --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin --comment "zwfw daemons" "$user"
  if [ $dry = 1 ]; then owner=$user group=$user; else owner=$user group=$(id -gn "$user"); fi
fi
# chown only where it means something: as root, to an existing account.
can_chown=0
if [ $is_root = 1 ] && { [ $dry = 1 ] || getent passwd "$owner" >/dev/null; }; then can_chown=1; fi
own() { # OWNER:GROUP PATH...
  if [ $can_chown = 1 ]; then chown "$@"; fi
}
staged_group=$group
[ $can_chown = 1 ] && [ "$owner" != root ] || staged_group=root

# --- files -------------------------------------------------------------------
# mkdirp PATH MODE OWNER:GROUP [shared]: a folder of ours gets MODE and
# OWNER every run; a shared one (/etc, PREFIX/bin ...) only when made here.
mkdirp() {
  local d=$R$1 made=0
  if [ ! -d "$d" ]; then
    act "create $1" mkdir -p "$d"
    made=1
  fi
  if [ $dry = 0 ] && { [ $made = 1 ] || [ "${4:-}" != shared ]; }; then
    chmod "$2" "$d"
    own "$3" "$d"
  fi
}

# put SRC DEST MODE [FILTER]: DEST (under the root) becomes SRC passed
# through FILTER (a command reading stdin), replaced atomically and only
# when it differs. Prints what it did.
put() {
  local from=$1 dest=$2 mode=$3 filter=${4:-cat}
  local d=$R$dest tmp
  tmp=$(mktemp "$scratch/put.XXXXXX")
  $filter <"$from" >"$tmp"
  if [ -f "$d" ] && cmp -s "$tmp" "$d"; then
    rm -f "$tmp"
    [ $dry = 1 ] || chmod "$mode" "$d"
    return 0
  fi
  local verb=install
  [ -e "$d" ] && verb=update
  if [ $dry = 1 ]; then
    log "would $verb $dest"
    rm -f "$tmp"
    return 0
  fi
  log "$verb $dest"
  # A new name in the same folder, then rename(2): a running daemon keeps
  # its old binary, a reader never sees half a file.
  local next
  next=$(mktemp "$(dirname "$d")/.zwfw-install.XXXXXX")
  cat "$tmp" >"$next"
  rm -f "$tmp"
  chmod "$mode" "$next"
  mv -f "$next" "$d"
}

# The units and configs name /usr/local and the user zwfw: the ones
# installed name this installation's.
subst() {
  sed -e "s|/usr/local/|$prefix/|g" -e "s|^User=zwfw\$|User=$user|" -e "s|^Group=zwfw\$|Group=$group|"
}

for d in "$prefix" "$bindir" "$prefix/lib" "$prefix/share" "$prefix/share/doc" /etc \
  /etc/systemd $unitdir /etc/ld.so.conf.d; do
  mkdirp "$d" 0755 root:root shared
done
mkdirp "$libdir" 0755 root:root
mkdirp "$datadir" 0755 root:root
mkdirp "$docdir" 0755 root:root
mkdirp $etc 0755 root:root
mkdirp $keys 0700 "$owner:$staged_group"

# --- programs ------------------------------------------------------------------
# Taken from `cmake --install` into a scratch folder: the programs carry
# the install RUNPATH ($ORIGIN/../lib/zwfw, the library beside them under
# any prefix), not the build tree's.
stage=$scratch/stage
cmake --install "$build" --prefix "$stage" >"$scratch/cmake-install.log" 2>&1 ||
  die "cmake --install $build failed: $(tail -n 3 "$scratch/cmake-install.log")"
for f in lib/zwfw/libzwfw.so "${programs[@]/#/bin/}"; do
  [ -f "$stage/$f" ] || die "cmake --install $build did not give $f: build it again (cmake --build $build)"
done
put "$stage/lib/zwfw/libzwfw.so" "$libdir/libzwfw.so" 0644
for p in "${programs[@]}"; do
  put "$stage/bin/$p" "$bindir/$p" 0755
done
printf '# zwfw: libzwfw.so (deploy/install.sh)\n%s\n' "$libdir" >"$scratch/zwfw.conf"
put "$scratch/zwfw.conf" /etc/ld.so.conf.d/zwfw.conf 0644
if [ -z "$root" ]; then
  act "run ldconfig" ldconfig
fi

# --- shipped data ------------------------------------------------------------------
# In the source tree's layout: ZWFW_SOURCE_DIR=$datadir finds the
# migrations (zwfw-intake's "migrate", zwfwctl db migrate) and the workflow
# definitions; the configs name the calendar and regions files.
data_file() { # PATH-IN-SOURCE
  local rel=$1
  mkdirp "$datadir/$(dirname "$rel")" 0755 root:root
  put "$src/$rel" "$datadir/$rel" 0644
}
for dir in "$datadir/common" "$datadir/services" "$datadir/deploy"; do mkdirp "$dir" 0755 root:root; done
shopt -s nullglob
for f in "$src"/common/sql/*.sql "$src"/services/*/sql/*.sql; do data_file "${f#"$src"/}"; done
data_file deploy/calendar/cn.json
data_file deploy/regions.json
for f in "$src"/deploy/workflow/*.json "$src"/deploy/catalog/*.json; do data_file "${f#"$src"/}"; done
mkdirp "$datadir/config-examples" 0755 root:root
for f in "$src"/deploy/config/*.example.json; do
  put "$f" "$datadir/config-examples/$(basename "$f")" 0644 subst
done
shopt -u nullglob
if [ -f "$src/docs/operations.md" ]; then put "$src/docs/operations.md" "$docdir/operations.md" 0644; fi

# --- keys ---------------------------------------------------------------------------
key_pair() { # NAME
  local name=$1 k=$R$keys/$1
  if [ -f "$k.secret" ] && [ -f "$k.key" ]; then
    :
  elif [ -f "$k.secret" ]; then
    # NAME.secret holds the public key too: write NAME.key again from it
    # (whoever trusts this key holds that public key already).
    local pk
    pk=$(public_key_of "$k.secret")
    if [ $dry = 1 ]; then
      log "would write $keys/$name.key again from $name.secret"
    else
      log "write $keys/$name.key again from $name.secret"
      (umask 022 && printf '# zwfw CURVE public key "%s" (written again from %s.secret)\npublic-key = "%s"\n' \
        "$name" "$name" "$pk" >"$k.key")
    fi
  else
    if [ $dry = 1 ]; then
      log "would make the CURVE key pair $keys/$name.secret + $name.key (zwfwctl keygen)"
    else
      log "make the CURVE key pair $keys/$name.secret + $name.key"
      local out
      out=$("$ctl" keygen "$name" --dir "$R$keys" 2>&1 >/dev/null) || die "zwfwctl keygen $name: $out"
    fi
  fi
  if [ $dry = 0 ]; then
    chmod 0600 "$k.secret"
    chmod 0644 "$k.key"
    own "$owner:$staged_group" "$k.secret" "$k.key"
  fi
}
for name in "${all_keys[@]}"; do key_pair "$name"; done

# The data key: personal data (ID and phone numbers) at rest is sealed with
# it. Lose it and that data is lost; replace it and the data already
# sealed can no longer be read. So: made once, never replaced.
datakey=$R$keys/data.key
if [ -f "$datakey" ]; then
  : # checked above
elif [ $dry = 1 ]; then
  log "would make the data key $keys/data.key (64 hex digits, 0600)"
else
  log "make the data key $keys/data.key (64 hex digits, 0600): back it up (docs/operations.md \"Backups\")"
  (umask 077 && head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$datakey.tmp" && echo >>"$datakey.tmp")
  tr -d '\n' <"$datakey.tmp" | grep -qE '^[0-9a-f]{64}$' || die "could not make $keys/data.key"
  mv -n "$datakey.tmp" "$datakey"
  rm -f "$datakey.tmp"
fi
if [ $dry = 0 ]; then
  chmod 0600 "$datakey"
  own "$owner:$staged_group" "$datakey"
fi

# --- the key registry --------------------------------------------------------------
registry=$R$etc/keys.json
registry_entry() { # NAME ROLE COMMENT
  printf '    {"name": "%s", "public_key": "%s", "role": "%s", "region": "%s",\n     "department": "", "comment": "%s"}' \
    "$1" "$(public_key_of "$R$keys/$1.key")" "$2" "$region" "$3"
}
if [ ! -f "$registry" ]; then
  if [ $dry = 1 ]; then
    log "would write the key registry $etc/keys.json (the daemons' system keys and the operator key)"
  else
    log "write the key registry $etc/keys.json (the daemons' system keys and the operator key)"
    tmp=$(mktemp "$R$etc/.keys.json.XXXXXX")
    {
      echo '{"comment": "zwfw key registry (docs/protocol.md section 7, docs/operations.md). Add keys, then: systemctl reload zwfw-broker",'
      echo ' "keys": ['
      sep=""
      for name in "${system_keys[@]}"; do
        printf '%s' "$sep"
        registry_entry "$name" system "zwfw-$name daemon (deploy/install.sh)"
        sep=$',\n'
      done
      printf '%s' "$sep"
      registry_entry operator operator "zwfwctl of this host's operator (deploy/install.sh)"
      printf '\n]}\n'
    } >"$tmp"
    chmod 0644 "$tmp"
    mv -n "$tmp" "$registry"
    rm -f "$tmp"
  fi
elif [ $dry = 0 ]; then
  for name in "${system_keys[@]}" operator; do
    pk=$(public_key_of "$R$keys/$name.key")
    if [ -n "$pk" ] && ! grep -qF "\"$pk\"" "$registry"; then
      log "WARNING: $etc/keys.json lacks the public key of $keys/$name.key ($pk): add it (docs/operations.md \"Keys and the registry\") and reload the broker"
    fi
  done
fi

# --- configs --------------------------------------------------------------------------
for d in "${daemons[@]}"; do
  cfg=$R$etc/$d.json
  if [ -f "$cfg" ]; then
    continue
  fi
  if [ $dry = 1 ]; then
    log "would write $etc/$d.json from deploy/config/$d.example.json"
    continue
  fi
  log "write $etc/$d.json from deploy/config/$d.example.json: edit it (db_conninfo, endpoints)"
  tmp=$(mktemp "$R$etc/.$d.json.XXXXXX")
  subst <"$src/deploy/config/$d.example.json" >"$tmp"
  chmod 0640 "$tmp"
  own "root:$staged_group" "$tmp"
  mv -n "$tmp" "$cfg"
  rm -f "$tmp"
done

envfile=$R$etc/zwfwctl.env
if [ ! -f "$envfile" ]; then
  if [ $dry = 1 ]; then
    log "would write $etc/zwfwctl.env (zwfwctl's settings on this host)"
  else
    log "write $etc/zwfwctl.env (zwfwctl's settings on this host: . $etc/zwfwctl.env)"
    tmp=$(mktemp "$R$etc/.zwfwctl.env.XXXXXX")
    cat >"$tmp" <<ENV
# zwfwctl on this host (docs/operations.md): . $etc/zwfwctl.env
# The broker, as the operator (the key registry's entry "operator").
export ZWFW_ENDPOINT=tcp://127.0.0.1:5555
export ZWFW_KEY=$keys/operator.secret
export ZWFW_SERVER_KEY=$keys/broker.key
# The database, for zwfwctl db and audit: with peer authentication run those
# as the $user user (runuser -u $user -- zwfwctl audit verify).
export ZWFW_DB='host=/run/postgresql dbname=zwfw user=zwfw'
# The data this installation ships.
export ZWFW_SOURCE_DIR=$datadir
export ZWFW_CALENDAR=$datadir/deploy/calendar/cn.json
export ZWFW_REGIONS=$datadir/deploy/regions.json
export LD_LIBRARY_PATH=$libdir
ENV
    chmod 0644 "$tmp"
    mv -n "$tmp" "$envfile"
    rm -f "$tmp"
  fi
fi

# --- units -------------------------------------------------------------------------------
for d in "${daemons[@]}"; do
  put "$src/deploy/systemd/$d.service" "$unitdir/$d.service" 0644 subst
done
put "$src/deploy/systemd/zwfw.target" "$unitdir/zwfw.target" 0644 subst
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  act "reload systemd (systemctl daemon-reload)" systemctl daemon-reload
fi

# --- what next ---------------------------------------------------------------------------
[ $dry = 1 ] && { log "dry run: nothing was changed"; exit 0; }
where=${root:+ (staged under $root)}
cat <<NEXT

zwfw is installed$where. Next (docs/operations.md):
  1. PostgreSQL (on this host or another): the role and the database
       apt-get install postgresql
       runuser -u postgres -- createuser zwfw
       runuser -u postgres -- createdb -O zwfw -E UTF8 --locale=C.UTF-8 -T template0 zwfw
     keep synchronous_commit on (the default); zwfw-intake makes the schema
     at its first start ("migrate": true).
  2. Edit the configs in $etc: db_conninfo (default: the local server over
     its socket as role zwfw, peer authentication: the daemons' user must
     be zwfw, else map $user to zwfw in pg_ident.conf), the broker's endpoint,
     and the intake's division_code / center_name and xregion's region if
     this is not Tongnan (500152).
  3. Back up $keys/data.key apart from the database backups: without it
     the sealed personal data cannot be read.
  4. Start everything now and at boot:
       systemctl enable --now zwfw.target
       . $etc/zwfwctl.env && zwfwctl status
NEXT
