#!/usr/bin/env bash
# Every dependency a crate declares is used where it is declared: a [dependencies] entry in
# the crate's src/ (or build.rs), a [dev-dependencies] entry in its tests, benches, examples
# or src/. A crate no code names, or a test-only crate in [dependencies], is reported.
# (What `cargo machete` checks, without installing it.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
uses() {  # uses CRATE_IDENT DIR... : whether any Rust file under the dirs names the crate
  local id=$1; shift
  local dirs=()
  for d in "$@"; do [ -e "$d" ] && dirs+=("$d"); done
  [ ${#dirs[@]} -gt 0 ] || return 1
  grep -rqE "(^|[^A-Za-z0-9_:])$id(::|!| *;| as )|use +$id\b|extern +crate +$id\b|$id::\{" --include='*.rs' "${dirs[@]}"
}
for manifest in "$root"/crates/*/Cargo.toml "$root"/benches/Cargo.toml; do
  dir=$(dirname "$manifest")
  for section in dependencies dev-dependencies; do
    deps=$(awk -v s="[$section]" '$0==s{on=1;next} /^\[/{on=0} on && /^[A-Za-z0-9_-]+ *[.=]/{sub(/[ .=].*/,""); print}' "$manifest")
    for dep in $deps; do
      id=${dep//-/_}
      if [ "$section" = dependencies ]; then
        uses "$id" "$dir/src" "$dir/build.rs" && continue
        # A crate of benchmarks only: its benches are its code.
        [ "${dir##*/}" = benches ] && uses "$id" "$dir/benches" && continue
        if uses "$id" "$dir/tests" "$dir/benches" "$dir/examples"; then
          echo "${manifest#$root/}: $dep is used only by tests or benches: move it to [dev-dependencies]"
        else
          echo "${manifest#$root/}: $dep is not used: remove it"
        fi
      else
        uses "$id" "$dir/tests" "$dir/benches" "$dir/examples" "$dir/src" && continue
        echo "${manifest#$root/}: dev-dependency $dep is not used: remove it"
      fi
      status=1
    done
  done
done
exit $status
