# Sourced by the in-root scripts: named, timed phases. Each finished phase appends a line to
# /src/.check-timings, which scripts/check-libtorch2.sh prints in its summary.
phase_name="" phase_start=$SECONDS
phase() {
  if [[ -n "$phase_name" ]]; then
    printf '%-44s %5d s\n' "$phase_name" $((SECONDS - phase_start)) >>/src/.check-timings
  fi
  phase_name="$1" phase_start=$SECONDS
  if [[ -n "$1" ]]; then echo; echo "=== $1"; fi
  return 0
}
trap 'phase ""' EXIT
