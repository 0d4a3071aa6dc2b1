// `mrtom-kv txn [file]`: sends a transaction written as the JSON body of POST /v1/txn (docs/api.md),
// from a file or stdin. Exit code 1 when the compares failed and the failure branch ran.
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { readInput } from '../input.js';
import { writeJson, writeLine, writeTable } from '../output.js';
import type { TxnOpResult, TxnRequest } from '../../client/index.js';

function parseTxn(text: string, source: string): TxnRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new UsageError(`${source} must be a JSON object with compare, success and failure (docs/api.md)`);
  // The server validates the rest and names each field it refuses.
  return body as TxnRequest;
}

function describeResult(result: TxnOpResult): string {
  if ('put' in result) return `put modRevision ${result.put.modRevision}`;
  if ('delete' in result) return `delete ${result.delete.deleted ? 1 : 0}`;
  if ('get' in result)
    return result.get.item === null ? 'get (absent)' : `get ${result.get.item.key} modRevision ${result.get.item.modRevision}`;
  return `range ${result.range.items.length} keys${result.range.next === null ? '' : `, next ${result.range.next}`}`;
}

export function txnCommand() {
  return clientCommand('txn', 'run a transaction: compare, then success ops, else failure ops (JSON from a file or stdin)', [
    'mrtom-kv txn txn.json',
    `echo '{"compare":[{"key":"a","target":"exists","op":"==","value":false}],"success":[{"put":{"key":"a","value":"MQ=="}}]}' | mrtom-kv txn`,
  ])
    .argument('[file]', 'the txn JSON; - or nothing for stdin')
    .action(async (file: string | undefined, flags: ClientFlags) => {
      const input = await readInput(file === undefined || file === '-' ? '-' : `@${file}`);
      const request = parseTxn(Buffer.from(input).toString('utf8'), file ?? 'stdin');
      await runVerb(flags, async ({ client, output, signal }) => {
        const result = await client.commitTxn(request, { signal });
        if (output === 'json') writeJson(result);
        else if (output === 'table')
          writeTable(
            ['SUCCEEDED', 'REVISION', 'RESULT'],
            (result.results.length === 0 ? [''] : result.results.map(describeResult)).map((r) => [result.succeeded, result.revision, r]),
            true,
          );
        else {
          writeLine(`${result.succeeded ? 'SUCCEEDED' : 'FAILED'} revision ${result.revision}`);
          for (const r of result.results) writeLine(describeResult(r));
        }
        if (!result.succeeded) process.exitCode = EXIT.negative;
      });
    });
}
