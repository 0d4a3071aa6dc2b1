// Proves `mrtom-kv dev` as a user runs it: it writes cluster.json, serves reads and writes on every replica, restarts a replica
// killed with SIGKILL (logging it) and stops every child on SIGTERM. How: the real CLI as a child; its JSON log read line by line.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePortBase } from './harness/ports.js';
import { get, put } from './harness/http.js';
import { waitFor } from './harness/wait.js';
import { waitUntilReady } from '../../src/runtime/readiness.js';
import { validateClusterConfig } from '../../src/config/cluster.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const DEADLINE_MS = 30_000;

interface SupervisorLine {
  msg?: string;
  child?: string;
  pid?: number;
}

/** Collects the dev command's JSON log lines, whole however stdout chunks split them, and lets a test wait for one. */
function watchLines(child: ChildProcess): {
  lines: SupervisorLine[];
  waitFor(pred: (l: SupervisorLine) => boolean): Promise<SupervisorLine>;
} {
  const lines: SupervisorLine[] = [];
  const output: string[] = [];
  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
    output.push(line);
    if (line.startsWith('{')) lines.push(JSON.parse(line) as SupervisorLine);
  });
  return {
    lines,
    async waitFor(pred) {
      try {
        return await waitFor('a matching log line of mrtom-kv dev', async () => lines.find(pred), DEADLINE_MS);
      } catch (err) {
        throw new Error(`${(err as Error).message}; its output:\n${output.join('\n')}`);
      }
    },
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('mrtom-kv dev', () => {
  let dataDir = '';
  let dev: ChildProcess | null = null;
  afterAll(async () => {
    if (dev && dev.exitCode === null) dev.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs, restarts a dead replica, and stops cleanly', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mrtom-dev-'));
    const port = await freePortBase(3);
    dev = spawn(process.execPath, ['--import', 'tsx', MAIN, 'dev', '--port', String(port), '--data', dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const out = watchLines(dev);
    const urls = [0, 1, 2].map((i) => `http://127.0.0.1:${port + i}`);
    expect(await waitUntilReady(urls, DEADLINE_MS)).toBe(true);

    const config = validateClusterConfig(JSON.parse(await readFile(join(dataDir, 'cluster.json'), 'utf8')), 'cluster.json');
    expect(config.replicas.map((r) => r.httpPort)).toEqual([port, port + 1, port + 2]);

    expect((await put(urls[0]!, 'dev/key', 'dev-value')).status).toBe(200);
    expect((await get(urls[2]!, 'dev/key')).body.toString()).toBe('dev-value');

    const first = await out.waitFor((l) => l.msg === 'started' && l.child === 'replica-2');
    process.kill(first.pid!, 'SIGKILL');
    await out.waitFor((l) => l.msg === 'child exited; restarting' && l.child === 'replica-2');
    const second = await out.waitFor((l) => l.msg === 'started' && l.child === 'replica-2' && l.pid !== first.pid);
    expect(await waitUntilReady(urls, DEADLINE_MS)).toBe(true);
    expect((await get(urls[1]!, 'dev/key')).body.toString()).toBe('dev-value');

    const childPids = out.lines.filter((l) => l.msg === 'started').map((l) => l.pid!);
    dev.kill('SIGTERM');
    const [code] = (await once(dev, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(childPids.filter(isRunning)).toEqual([]);
    expect(second.pid).not.toBe(first.pid);
  });
});
