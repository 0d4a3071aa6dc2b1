// Proves the published shape works as a user gets it: `npm pack` holds only what users need; the tarball
// installs into an empty project with production dependencies only; that project's `mrtom-kv dev` (the
// package's bin, compiled code, no tsx) starts a cluster; and a TypeScript file importing { Client } from
// 'mrtom-kv' type-checks against the package's .d.ts and runs against that cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortBase } from './harness/ports.js';
import { waitUntilReady } from '../../src/runtime/readiness.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const STEP_MS_MAX = 180_000;
const READY_MS_MAX = 60_000;

/** Runs a command to completion within STEP_MS_MAX; resolves with its stdout, rejects with all its output. */
async function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  const child = spawn(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), STEP_MS_MAX);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(killer);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`);
  return stdout;
}

/** The end of a log file, for a failure message. */
async function tail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((err: Error) => `(${err.message})`);
  return `--- ${path}\n${text.slice(-3000)}`;
}

const USER_FILE = `import { Client, PreconditionFailedError, type KeyValue } from 'mrtom-kv';

const client = new Client({ endpoints: process.argv.slice(2), timeoutMs: 20_000 });
const { revision } = await client.put('pkg/hello', 'from the tarball');
const read: KeyValue | undefined = await client.get('pkg/hello');
let refused = false;
try {
  await client.put('pkg/hello', 'again', { ifAbsent: true });
} catch (err) {
  refused = err instanceof PreconditionFailedError;
}
console.log(JSON.stringify({ revision, text: read?.text(), refused }));
await client.close();
`;

describe('npm pack', () => {
  let scratch = '';
  let dev: ChildProcess | undefined;
  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill('SIGTERM');
      await once(dev, 'exit');
    }
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('installs into an empty project whose TypeScript imports Client and runs against its dev cluster', { timeout: 600_000 }, async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mrtom-pack-'));
    // `prepare` builds dist/ first; its banner may precede the JSON on stdout.
    const packOutput = await run('npm', ['pack', '--json', '--pack-destination', scratch], ROOT);
    const packed = JSON.parse(packOutput.slice(packOutput.indexOf('\n[') + 1)) as [{ filename: string; files: Array<{ path: string }> }];
    const files = packed[0].files.map((f) => f.path);
    expect(files).toContain('dist/client/index.js');
    expect(files).toContain('dist/client/index.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('bin/mrtom-kv.js');
    expect(files.filter((f) => /^(src|test|bench|deploy)\//.test(f) || f.endsWith('.tsbuildinfo'))).toEqual([]);

    const project = join(scratch, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    await run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(scratch, packed[0].filename)], project);
    expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/typescript'))).toBe(false);

    // The user's file, type-checked strictly by this repository's compiler against the installed .d.ts.
    await writeFile(join(project, 'main.ts'), USER_FILE);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'out',
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['main.ts'],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], project);

    const port = await freePortBase(3);
    const data = join(scratch, 'data');
    const devLog = createWriteStream(join(scratch, 'dev.log'));
    dev = spawn(join(project, 'node_modules/.bin/mrtom-kv'), ['dev', '--port', String(port), '--data', data], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout!.pipe(devLog);
    dev.stderr!.pipe(devLog);
    const urls = [0, 1, 2].map((i) => `http://127.0.0.1:${port + i}`);
    if (!(await waitUntilReady(urls, READY_MS_MAX))) {
      const logs = await Promise.all(
        ['dev.log', 'data/logs/replica-1.log', 'data/logs/sequencer-1.log'].map((f) => tail(join(scratch, f))),
      );
      expect.fail(`the installed package's dev cluster was not ready within ${READY_MS_MAX} ms:\n${logs.join('\n')}`);
    }
    const output = await run(process.execPath, [join(project, 'out/main.js'), ...urls], project);
    expect(JSON.parse(output)).toEqual({ revision: 1, text: 'from the tarball', refused: true });
  });
});
