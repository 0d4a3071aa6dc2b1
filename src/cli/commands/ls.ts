// `mrtom-kv ls [prefix]`: keys under a prefix in byte order, paged through the SDK. Text prints one key
// per line; json and table show values and revisions too.
import { Option } from 'commander';
import type { KeyValue } from '../../client/index.js';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { valueText, writeJson, writeLine, writeTable } from '../output.js';
import { consistencyOption, parseIntegerIn } from '../options.js';

interface LsFlags extends ClientFlags {
  limit?: number;
  pageSize: number;
  after?: string;
  keysOnly?: boolean;
  consistency: 'linearizable' | 'stale';
}

/** What one ls prints at most unless --limit says otherwise: a listing, not an export. */
const ITEMS_MAX_DEFAULT = 100_000;

export function lsCommand() {
  return clientCommand('ls', 'list keys under a prefix (all keys without one), in byte order', [
    'mrtom-kv ls app/',
    'mrtom-kv ls app/ --limit 10 -o table',
    'mrtom-kv ls app/ --limit 10 --after app/k -o json | jq -r .next',
  ])
    .argument('[prefix]', 'list keys starting with this', '')
    .addOption(
      new Option('--limit <n>', `stop after n keys (default ${ITEMS_MAX_DEFAULT})`).argParser(parseIntegerIn(1, Number.MAX_SAFE_INTEGER)),
    )
    .addOption(new Option('--page-size <n>', 'keys per request').argParser(parseIntegerIn(1, 1000)).default(100))
    .addOption(new Option('--after <key>', "start after this key (a previous listing's next)"))
    .addOption(new Option('--keys-only', 'leave values out (json, table)'))
    .addOption(consistencyOption())
    .action(async (prefix: string, flags: LsFlags) => {
      const limit = flags.limit ?? ITEMS_MAX_DEFAULT;
      await runVerb(flags, async ({ client, output, signal }) => {
        const items: KeyValue[] = [];
        let next: string | null = null;
        const pages = client.list({
          prefix,
          pageSize: Math.min(flags.pageSize, limit),
          keysOnly: output === 'text' || flags.keysOnly === true,
          consistency: flags.consistency,
          signal,
          ...(flags.after === undefined ? {} : { after: flags.after }),
        });
        for await (const page of pages) {
          const room = limit - items.length;
          items.push(...page.items.slice(0, room));
          // Cut short by --limit: `next` is where a later listing continues.
          if (items.length === limit && (page.items.length > room || page.next !== null)) {
            next = items.at(-1)!.key;
            break;
          }
        }
        if (output === 'json') writeJson({ items, next });
        else if (output === 'table')
          writeTable(
            ['KEY', 'CREATE REV', 'MOD REV', 'VERSION', 'LEASE', 'VALUE'],
            items.map((kv) => [kv.key, kv.createRevision, kv.modRevision, kv.version, kv.lease, flags.keysOnly ? '' : valueText(kv.value)]),
            true,
          );
        else for (const kv of items) writeLine(kv.key);
      });
    });
}
