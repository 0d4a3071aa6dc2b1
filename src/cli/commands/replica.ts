// `mrtom-kv replica --config FILE --id N`: one replica process (HTTP API + replica protocol + LevelDB).
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import closeWithGrace from 'close-with-grace';
import { loadClusterConfig } from '../../config/cluster.js';
import { createLogger, type LogLevel } from '../../runtime/logger.js';
import { logLevelOption, parseIntegerIn } from '../options.js';
import { HTTP_TIMEOUT_MS_MAX, HTTP_TIMEOUT_MS_MIN } from '../../api/http-timeouts.js';
import { VALUE_BYTES_MAX_LIMIT } from '../../api/value-limit.js';
import { addSecurityOptions, securityOptionsOf, type SecurityFlags } from '../server-security-options.js';

function authOptionsOf(opts: { rootTokenFile?: string; authOpenOperations?: boolean; authFailuresMax?: number }) {
  return {
    openOperations: opts.authOpenOperations === true,
    ...(opts.authFailuresMax === undefined ? {} : { failuresPerAddressMax: opts.authFailuresMax }),
    ...(opts.rootTokenFile === undefined ? {} : { rootTokenFile: resolve(opts.rootTokenFile) }),
  };
}

export function replicaCommand(): Command {
  return addSecurityOptions(new Command('replica'))
    .description('run one replica: HTTP API, MRTOM-Paxos replica and LevelDB state machine')
    .addOption(new Option('--config <file>', 'cluster config (cluster.json)').makeOptionMandatory().env('MRTOM_CONFIG'))
    .addOption(
      new Option('--id <n>', 'this replica id in the config')
        .argParser(parseIntegerIn(1, 0xffff))
        .makeOptionMandatory()
        .env('MRTOM_REPLICA_ID'),
    )
    .addOption(logLevelOption())
    .addOption(
      new Option('--txn-ops-max <n>', 'compares plus ops a POST /v1/txn may hold (default 128)')
        .argParser(parseIntegerIn(1, 4096))
        .env('MRTOM_TXN_OPS_MAX'),
    )
    .addOption(
      new Option('--value-bytes-max <bytes>', 'largest value a PUT may carry, split across datagrams as needed (default 1048576)')
        .argParser(parseIntegerIn(1, VALUE_BYTES_MAX_LIMIT))
        .env('MRTOM_VALUE_BYTES_MAX'),
    )
    .addOption(
      new Option('--watch-history-revisions <n>', 'revisions of watch history kept; older starts get 410 (default 10000)')
        .argParser(parseIntegerIn(1, 10_000_000))
        .env('MRTOM_WATCH_HISTORY_REVISIONS'),
    )
    .addOption(
      new Option('--http-headers-timeout-ms <ms>', 'time a client has to send request headers; later is 408 (default 10000)')
        .argParser(parseIntegerIn(HTTP_TIMEOUT_MS_MIN, HTTP_TIMEOUT_MS_MAX))
        .env('MRTOM_HTTP_HEADERS_TIMEOUT_MS'),
    )
    .addOption(
      new Option('--http-request-timeout-ms <ms>', 'time a client has to send a whole request, body included; later is 408 (default 30000)')
        .argParser(parseIntegerIn(HTTP_TIMEOUT_MS_MIN, HTTP_TIMEOUT_MS_MAX))
        .env('MRTOM_HTTP_REQUEST_TIMEOUT_MS'),
    )
    .addOption(
      new Option(
        '--log-retain-entries <n>',
        'applied log entries kept for lagging peers; further behind they get a snapshot (default 10000)',
      )
        .argParser(parseIntegerIn(1, 10_000_000))
        .env('MRTOM_LOG_RETAIN_ENTRIES'),
    )
    .addOption(new Option('--auth', 'require bearer tokens on every route (bootstraps the root token on first start)').env('MRTOM_AUTH'))
    .addOption(
      new Option(
        '--root-token-file <file>',
        'the root token, read or (first start) written with mode 0600 (default <data>/root-token)',
      ).env('MRTOM_ROOT_TOKEN_FILE'),
    )
    .addOption(
      new Option('--auth-failures-max <n>', 'failed authentications per client address and minute before 429 (default 20)')
        .argParser(parseIntegerIn(1, 1_000_000))
        .env('MRTOM_AUTH_FAILURES_MAX'),
    )
    .addOption(new Option('--auth-open-operations', '/v1/status and /metrics without a token').env('MRTOM_AUTH_OPEN_OPERATIONS'))
    .action(
      async (
        opts: SecurityFlags & {
          auth?: boolean;
          rootTokenFile?: string;
          authOpenOperations?: boolean;
          authFailuresMax?: number;
          config: string;
          id: number;
          logLevel: LogLevel;
          txnOpsMax?: number;
          valueBytesMax?: number;
          watchHistoryRevisions?: number;
          httpHeadersTimeoutMs?: number;
          httpRequestTimeoutMs?: number;
          logRetainEntries?: number;
        },
      ) => {
        // Loaded here, not at the top: every other verb of the CLI starts without the server's modules.
        const { startReplicaNode } = await import('../../runtime/replica-node.js');
        const logger = createLogger(opts.logLevel, 'mrtom-kv');
        const configPath = resolve(opts.config);
        const config = await loadClusterConfig(configPath);
        const security = await securityOptionsOf(opts);
        const api = {
          ...(opts.txnOpsMax === undefined ? {} : { txnOpsMax: opts.txnOpsMax }),
          ...(opts.valueBytesMax === undefined ? {} : { valueBytesMax: opts.valueBytesMax }),
          ...(opts.watchHistoryRevisions === undefined ? {} : { eventRetainRevisions: opts.watchHistoryRevisions }),
          ...(opts.httpHeadersTimeoutMs === undefined ? {} : { headersTimeoutMs: opts.httpHeadersTimeoutMs }),
          ...(opts.httpRequestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.httpRequestTimeoutMs }),
        };
        const node = await startReplicaNode({
          config,
          configDir: dirname(configPath),
          replicaId: opts.id,
          logger,
          api,
          ...security,
          ...(opts.logRetainEntries === undefined ? {} : { logRetainEntries: opts.logRetainEntries }),
          ...(opts.auth === true ? { auth: authOptionsOf(opts) } : {}),
        });
        // SIGHUP reloads the TLS certificate (tls-reload.ts); it never stops a replica.
        closeWithGrace({ delay: 10_000, skip: ['SIGHUP'] }, async ({ signal, err }) => {
          if (err) logger.error({ err }, 'stopping after an error');
          else logger.info({ signal }, 'stopping');
          await node.close();
        });
      },
    );
}
