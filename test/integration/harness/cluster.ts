// Starts a real cluster for integration tests: a sequencer and replicas as separate OS processes (the
// CLI's `sequencer` and `replica` verbs), real UDP and HTTP on loopback, real LevelDB in a temp folder.
// Processes are controlled one by one so tests can kill -9 and restart them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devClusterConfig } from '../../../src/runtime/dev-config.js';
import { waitUntilReady } from '../../../src/runtime/readiness.js';
import type { ClusterConfig, Durability } from '../../../src/config/cluster.js';
import { freePortBase } from './ports.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const READY_DEADLINE_MS = 30_000;
const STOP_GRACE_MS = 10_000;

export interface TestCluster {
  config: ClusterConfig;
  dataDir: string;
  /** HTTP base URL of each replica, by position in config.replicas. */
  urls: string[];
  start(name: string): void;
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  waitReady(urls?: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCluster(
  options: { replicas?: number; sequencers?: number; durability?: Durability } = {},
): Promise<TestCluster> {
  const replicas = options.replicas ?? 3;
  const sequencers = options.sequencers ?? 1;
  const dataDir = await mkdtemp(join(tmpdir(), 'mrtom-it-'));
  const port = await freePortBase(replicas, sequencers);
  const config = devClusterConfig({ dataDir, port, replicas, sequencers, durability: options.durability ?? 'fsync' });
  const configPath = join(dataDir, 'cluster.json');
  await writeFile(configPath, JSON.stringify(config));
  const logs = createWriteStream(join(dataDir, 'processes.log'));
  // Every process (and every restart of one) pipes two streams into this one file.
  logs.setMaxListeners(0);
  const children = new Map<string, ChildProcess>();

  const argsOf = (name: string): string[] => {
    const [role, id] = name.split('-');
    return ['--import', 'tsx', MAIN, role!, '--config', configPath, '--id', id!, '--log-level', process.env.MRTOM_TEST_LOG_LEVEL ?? 'warn'];
  };
  const start = (name: string): void => {
    const child = spawn(process.execPath, argsOf(name), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(logs, { end: false });
    child.stderr!.pipe(logs, { end: false });
    children.set(name, child);
  };
  const kill = async (name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    // A process that ignores SIGTERM must not outlive the test.
    const forced = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(forced);
  };
  const urls = config.replicas.map((r) => `http://${r.host}:${r.httpPort}`);
  const waitReady = async (which = urls): Promise<void> => {
    if (!(await waitUntilReady(which, READY_DEADLINE_MS)))
      throw new Error(`cluster not ready within ${READY_DEADLINE_MS} ms; logs in ${dataDir}`);
  };

  for (const s of config.sequencers) start(`sequencer-${s.id}`);
  for (const r of config.replicas) start(`replica-${r.id}`);
  const cluster: TestCluster = {
    config,
    dataDir,
    urls,
    start,
    kill,
    waitReady,
    async stop() {
      await Promise.all([...children.keys()].map((name) => kill(name, 'SIGTERM')));
      await new Promise<void>((resolve) => (logs as WriteStream).end(resolve));
      // MRTOM_KEEP_TEST_DATA=1 keeps data and process logs for a post-mortem.
      if (!process.env.MRTOM_KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
