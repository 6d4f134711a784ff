// Each package as another project uses it: in an empty project outside this repository, install
// the package's tarball with the tarballs of the @matryoshka packages it needs (the set is derived
// from the package.json files, nothing hand-picked), then require() it, import it, and type-check
// and run the example of its README with TypeScript's own `tsc --init` settings (skipLibCheck
// off). The tarballs come from `pack` (this target depends on every package's pack).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

jest.setTimeout(600_000);

const run = promisify(execFile);
const WORKSPACE = resolve(__dirname, '../..');
const PACKS = join(WORKSPACE, 'dist', 'packs');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
}

const manifests = new Map<string, Manifest>(
  readdirSync(join(WORKSPACE, 'packages'))
    .map((dir) => JSON.parse(readFileSync(join(WORKSPACE, 'packages', dir, 'package.json'), 'utf8')) as Manifest)
    .filter((m) => !m.private)
    .map((m) => [m.name, m]),
);

/** The package and every @matryoshka package it depends on, transitively. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  const manifest = manifests.get(name);
  if (!manifest) throw new Error(`${name} is not a package of this workspace`);
  seen.add(name);
  for (const dependency of Object.keys(manifest.dependencies ?? {})) if (manifests.has(dependency)) closure(dependency, seen);
  return seen;
}

/** npm pack's file name for a package. */
function tarball(name: string): string {
  const manifest = manifests.get(name) as Manifest;
  return join(PACKS, `${name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`);
}

/** The first ```ts block of the README's "## Example" section. */
function readmeExample(name: string): string {
  const dir = name.replace('@matryoshka/', '');
  const readme = readFileSync(join(WORKSPACE, 'packages', dir, 'README.md'), 'utf8');
  const section = readme.split(/^## Example\s*$/m)[1];
  const block = section?.match(/^```ts\n([\s\S]*?)^```$/m);
  if (!block) throw new Error(`packages/${dir}/README.md has no \`\`\`ts block under "## Example"`);
  return block[1];
}

/** Versions of the tools the outside project installs: this workspace's, so npm finds them in its cache. */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(WORKSPACE, 'node_modules', name, 'package.json'), 'utf8')) as Manifest).version;
}

interface Consumer {
  dir: string;
  /** Run a command in the outside project; rejects with its output. */
  sh(file: string, args: string[]): Promise<string>;
}

async function makeConsumer(name: string): Promise<Consumer> {
  const dir = mkdtempSync(join(tmpdir(), `consumer-${name.replace('@matryoshka/', '')}-`));
  const env = { ...process.env, MATRYOSHKA_BACKEND: '', NODE_OPTIONS: '' };
  const sh = async (file: string, args: string[]) => {
    try {
      const { stdout, stderr } = await run(file, args, { cwd: dir, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
      return stdout + stderr;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${file} ${args.join(' ')} failed in ${dir}:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: error });
    }
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'outside-project', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const tarballs = [...closure(name)].map(tarball);
  for (const file of tarballs) if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx nx run-many -t pack\``);
  await sh('npm', [
    'install',
    ...tarballs,
    `typescript@${installedVersion('typescript')}`,
    `@types/node@${installedVersion('@types/node')}`,
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
  ]);
  return { dir, sh };
}

/** Run `make` for each item, at most `width` at a time (npm installs wait on disk and network). */
async function pool<T, R>(items: T[], width: number, make: (item: T) => Promise<R>): Promise<Map<T, R | Error>> {
  const results = new Map<T, R | Error>();
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      results.set(item, await make(item).catch((error: Error) => error));
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

const names = [...manifests.keys()].sort();
let consumers = new Map<string, Consumer | Error>();

beforeAll(async () => {
  consumers = await pool(names, 3, makeConsumer);
});

afterAll(() => {
  for (const consumer of consumers.values()) if (!(consumer instanceof Error)) rmSync(consumer.dir, { recursive: true, force: true });
});

function consumerOf(name: string): Consumer {
  const consumer = consumers.get(name);
  if (!consumer || consumer instanceof Error) throw consumer ?? new Error(`no outside project for ${name}`);
  return consumer;
}

describe.each(names)('%s in an outside project', (name) => {
  it('installs from its tarball with only the @matryoshka tarballs it needs', () => {
    const { dir } = consumerOf(name);
    const installed = readdirSync(join(dir, 'node_modules', '@matryoshka')).map((d) => `@matryoshka/${d}`);
    expect(installed.sort()).toEqual([...closure(name)].sort());
  });

  it('loads with require() and with import, exporting the same names', async () => {
    const { sh } = consumerOf(name);
    // Node's ESM view of a CommonJS module adds `default`, `module.exports` and tsc's `__esModule` marker.
    const script = (load: string) =>
      `${load}; console.log(JSON.stringify(Object.keys(m).filter((k) => !['default', 'module.exports', '__esModule'].includes(k)).sort()))`;
    const required = JSON.parse(await sh('node', ['--input-type=commonjs', '-e', script(`const m = require('${name}')`)])) as string[];
    const imported = JSON.parse(await sh('node', ['--input-type=module', '-e', script(`import * as m from '${name}'`)])) as string[];
    expect(required.length).toBeGreaterThan(0);
    expect(imported).toEqual(required);
  });

  it("type-checks and runs its README example with tsc --init's settings and skipLibCheck off", async () => {
    const { dir, sh } = consumerOf(name);
    writeFileSync(join(dir, 'example.ts'), readmeExample(name));
    await sh('npx', ['tsc', '--init']);
    const tsconfig = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
    // tsc --init turns skipLibCheck on; off, the packages' own .d.ts files are checked too.
    // Its `types: []` would hide @types/node, which the example's `node:` imports need.
    const patched = tsconfig.replace(/"skipLibCheck":\s*true/, '"skipLibCheck": false').replace(/"types":\s*\[\]/, '"types": ["node"]');
    expect(patched).toContain('"skipLibCheck": false');
    writeFileSync(join(dir, 'tsconfig.json'), patched);
    await sh('npx', ['tsc', '-p', '.']);
    await sh('node', ['example.js']);
  });
});
