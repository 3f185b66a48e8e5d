#!/usr/bin/env bash
# buf breaking for proto/, commit by commit: every commit that changed proto/
# is checked against its parent, so no step on main ever breaks a client on the
# wire, in JSON or in its generated code (buf.yaml), nor a REST client: buf
# ignores google.api.http annotations, so scripts/proto/http-bindings-cli.ts
# fails a commit that removes or changes a REST binding (method, path, body).
#
#   scripts/proto-breaking.sh            every commit that touched proto/
#   scripts/proto-breaking.sh REV        only REV against its parent
#   scripts/proto-breaking.sh --worktree compare the working tree with HEAD
#
# An intentional breaking change (deleting chillybin.v1 once no consumer calls
# it) carries the trailer "Buf-Breaking-Allowed: <why>" in its commit message;
# that commit is reported and skipped.
#
# `buf breaking --against .git#...` cannot see node_modules (google/api comes
# from google-proto-files), so the base is checked out as a worktree with
# node_modules linked in, and built into an image.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
scratch=$(mktemp -d)
trap 'git worktree remove --force "$scratch/base" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT

image_of() { # $1: commit → $scratch/$1.binpb
  git worktree add --detach --force "$scratch/base" "$1" >/dev/null 2>&1
  ln -s "$PWD/node_modules" "$scratch/base/node_modules"
  (cd "$scratch/base" && node_modules/.bin/buf build proto -o "$scratch/$1.binpb")
  git worktree remove --force "$scratch/base" >/dev/null
}

# REST bindings of the tree at $1 against the image $2.
bindings_check() {
  (cd "$1" && node_modules/.bin/buf build proto -o "$scratch/head.binpb")
  node --import tsx scripts/proto/http-bindings-cli.ts "$2" "$scratch/head.binpb"
}

check() { # $1: base commit, $2: label; compares the tree at $PWD
  image_of "$1"
  "$buf" breaking proto --against "$scratch/$1.binpb" && bindings_check "$PWD" "$scratch/$1.binpb" && echo "ok: $2"
}

case "${1:-}" in
  --worktree)
    check "$(git rev-parse HEAD)" "working tree against HEAD" ;;
  "")
    failed=0
    for commit in $(git rev-list --reverse HEAD -- proto); do
      parent=$(git rev-parse --verify --quiet "$commit^" || true)
      [ -n "$parent" ] || continue
      if git log -1 --format=%B "$commit" | grep -q '^Buf-Breaking-Allowed:'; then
        echo "allowed: $(git log -1 --format='%h %s' "$commit") ($(git log -1 --format=%B "$commit" | grep '^Buf-Breaking-Allowed:'))"
        continue
      fi
      # Compare the commit's proto/ with its parent's, each in a worktree.
      image_of "$parent"
      git worktree add --detach --force "$scratch/head" "$commit" >/dev/null 2>&1
      ln -s "$PWD/node_modules" "$scratch/head/node_modules"
      if (cd "$scratch/head" && node_modules/.bin/buf breaking proto --against "$scratch/$parent.binpb") && bindings_check "$scratch/head" "$scratch/$parent.binpb"; then
        echo "ok: $(git log -1 --format='%h %s' "$commit")"
      else
        echo "BREAKING: $(git log -1 --format='%h %s' "$commit")" >&2
        failed=1
      fi
      git worktree remove --force "$scratch/head" >/dev/null
    done
    exit "$failed" ;;
  *)
    commit=$(git rev-parse "$1")
    image_of "$(git rev-parse "$commit^")"
    git worktree add --detach --force "$scratch/head" "$commit" >/dev/null 2>&1
    ln -s "$PWD/node_modules" "$scratch/head/node_modules"
    (cd "$scratch/head" && node_modules/.bin/buf breaking proto --against "$scratch/$(git rev-parse "$commit^").binpb")
    bindings_check "$scratch/head" "$scratch/$(git rev-parse "$commit^").binpb"
    git worktree remove --force "$scratch/head" >/dev/null ;;
esac
