// Starts a real cluster for integration tests: a sequencer and replicas as separate OS processes (the
// CLI's `sequencer` and `replica` verbs), real UDP and HTTP on loopback, real LevelDB in a temp folder.
// Processes are controlled one by one so tests can kill -9 and restart them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { devClusterConfig } from '../../../src/runtime/dev-config.js';
import { waitUntilReady } from '../../../src/runtime/readiness.js';
import { validateClusterConfig, type ClusterConfig, type Durability } from '../../../src/config/cluster.js';
import type { LogLevel } from '../../../src/runtime/logger.js';
import { freePortBase } from './ports.js';
import { openProcessLog } from './process-log.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const READY_DEADLINE_MS = 30_000;
const STOP_GRACE_MS = 10_000;

export interface TestClusterOptions {
  replicas?: number;
  sequencers?: number;
  durability?: Durability;
  /** Each replica's --log-retain-entries: a peer further behind than this catches up by snapshot. */
  logRetainEntries?: number;
  /** The config's largest datagram (at least 512); default the dev cluster's. */
  datagramBytesMax?: number;
  /** Level of every process's log; default MRTOM_TEST_LOG_LEVEL, else 'warn'. */
  logLevel?: LogLevel;
  /** Arguments every replica gets besides the harness's own (TLS files, --auth). */
  replicaArgs?: readonly string[];
  /** A file holding the cluster key, given to every replica and sequencer (--cluster-key-file). */
  clusterKeyFile?: string;
  /** Every sequencer tags its stamps (cluster.json `stampMac`; needs clusterKeyFile). */
  stampMac?: boolean;
  /** The client API serves HTTPS: the urls say https://, and readiness is asked with this trust. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

export interface TestCluster {
  config: ClusterConfig;
  dataDir: string;
  /** Every process's output, one line per line (process-log.ts). */
  logPath: string;
  /** HTTP base URL of each replica, by position in config.replicas. */
  urls: string[];
  /** Starts `sequencer-<id>` or `replica-<id>`; returns its pid, which its log lines carry. */
  start(name: string): number;
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Sends `signal` to a running process without waiting for anything. */
  signal(name: string, signal: NodeJS.Signals): void;
  waitReady(urls?: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const replicas = options.replicas ?? 3;
  const sequencers = options.sequencers ?? 1;
  const dataDir = await mkdtemp(join(tmpdir(), 'mrtom-it-'));
  const port = await freePortBase(replicas, sequencers);
  const dev = devClusterConfig({ dataDir, port, replicas, sequencers, durability: options.durability ?? 'fsync' });
  const config = validateClusterConfig(
    {
      ...dev,
      ...(options.datagramBytesMax === undefined ? {} : { datagramBytesMax: options.datagramBytesMax }),
      ...(options.stampMac === true ? { sequencers: dev.sequencers.map((s) => ({ ...s, stampMac: true })) } : {}),
    },
    'test cluster config',
  );
  const configPath = join(dataDir, 'cluster.json');
  await writeFile(configPath, JSON.stringify(config));
  const log = openProcessLog(join(dataDir, 'processes.log'));
  const logLevel = options.logLevel ?? process.env.MRTOM_TEST_LOG_LEVEL ?? 'warn';
  const children = new Map<string, ChildProcess>();

  const argsOf = (name: string): string[] => {
    const [role, id] = name.split('-');
    const args = ['--import', 'tsx', MAIN, role!, '--config', configPath, '--id', id!, '--log-level', logLevel];
    if (role === 'replica' && options.logRetainEntries !== undefined) args.push('--log-retain-entries', String(options.logRetainEntries));
    if (role === 'replica') args.push(...(options.replicaArgs ?? []));
    if (options.clusterKeyFile !== undefined) args.push('--cluster-key-file', options.clusterKeyFile);
    return args;
  };
  const start = (name: string): number => {
    const child = spawn(process.execPath, argsOf(name), { stdio: ['ignore', 'pipe', 'pipe'] });
    log.collect(child.stdout!);
    log.collect(child.stderr!);
    children.set(name, child);
    return child.pid!;
  };
  const kill = async (name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // 'close' comes after the process exited AND its output was read, so no line is lost or late.
    const exited = new Promise((resolve) => child.once('close', resolve));
    child.kill(signal);
    // A process that ignores SIGTERM must not outlive the test.
    const forced = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(forced);
  };
  const scheme = options.tls === undefined ? 'http' : 'https';
  const urls = config.replicas.map((r) => `${scheme}://${r.host}:${r.httpPort}`);
  const readinessAgent = options.tls === undefined ? undefined : new Agent({ connect: options.tls });
  const waitReady = async (which = urls): Promise<void> => {
    if (!(await waitUntilReady(which, READY_DEADLINE_MS, readinessAgent)))
      throw new Error(`cluster not ready within ${READY_DEADLINE_MS} ms; logs in ${dataDir}`);
  };

  for (const s of config.sequencers) start(`sequencer-${s.id}`);
  for (const r of config.replicas) start(`replica-${r.id}`);
  const cluster: TestCluster = {
    config,
    dataDir,
    logPath: log.path,
    urls,
    start,
    kill,
    signal: (name, signal) => void children.get(name)?.kill(signal),
    waitReady,
    async stop() {
      await Promise.all([...children.keys()].map((name) => kill(name, 'SIGTERM')));
      await log.close();
      await readinessAgent?.close();
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
