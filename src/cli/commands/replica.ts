// `mrtom-kv replica --config FILE --id N`: one replica process (HTTP API + replica protocol + LevelDB).
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import closeWithGrace from 'close-with-grace';
import { loadClusterConfig } from '../../config/cluster.js';
import { startReplicaNode } from '../../runtime/replica-node.js';
import { createLogger, type LogLevel } from '../../runtime/logger.js';
import { logLevelOption, parseIntegerIn } from '../options.js';

export function replicaCommand(): Command {
  return new Command('replica')
    .description('run one replica: HTTP API, MRTOM-Paxos replica and LevelDB state machine')
    .addOption(new Option('--config <file>', 'cluster config (cluster.json)').makeOptionMandatory().env('MRTOM_CONFIG'))
    .addOption(new Option('--id <n>', 'this replica id in the config').argParser(parseIntegerIn(1, 0xffff)).makeOptionMandatory().env('MRTOM_REPLICA_ID'))
    .addOption(logLevelOption())
    .action(async (opts: { config: string; id: number; logLevel: LogLevel }) => {
      const logger = createLogger(opts.logLevel, 'mrtom-kv');
      const configPath = resolve(opts.config);
      const config = await loadClusterConfig(configPath);
      const node = await startReplicaNode({ config, configDir: dirname(configPath), replicaId: opts.id, logger });
      closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
        if (err) logger.error({ err }, 'stopping after an error');
        else logger.info({ signal }, 'stopping');
        await node.close();
      });
    });
}
