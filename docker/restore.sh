#!/usr/bin/env bash
# Restore a backup made by backup.sh: checks its checksums first, then replaces LTO's and
# MLflow's databases and the two folders with the backup's contents.
#
#   restore.sh BACKUP_FOLDER [--yes]
#
# Stop everything that writes first (docs/deploy.md): docker compose stop api worker scheduler
# web mlflow; then run it (compose: --profile ops run --rm restore /backups/lto-backup-…); then
# `lto db upgrade` (a backup from an older release is migrated forward) and start again.
set -euo pipefail

src=${1:?usage: restore.sh BACKUP_FOLDER [--yes]}
confirm=${2:-}
: "${LTO_DATABASE_URL:?LTO_DATABASE_URL must name the LTO PostgreSQL database}"
libpq() { printf '%s' "${1/postgresql+psycopg:/postgresql:}"; }
lto_url=$(libpq "$LTO_DATABASE_URL")
mlflow_url=$(libpq "${LTO_MLFLOW_DATABASE_URL:-${lto_url%/*}/mlflow}")
artifacts=${MLFLOW_ARTIFACTS:-/var/lib/mlflow/artifacts}
data=${LTO_DATA_DIR:-/var/lib/lto}

[[ -f "$src/SHA256SUMS" ]] || { echo "restore: $src is not an LTO backup (no SHA256SUMS)" >&2; exit 2; }
(cd "$src" && sha256sum --quiet -c SHA256SUMS) || { echo "restore: $src is damaged (checksums differ); nothing was changed" >&2; exit 2; }
if [[ "$confirm" != "--yes" ]]; then
  echo "restore: this replaces LTO's and MLflow's databases and $artifacts and $data; add --yes" >&2
  exit 2
fi

pg_restore --clean --if-exists --no-owner --single-transaction --dbname="$lto_url" "$src/lto.dump"
pg_restore --clean --if-exists --no-owner --single-transaction --dbname="$mlflow_url" "$src/mlflow.dump"
replace_folder() {  # unpack beside the folder, then swap, so a failed unpack changes nothing
  local target=$1 archive=$2 staging
  mkdir -p "$(dirname "$target")"
  staging=$(mktemp -d "$(dirname "$target")/.restore.XXXXXX")
  tar -C "$staging" -xzf "$archive"
  mkdir -p "$target"
  find "$target" -mindepth 1 -delete
  (shopt -s dotglob nullglob; mv "$staging"/* "$target"/)
  rmdir "$staging"
}
replace_folder "$artifacts" "$src/mlflow-artifacts.tar.gz"
replace_folder "$data" "$src/lto-data.tar.gz"
echo "restored $src"
