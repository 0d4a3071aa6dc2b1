// `mrtom-kv del <key>` deletes one key (optionally as CAS); `--prefix` deletes every key under a prefix.
import { Option } from 'commander';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { UsageError } from '../exit-codes.js';
import { writeJson, writeLine, writeTable } from '../output.js';
import { parseIntegerIn } from '../options.js';

interface DelFlags extends ClientFlags {
  prefix?: boolean;
  ifRevision?: number;
}

export function delCommand() {
  return clientCommand('del', 'delete a key, or with --prefix every key under a prefix', [
    'mrtom-kv del app/greeting',
    'mrtom-kv del app/lock --if-revision 12',
    'mrtom-kv del --prefix app/',
  ])
    .argument('<key>', 'the key (with --prefix: the prefix; "" means every key)')
    .addOption(new Option('--prefix', 'delete every key starting with <key>'))
    .addOption(
      new Option('--if-revision <n>', "delete only if the key's modRevision is n").argParser(parseIntegerIn(0, Number.MAX_SAFE_INTEGER)),
    )
    .action(async (key: string, flags: DelFlags) => {
      if (flags.prefix && flags.ifRevision !== undefined) throw new UsageError('--if-revision applies to one key, not to --prefix');
      await runVerb(flags, async ({ client, output, signal }) => {
        const result = flags.prefix
          ? await client.deletePrefix(key, { signal })
          : await client
              .delete(key, { signal, ...(flags.ifRevision === undefined ? {} : { ifRevision: flags.ifRevision }) })
              .then((r) => ({ revision: r.revision, deleted: r.deleted ? 1 : 0 }));
        if (output === 'json') writeJson(result);
        else if (output === 'table') writeTable(['DELETED', 'REVISION'], [[result.deleted, result.revision]], true);
        else writeLine(`deleted ${result.deleted} (revision ${result.revision})`);
      });
    });
}
