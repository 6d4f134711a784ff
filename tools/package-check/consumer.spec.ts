// Each package as another project uses it, following its README: in an empty project outside this
// repository (made by `npm init -y`, so CommonJS), run the README's install command verbatim (only
// `<path>` becomes this repository), require() the package, import it, then save the README's
// example under the name the README gives and run the README's commands that type-check and run it
// (TypeScript's own `tsc --init` settings), and type-check it once more with skipLibCheck off. The
// README's install command must list exactly the @matryoshka tarballs the package needs, derived
// here from the package.json files. The tarballs come from `pack` (this target depends on every
// package's pack).
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
  for (const dependency of Object.keys(manifest.dependencies ?? {}))
    if (manifests.has(dependency)) closure(dependency, seen);
  return seen;
}

/** npm pack's file name for a package. */
function tarball(name: string): string {
  const manifest = manifests.get(name) as Manifest;
  return `${name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
}

/** The package's README: its path from the repository root (for messages) and its text. */
function readme(name: string): { file: string; text: string } {
  const file = `packages/${name.replace('@matryoshka/', '')}/README.md`;
  return { file, text: readFileSync(join(WORKSPACE, file), 'utf8') };
}

/** The text of a README's "## <title>" section, up to the next "## " heading. */
function section(text: string, title: string): string | undefined {
  return text.split(new RegExp(`^## ${title}\\s*$`, 'm'))[1]?.split(/^## /m)[0];
}

/** The ```bash block under the README's "## Install" that starts with `npm install`, and the tarballs it names. */
function readmeInstall(name: string): { command: string; tarballs: string[] } {
  const { file, text } = readme(name);
  const blocks = [...(section(text, 'Install') ?? '').matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map(
    (m) => m[1] as string,
  );
  const command = blocks.find((block) => block.startsWith('npm install '));
  if (!command) throw new Error(`${file} has no \`\`\`bash block starting with "npm install" under "## Install"`);
  const tarballs = [...command.matchAll(/<path>\/dist\/packs\/(\S+\.tgz)/g)].map((m) => m[1] as string);
  return { command, tarballs };
}

/**
 * The README's example: the file its "## Example" section says to save it as ("Save this as
 * `example.mts`"), its first ```ts block, and its first ```bash block (the commands that
 * type-check and run it).
 */
function readmeExample(name: string): { saveAs: string; source: string; commands: string } {
  const { file, text } = readme(name);
  const example = section(text, 'Example') ?? '';
  const saveAs = example.match(/Save this as `([^`]+)`/)?.[1];
  const source = example.match(/^```ts\n([\s\S]*?)^```$/m)?.[1];
  const commands = example.match(/^```bash\n([\s\S]*?)^```$/m)?.[1];
  if (!saveAs)
    throw new Error(
      `${file} does not say under "## Example" which file to save the example as ("Save this as \`example.mts\`")`,
    );
  if (!source) throw new Error(`${file} has no \`\`\`ts block under "## Example"`);
  if (!commands)
    throw new Error(`${file} has no \`\`\`bash block under "## Example" (the commands that run the example)`);
  return { saveAs, source, commands };
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

// The outside project's npm sees none of the npm_* variables of the npx that started this test
// (npm_config_local_prefix names this workspace); it stays quiet and uses its cache when it can.
const consumerEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
  MATRYOSHKA_BACKEND: '',
  NODE_OPTIONS: '',
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_loglevel: 'error',
};

/** A path as one word of a shell command. */
function shellWord(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

/** A fresh project outside the repository, set up as the package's README says. */
async function makeConsumer(name: string): Promise<Consumer> {
  const dir = mkdtempSync(join(tmpdir(), `consumer-${name.replace('@matryoshka/', '')}-`));
  const sh = async (file: string, args: string[]) => {
    try {
      const { stdout, stderr } = await run(file, args, {
        cwd: dir,
        env: consumerEnv,
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout + stderr;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${file} ${args.join(' ')} failed in ${dir}:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, {
        cause: error,
      });
    }
  };
  await sh('npm', ['init', '-y']);

  const { file } = readme(name);
  const { command, tarballs } = readmeInstall(name);
  for (const listed of tarballs) {
    if (!existsSync(join(PACKS, listed)))
      throw new Error(`${file} installs dist/packs/${listed}, which is missing: run \`npx nx run-many -t pack\``);
  }
  try {
    await sh('sh', ['-c', command.replaceAll('<path>', shellWord(WORKSPACE))]);
  } catch (error) {
    throw new Error(`the install command of ${file} failed: ${(error as Error).message}`, { cause: error });
  }
  // What the README's example section asks for besides the package (pinned, see installedVersion).
  await sh('npm', [
    'install',
    '--save-dev',
    `typescript@${installedVersion('typescript')}`,
    `@types/node@${installedVersion('@types/node')}`,
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
  for (const consumer of consumers.values())
    if (!(consumer instanceof Error)) rmSync(consumer.dir, { recursive: true, force: true });
});

function consumerOf(name: string): Consumer {
  const consumer = consumers.get(name);
  if (!consumer || consumer instanceof Error) throw consumer ?? new Error(`no outside project for ${name}`);
  return consumer;
}

describe.each(names)('%s in an outside project', (name) => {
  it("its README's install command lists exactly the @matryoshka tarballs it needs", () => {
    const { file } = readme(name);
    const listed = readmeInstall(name).tarballs;
    const needed = [...closure(name)].map(tarball);
    const problems = [
      ...needed
        .filter((t) => !listed.includes(t))
        .map((t) => `${file}'s install command lacks ${t}, which ${name} needs (directly or through another package)`),
      ...listed
        .filter((t) => !needed.includes(t))
        .map((t) => `${file}'s install command lists ${t}, which ${name} does not need`),
    ];
    expect(problems).toEqual([]);
  });

  it("installs with its README's command, getting only the @matryoshka packages it needs", () => {
    const { dir } = consumerOf(name);
    const installed = readdirSync(join(dir, 'node_modules', '@matryoshka')).map((d) => `@matryoshka/${d}`);
    expect(installed.sort()).toEqual([...closure(name)].sort());
  });

  it('loads with require() and with import, exporting the same names', async () => {
    const { sh } = consumerOf(name);
    // Node's ESM view of a CommonJS module adds `default`, `module.exports` and tsc's `__esModule` marker.
    const script = (load: string) =>
      `${load}; console.log(JSON.stringify(Object.keys(m).filter((k) => !['default', 'module.exports', '__esModule'].includes(k)).sort()))`;
    const required = JSON.parse(
      await sh('node', ['--input-type=commonjs', '-e', script(`const m = require('${name}')`)]),
    ) as string[];
    const imported = JSON.parse(
      await sh('node', ['--input-type=module', '-e', script(`import * as m from '${name}'`)]),
    ) as string[];
    expect(required.length).toBeGreaterThan(0);
    expect(imported).toEqual(required);
  });

  it('type-checks and runs its README example as the README says, and type-checks it with skipLibCheck off', async () => {
    const { dir, sh } = consumerOf(name);
    const { saveAs, source, commands } = readmeExample(name);
    writeFileSync(join(dir, saveAs), source);
    await sh('sh', ['-e', '-c', commands]).catch((error: Error) => {
      throw new Error(`the example of ${readme(name).file} failed: ${error.message}`);
    });
    // tsc --init turns skipLibCheck on; off, the packages' own .d.ts files are checked too.
    await sh('npx', ['tsc', '-p', '.', '--noEmit', '--skipLibCheck', 'false']);
  });
});
