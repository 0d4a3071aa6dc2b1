// `mrtom-kv dev`: the embedded default cluster — one userspace sequencer and 3 (or 5) replicas as child
// processes on 127.0.0.1, supervised (restarted with backoff when they die), stopped cleanly on Ctrl-C.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import closeWithGrace from 'close-with-grace';
import { clusterConfigPath, prepareDevConfig } from '../../runtime/dev-config.js';
import { Supervisor } from '../../runtime/supervisor.js';
import { waitUntilReady } from '../../runtime/readiness.js';
import { createLogger, type LogLevel } from '../../runtime/logger.js';
import type { Durability } from '../../config/cluster.js';
import { logLevelOption, parseIntegerIn, parseIntegerOneOf } from '../options.js';
import { readOrWriteRootTokenFile } from '../../runtime/root-token.js';

const READY_DEADLINE_MS = 30_000;

interface DevOptions {
  port: number;
  data: string;
  replicas: number;
  sequencers: number;
  durability: Durability;
  logLevel: LogLevel;
  auth?: boolean;
}

/**
 * How to start this same CLI in a child process: the node flags and entry script this process was
 * started with. Compiled (`node dist/cli/main.js`, `bin/mrtom-kv.js`) starts compiled children; source
 * (`node --import tsx src/cli/main.ts`) starts source children, so a dev cluster never mixes the two.
 */
function cliInvocation(): string[] {
  const entry = process.argv[1];
  if (entry === undefined) throw new Error('cannot tell which script started this process');
  return [...process.execArgv, resolve(entry)];
}

export function devCommand(): Command {
  return new Command('dev')
    .description('start a local cluster: a userspace sequencer and 3 replicas on 127.0.0.1')
    .addOption(
      new Option('--port <port>', 'HTTP port of replica 1 (replica i uses port+i-1)')
        .argParser(parseIntegerIn(1, 65_000))
        .default(7001)
        .env('MRTOM_PORT'),
    )
    .addOption(new Option('--data <dir>', 'data folder').default('./.mrtom-data').env('MRTOM_DATA'))
    .addOption(new Option('--replicas <n>', 'number of replicas: 3 or 5').argParser(parseIntegerOneOf([3, 5])).default(3))
    .addOption(
      new Option('--sequencers <n>', 'number of sequencers (the first serves, the rest are standbys)')
        .argParser(parseIntegerIn(1, 8))
        .default(1)
        .env('MRTOM_SEQUENCERS'),
    )
    .addOption(
      new Option('--durability <mode>', 'log durability').choices(['fsync', 'async', 'memory']).default('fsync').env('MRTOM_DURABILITY'),
    )
    .addOption(logLevelOption())
    .addOption(new Option('--auth', 'require bearer tokens; prints the root token and writes it to <data>/root-token').env('MRTOM_AUTH'))
    .action(async (opts: DevOptions) => {
      const logger = createLogger(opts.logLevel, 'mrtom-kv-dev');
      const dataDir = resolve(opts.data);
      const config = await prepareDevConfig({
        dataDir,
        port: opts.port,
        replicas: opts.replicas,
        sequencers: opts.sequencers,
        durability: opts.durability,
      });
      const configPath = clusterConfigPath(dataDir);
      const logDir = join(dataDir, 'logs');
      await mkdir(logDir, { recursive: true });

      // One root token file for every replica: whichever bootstraps first, this is the root token.
      const rootTokenFile = join(dataDir, 'root-token');
      const rootToken = opts.auth === true ? await readOrWriteRootTokenFile(rootTokenFile) : null;
      const authArgs = rootToken === null ? [] : ['--auth', '--root-token-file', rootTokenFile];

      const supervisor = new Supervisor(process.execPath, logger);
      const cli = cliInvocation();
      for (const sequencer of config.sequencers) {
        supervisor.start({
          name: `sequencer-${sequencer.id}`,
          args: [...cli, 'sequencer', '--config', configPath, '--id', String(sequencer.id), '--log-level', opts.logLevel],
          logFile: join(logDir, `sequencer-${sequencer.id}.log`),
        });
      }
      for (const replica of config.replicas) {
        supervisor.start({
          name: `replica-${replica.id}`,
          args: [...cli, 'replica', '--config', configPath, '--id', String(replica.id), '--log-level', opts.logLevel, ...authArgs],
          logFile: join(logDir, `replica-${replica.id}.log`),
        });
      }
      closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
        if (err) logger.error({ err }, 'stopping after an error');
        else logger.info({ signal }, 'stopping the cluster');
        await supervisor.stopAll();
      });

      const urls = config.replicas.map((r) => `http://${r.host}:${r.httpPort}`);
      const ready = await waitUntilReady(urls, READY_DEADLINE_MS);
      const first = urls[0]!;
      const last = urls[urls.length - 1]!;
      const curlAuth = rootToken === null ? '' : ` -H "Authorization: Bearer $(cat ${rootTokenFile})"`;
      process.stdout.write(
        [
          '',
          ready
            ? `mrtom-kv dev cluster is ready (${config.replicas.length} replicas, durability ${config.durability})`
            : `mrtom-kv dev cluster started, but not every replica was ready within ${READY_DEADLINE_MS / 1000} s: see ${logDir}`,
          ...config.replicas.map((r) => `  replica ${r.id}: http://${r.host}:${r.httpPort}   (log ${join(logDir, `replica-${r.id}.log`)})`),
          ...config.sequencers.map(
            (s) => `  sequencer ${s.id}: udp ${s.host}:${s.port}, metrics http://${s.host}:${s.metricsPort}/metrics`,
          ),
          `  config: ${configPath}`,
          ...(rootToken === null ? [] : [`root token: ${rootToken}`, `  (also in ${rootTokenFile})`]),
          '',
          'Try:',
          `  curl -X PUT --data-binary 'hello'${curlAuth} ${first}/v1/kv/greeting`,
          `  curl${curlAuth} ${last}/v1/kv/greeting`,
          '',
          'Ctrl-C stops the cluster.',
          '',
        ].join('\n'),
      );
    });
}
