// `mrtom-kv sequencer --config FILE [--id N] [--dataplane userspace|xdp --interface IF --xdp-mode generic|native]
// [--cluster-key-file F]`: one MRTOM sequencer instance, stamping in userspace or in an XDP program on IF
// (docs/xdp.md), checking and making datagram MACs under the cluster key (docs/security.md).
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import closeWithGrace from 'close-with-grace';
import { loadClusterConfig } from '../../config/cluster.js';
import { createLogger, type LogLevel } from '../../runtime/logger.js';
import { logLevelOption, parseIntegerIn } from '../options.js';
import { UsageError } from '../exit-codes.js';
import { addClusterKeyOptions, clusterKeyOf } from '../server-security-options.js';

interface SequencerFlags {
  config: string;
  id: number;
  dataplane: 'userspace' | 'xdp';
  interface?: string;
  xdpMode: 'generic' | 'native';
  xdpObject?: string;
  logLevel: LogLevel;
  clusterKey?: string;
  clusterKeyFile?: string;
}

export function sequencerCommand(): Command {
  return addClusterKeyOptions(new Command('sequencer'))
    .description('run an MRTOM sequencer: stamps, fans out, keeps copies, aggregates acks')
    .addOption(new Option('--config <file>', 'cluster config (cluster.json)').makeOptionMandatory().env('MRTOM_CONFIG'))
    .addOption(
      new Option('--id <n>', 'this sequencer id in the config').argParser(parseIntegerIn(1, 0xffff)).default(1).env('MRTOM_SEQUENCER_ID'),
    )
    .addOption(
      new Option('--dataplane <kind>', 'where stamping runs').choices(['userspace', 'xdp']).default('userspace').env('MRTOM_DATAPLANE'),
    )
    .addOption(new Option('--interface <name>', 'the interface the XDP program attaches to (--dataplane xdp)').env('MRTOM_XDP_INTERFACE'))
    .addOption(
      new Option('--xdp-mode <mode>', 'XDP attach mode: generic works on any interface, native needs driver support')
        .choices(['generic', 'native'])
        .default('generic')
        .env('MRTOM_XDP_MODE'),
    )
    .addOption(
      new Option('--xdp-object <file>', 'the BPF object to load (default: the one `npm run build:xdp` built)').env('MRTOM_XDP_OBJECT'),
    )
    .addOption(logLevelOption())
    .action(async (opts: SequencerFlags) => {
      if (opts.dataplane === 'xdp' && opts.interface === undefined) throw new UsageError('--dataplane xdp needs --interface');
      // Loaded here, not at the top: every other verb of the CLI starts without the server's modules.
      const [{ startSequencerNode }, { startMetricsServer }, { createSequencerMetrics }] = await Promise.all([
        import('../../runtime/sequencer-node.js'),
        import('../../runtime/metrics-server.js'),
        import('../../metrics/sequencer-metrics.js'),
      ]);
      const clusterKey = await clusterKeyOf(opts);
      const logger = createLogger(opts.logLevel, 'mrtom-kv');
      const config = await loadClusterConfig(resolve(opts.config));
      const xdp =
        opts.dataplane === 'xdp'
          ? {
              interfaceName: opts.interface as string,
              mode: opts.xdpMode,
              ...(opts.xdpObject === undefined ? {} : { objectPath: resolve(opts.xdpObject) }),
            }
          : undefined;
      const sequencer = await startSequencerNode({
        config,
        sequencerId: opts.id,
        logger,
        ...(xdp === undefined ? {} : { xdp }),
        ...(clusterKey === undefined ? {} : { clusterKey }),
      });
      const endpoint = config.sequencers.find((s) => s.id === opts.id)!;
      const metricsServer =
        endpoint.metricsPort === undefined
          ? null
          : await startMetricsServer({
              host: endpoint.host,
              port: endpoint.metricsPort,
              registry: createSequencerMetrics(sequencer.counters, sequencer.xdpCounters),
              logger,
            });
      closeWithGrace({ delay: 5_000 }, async ({ signal, err }) => {
        if (err) logger.error({ err }, 'stopping after an error');
        else logger.info({ signal }, 'stopping');
        await metricsServer?.close();
        await sequencer.close();
      });
    });
}
