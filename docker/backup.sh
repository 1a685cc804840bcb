#!/usr/bin/env bash
# Back up LTO's state: its PostgreSQL database, MLflow's database and artifact store, and the
# LTO data directory (surrogate models, job artifacts, datasets), into one folder with checksums.
#
#   backup.sh DEST            → DEST/lto-backup-YYYYmmddTHHMMSSZ/
#
# On the droplet (docs/deploy.md): docker compose --env-file docker/.env -f docker/compose.yaml \
#   --profile ops run --rm backup
# Settings (the compose service sets them): LTO_DATABASE_URL, LTO_MLFLOW_DATABASE_URL (default:
# LTO's URL with the database `mlflow`), MLFLOW_ARTIFACTS (/var/lib/mlflow/artifacts), LTO_DATA_DIR
# (/var/lib/lto). The services may keep running: pg_dump takes a consistent snapshot; files
# written during the copy are those of jobs finishing (their database rows say which).
set -euo pipefail

dest=${1:?usage: backup.sh DEST_FOLDER}
: "${LTO_DATABASE_URL:?LTO_DATABASE_URL must name the LTO PostgreSQL database}"
libpq() { printf '%s' "${1/postgresql+psycopg:/postgresql:}"; }
lto_url=$(libpq "$LTO_DATABASE_URL")
mlflow_url=$(libpq "${LTO_MLFLOW_DATABASE_URL:-${lto_url%/*}/mlflow}")
artifacts=${MLFLOW_ARTIFACTS:-/var/lib/mlflow/artifacts}
data=${LTO_DATA_DIR:-/var/lib/lto}

[[ -d "$dest" && -w "$dest" ]] || { echo "backup: $dest is not a writable folder" >&2; exit 2; }
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dest/lto-backup-$stamp"
partial=$(mktemp -d "$dest/.lto-backup-$stamp.XXXXXX")
trap 'rm -rf "$partial"' EXIT  # a failed backup leaves nothing that looks like one

pg_dump --format=custom --no-owner --file="$partial/lto.dump" "$lto_url"
pg_dump --format=custom --no-owner --file="$partial/mlflow.dump" "$mlflow_url"
tar_of() {  # an empty archive when the folder does not exist yet (a fresh deploy)
  if [[ -d "$1" ]]; then tar -C "$1" -czf "$2" .; else tar -czf "$2" -T /dev/null; fi
}
tar_of "$artifacts" "$partial/mlflow-artifacts.tar.gz"
tar_of "$data" "$partial/lto-data.tar.gz"
{
  echo "created $stamp"
  echo "postgres $(pg_dump --version)"
  echo "lto_database $(psql "$lto_url" -Atc 'SELECT version_num FROM lto_schema_version' 2>/dev/null || echo unknown)"
} > "$partial/MANIFEST"
(cd "$partial" && sha256sum lto.dump mlflow.dump mlflow-artifacts.tar.gz lto-data.tar.gz > SHA256SUMS)
mv "$partial" "$final"
trap - EXIT
echo "$final"
