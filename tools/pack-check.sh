#!/usr/bin/env bash
# Proves @matryoshka/tokenizer works as a published package: build it, `npm pack` it, install the
# tarball into an empty project outside the repo, and load it there with require() and with ESM import.
# Catches what in-repo tests cannot: a wrong "main"/"exports"/"files", specs or sources shipped,
# or code that only works thanks to the repo's path aliases.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package_dir="$repo_root/packages/tokenizer"
export NX_DAEMON="${NX_DAEMON:-false}" NX_NO_CLOUD=true

work="$(mktemp -d "${TMPDIR:-/tmp}/tokenizer-pack-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

fail() { echo "pack-check FAILED: $*" >&2; exit 1; }

# 1. Build from a clean dist so no stale file from an older build gets packed.
rm -rf "$package_dir/dist"
(cd "$repo_root" && npx nx run tokenizer:build) > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "build failed"; }
[[ -f "$package_dir/dist/index.js" ]] || fail "build produced no dist/index.js"

# 2. Pack.
mkdir "$work/pack"
tarball_name="$(cd "$package_dir" && npm pack --pack-destination "$work/pack" --silent | tail -n 1)"
tarball="$work/pack/$tarball_name"
[[ -f "$tarball" ]] || fail "npm pack did not produce $tarball"

# 3. Only dist (plus package.json and npm's always-included files) may ship; never specs, sources or maps.
contents="$(tar -tzf "$tarball")"
for required in package/package.json package/dist/index.js package/dist/index.d.ts; do
  grep -qx "$required" <<<"$contents" || fail "tarball lacks $required"
done
unexpected="$(grep -vE '^package/(package\.json|README(\.md)?|LICENSE(\.md)?|dist/[^/]+\.(js|d\.ts))$' <<<"$contents" || true)"
[[ -z "$unexpected" ]] || fail "tarball ships unexpected files:"$'\n'"$unexpected"
spec_files="$(grep -E '\.spec\.' <<<"$contents" || true)"
[[ -z "$spec_files" ]] || fail "tarball ships spec files:"$'\n'"$spec_files"

# 4. Install into an empty project outside the repo.
consumer="$work/consumer"
mkdir "$consumer"
(cd "$consumer" && npm init -y > /dev/null && npm install "$tarball" --no-audit --no-fund --ignore-scripts --silent) \
  || fail "npm install of the tarball failed"

# 5. Use it through CommonJS and through ESM.
cat > "$consumer/check.cjs" <<'JS'
const assert = require('node:assert/strict');
const { CharTokenizer, SeededRandom, BatchSampler, splitTrainVal, DEFAULT_CORPUS_PATH } = require('@matryoshka/tokenizer');
const text = 'To be, or not to be: Café 日本 🙂👍🏽\n';
const tokenizer = CharTokenizer.fromCorpus(text);
const ids = tokenizer.encode(text);
assert.ok(ids instanceof Int32Array, 'encode returns an Int32Array');
assert.equal(ids.length, Array.from(text).length, 'one token per code point');
assert.equal(tokenizer.decode(ids), text, 'round trip');
assert.deepEqual(CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer))).vocabulary, tokenizer.vocabulary);
assert.throws(() => tokenizer.encode('x'), /unknown character "x"/);
assert.equal(new SeededRandom(1).next(), new SeededRandom(1).next());
const { train } = splitTrainVal(ids);
assert.equal(new BatchSampler(train, { batchSize: 2, contextLength: 4, seed: 0 }).next().x.length, 8);
// Outside the repo there is no data/tinyshakespeare.txt; loading must still work.
assert.equal(DEFAULT_CORPUS_PATH, undefined);
JS
cat > "$consumer/check.mjs" <<'JS'
import assert from 'node:assert/strict';
import { CharTokenizer, TRAIN_FRACTION_DEFAULT } from '@matryoshka/tokenizer';
const text = 'ESM import works 🙂\n';
const tokenizer = CharTokenizer.fromCorpus(text);
assert.equal(tokenizer.decode(tokenizer.encode(text)), text, 'round trip');
assert.equal(TRAIN_FRACTION_DEFAULT, 0.9);
JS
(cd "$consumer" && node check.cjs) || fail "require('@matryoshka/tokenizer') check failed"
(cd "$consumer" && node check.mjs) || fail "import from '@matryoshka/tokenizer' check failed"

file_count="$(wc -l <<<"$contents" | tr -d ' ')"
echo "pack-check OK: $tarball_name ($file_count files, dist only) installs outside the repo and loads via require and import"
