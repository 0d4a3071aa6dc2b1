// `mrtom-kv get <key>`: prints the value's exact bytes (text), or its metadata too (json, table).
import { Option } from 'commander';
import { NotFoundError } from '../../client/index.js';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { valueText, writeJson, writeTable } from '../output.js';
import { consistencyOption, parseIntegerIn } from '../options.js';

interface GetFlags extends ClientFlags {
  consistency: 'linearizable' | 'stale';
  rev?: number;
}

export function getCommand() {
  return clientCommand('get', 'read a value (exit code 1 when the key is absent)', [
    'mrtom-kv get app/greeting',
    'mrtom-kv get app/config -o json | jq -r .value | base64 -d',
    'mrtom-kv get app/greeting --consistency stale --endpoints http://127.0.0.1:7003',
    'mrtom-kv get app/greeting --rev 3',
  ])
    .argument('<key>', 'the key')
    .addOption(consistencyOption('linearizable: sees every acknowledged write; stale: the replica as it is'))
    .addOption(
      new Option('--rev <revision>', 'the value as it was at this store revision').argParser(parseIntegerIn(0, Number.MAX_SAFE_INTEGER)),
    )
    .action(async (key: string, flags: GetFlags) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        const kv = await client.get(key, {
          consistency: flags.consistency,
          ...(flags.rev === undefined ? {} : { revision: flags.rev }),
          signal,
        });
        if (kv === undefined) throw new NotFoundError(`key not found: ${key}`, { code: 'key_not_found', status: 404 });
        if (output === 'json') writeJson(kv);
        else if (output === 'table')
          writeTable(
            ['KEY', 'MOD REVISION', 'CONTENT TYPE', 'VALUE'],
            [[kv.key, kv.modRevision, kv.contentType, valueText(kv.value)]],
            true,
          );
        else process.stdout.write(kv.value);
      });
    });
}
