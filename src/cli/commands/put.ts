// `mrtom-kv put <key> [value]`: writes a value (argument, @file, or stdin), optionally as CAS or
// create-only, optionally attached to a lease.
import { Option } from 'commander';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { UsageError } from '../exit-codes.js';
import { readInput } from '../input.js';
import { valueText, writeJson, writeLine, writeTable } from '../output.js';
import type { KeyValue } from '../../client/index.js';
import { parseDurationMs, parseIntegerIn } from '../options.js';

interface PutFlags extends ClientFlags {
  ifRevision?: number;
  ifAbsent?: boolean;
  lease?: number;
  ttl?: number;
  contentType?: string;
  prev?: boolean;
}

export function putCommand() {
  return clientCommand('put', 'write a value: the argument, @file, or stdin (- or nothing)', [
    'mrtom-kv put app/greeting hello',
    'mrtom-kv put app/config @config.json --content-type application/json',
    'echo -n v2 | mrtom-kv put app/greeting --if-revision 7',
    'mrtom-kv put locks/job owner-1 --if-absent --ttl 30s',
    'mrtom-kv put app/greeting v3 --prev -o json | jq .prev',
  ])
    .argument('<key>', 'the key')
    .argument('[value]', 'the value, @file to read a file, - or nothing for stdin')
    .addOption(
      new Option('--if-revision <n>', "write only if the key's modRevision is n (CAS)").argParser(
        parseIntegerIn(0, Number.MAX_SAFE_INTEGER),
      ),
    )
    .addOption(new Option('--if-absent', 'write only if the key does not exist').conflicts('ifRevision'))
    .addOption(new Option('--lease <id>', 'attach the key to this lease').argParser(parseIntegerIn(1, Number.MAX_SAFE_INTEGER)))
    .addOption(
      new Option('--ttl <duration>', 'attach the key to a new lease of its own (1s to 24h)').argParser(parseDurationMs).conflicts('lease'),
    )
    .addOption(new Option('--content-type <type>', 'stored with the value (default text/plain for an argument, octet-stream otherwise)'))
    .addOption(new Option('--prev', 'also print the value the put replaced'))
    .action(async (key: string, valueArg: string | undefined, flags: PutFlags) => {
      const value = await readInput(valueArg);
      if (flags.ttl !== undefined && flags.ttl < 1_000) throw new UsageError('--ttl must be at least 1s');
      await runVerb(flags, async ({ client, output, signal }) => {
        const { revision, prev } = await client.put(key, value, {
          signal,
          ...(flags.ifRevision === undefined ? {} : { ifRevision: flags.ifRevision }),
          ...(flags.ifAbsent ? { ifAbsent: true } : {}),
          ...(flags.lease === undefined ? {} : { lease: flags.lease }),
          ...(flags.ttl === undefined ? {} : { ttlMs: flags.ttl }),
          ...(flags.contentType === undefined ? {} : { contentType: flags.contentType }),
          ...(flags.prev ? { prev: true } : {}),
        });
        if (output === 'json') writeJson(prev === undefined ? { revision } : { revision, prev });
        else if (output === 'table') writeTable(['KEY', 'REVISION', 'PREV'], [[key, revision, prevText(prev)]], true);
        else writeLine(prev === undefined ? `OK revision ${revision}` : `OK revision ${revision}, prev ${prevText(prev)}`);
      });
    });
}

/** The replaced value as the text output shows it; "none" when the key was absent. */
function prevText(prev: KeyValue | null | undefined): string | undefined {
  if (prev === undefined) return undefined;
  return prev === null ? 'none' : `${valueText(prev.value)} (modRevision ${prev.modRevision})`;
}
