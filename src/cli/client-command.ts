// What every client verb shares: --endpoints (MRTOM_ENDPOINTS), --output, --timeout, TLS; one SDK Client per
// run, closed when the verb is done; Ctrl-C ends the verb through an AbortSignal instead of killing it.
import { Command, Option } from 'commander';
import { Client, type ClientOptions } from '../client/index.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import { parseDurationMs } from './options.js';
import { clientTlsOptions, readClientTls, type ClientTlsFlags } from './client-tls.js';

/** The dev cluster `mrtom-kv dev` starts with its default port. */
export const DEV_ENDPOINTS = 'http://127.0.0.1:7001,http://127.0.0.1:7002,http://127.0.0.1:7003';

export interface ClientFlags extends ClientTlsFlags {
  endpoints: string;
  output: OutputFormat;
  timeout: number;
  token?: string;
}

export interface VerbContext {
  client: Client;
  output: OutputFormat;
  /** Aborted by Ctrl-C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
}

/** A client verb: `name`, its description, the examples shown by --help, and the client flags. */
export function clientCommand(name: string, description: string, examples: readonly string[]): Command {
  const command = new Command(name)
    .description(description)
    .addOption(
      new Option('--endpoints <urls>', 'replica URLs, comma-separated; requests fail over among them')
        .default(DEV_ENDPOINTS)
        .env('MRTOM_ENDPOINTS'),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text').env('MRTOM_OUTPUT'))
    .addOption(new Option('--token <token>', 'bearer token, when the cluster runs with auth on').env('MRTOM_TOKEN'))
    .addOption(
      new Option('--timeout <duration>', 'deadline of each request, retries included (e.g. 500ms, 15s)')
        .argParser(parseDurationMs)
        .default(15_000, '15s'),
    );
  for (const option of clientTlsOptions()) command.addOption(option);
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
}

/** Runs `verb` with a client built from the flags (and `options`), and closes the client whatever happens. */
export async function runVerb(
  flags: ClientFlags,
  verb: (context: VerbContext) => Promise<void>,
  options: Partial<ClientOptions> = {},
): Promise<void> {
  const tls = await readClientTls(flags);
  const stopper = new AbortController();
  const stop = (): void => stopper.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const endpoints = flags.endpoints
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const client = new Client({
    ...options,
    endpoints,
    timeoutMs: flags.timeout,
    tls,
    ...(flags.token === undefined ? {} : { token: flags.token }),
  });
  try {
    await verb({ client, output: flags.output, signal: stopper.signal });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await client.close();
  }
}
