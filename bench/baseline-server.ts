// The comparison baseline: one process, no replication, the same HTTP shape as mrtom-kv.
// Every PUT is one LevelDB write with sync: true, the same durability as mrtom-kv's default
// fsync mode, so the gap between the two is the price of replication and ordering.
//
//   node bench/dist/baseline-server.js --port 8080 --data /tmp/baseline   (compiled by npm run bench)
import closeWithGrace from 'close-with-grace';
import { Command } from 'commander';
import Fastify, { type FastifyError } from 'fastify';
import { Level } from 'level';
import { integerIn } from './flags.js';

// Fastify's default (1 MiB) is also what a benchmark value can reach (see run.ts).
const bodyBytesMax = 1024 * 1024;
// Each stored record is an 8-byte big-endian revision followed by the value, so GET can answer
// with the ETag of the write that produced it.
const revisionBytes = 8;
const closeGraceMs = 10_000;
const portMax = 65_535;

class KeyNotFoundError extends Error {
  readonly statusCode = 404;
  readonly code = 'key_not_found';
}

class EmptyKeyError extends Error {
  readonly statusCode = 400;
  readonly code = 'empty_key';
}

const options = new Command()
  .requiredOption('--port <port>', 'HTTP port on 127.0.0.1', integerIn(1, portMax))
  .requiredOption('--data <dir>', 'LevelDB directory')
  .parse()
  .opts<{ port: number; data: string }>();

const db = new Level<string, Uint8Array>(options.data, { valueEncoding: 'view' });
await db.open();

// The revision lives only inside the records: a separate counter key could be overwritten out of
// order by concurrent batches (LevelDB's writer queue, not the JS call order, decides), so after a
// restart the highest revision stored is the only trustworthy one.
let revision = 0n;
for await (const record of db.values()) {
  const stored = Buffer.from(record.buffer, record.byteOffset, record.byteLength).readBigUInt64BE(0);
  if (stored > revision) revision = stored;
}

const app = Fastify({ logger: false, bodyLimit: bodyBytesMax });

// Values are opaque bytes whatever the client claims they are, as in mrtom-kv.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

app.setErrorHandler((error: FastifyError, _request, reply) => {
  const statusCode = error.statusCode ?? 500;
  void reply.code(statusCode).send({ error: { code: error.code ?? 'internal', message: error.message } });
});

function keyOf(params: unknown): string {
  const key = (params as { '*': string })['*'];
  if (key.length === 0) throw new EmptyKeyError('the key must not be empty');
  return key;
}

app.put('/v1/kv/*', async (request, reply) => {
  const key = keyOf(request.params);
  const value = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  // Taken before the await so concurrent writes get distinct, increasing revisions.
  revision += 1n;
  const written = revision;
  const record = Buffer.allocUnsafe(revisionBytes + value.length);
  record.writeBigUInt64BE(written, 0);
  value.copy(record, revisionBytes);
  await db.put(key, record, { sync: true });
  void reply.header('etag', `"${written}"`);
  return { revision: Number(written) };
});

app.get('/v1/kv/*', async (request, reply) => {
  const key = keyOf(request.params);
  const record = await db.get(key);
  if (record === undefined) throw new KeyNotFoundError(`no value for key ${key}`);
  const bytes = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  void reply.header('etag', `"${bytes.readBigUInt64BE(0)}"`).type('application/octet-stream');
  return bytes.subarray(revisionBytes);
});

app.get('/readyz', async () => ({ status: 'ready' }));

app.addHook('onClose', async () => {
  await db.close();
});

closeWithGrace({ delay: closeGraceMs }, async ({ err }) => {
  if (err !== undefined) console.error(err);
  await app.close();
});

await app.listen({ host: '127.0.0.1', port: options.port });
