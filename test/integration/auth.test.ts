// Bearer tokens end to end (docs/api.md, Authentication): real replicas started with --auth, real HTTP.
// Every guarded route is asked with no token, a wrong token, a revoked token, a token for another prefix
// and a read-only token on a write; an open watch ends when its token is revoked; three replicas
// bootstrapping at once leave exactly one root token; no secret reaches the logs or /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { waitFor } from './harness/wait.js';
import { writeRootTokenFile } from '../../src/runtime/root-token.js';
import { Client, ForbiddenError, UnauthorizedError } from '../../src/client/index.js';
import { runCli } from './client-harness/cli.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePortBase } from './harness/ports.js';
import { waitUntilReady } from '../../src/runtime/readiness.js';

type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

async function call(url: string, method: Method, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  // A permitted watch streams without end: its status is the answer.
  const streaming = res.statusCode === 200 && path.startsWith('/v1/watch');
  if (streaming) res.body.destroy();
  const text = method === 'HEAD' || streaming ? '' : await res.body.text();
  return { status: res.statusCode, text };
}

const DEADLINE_MS = 30_000;
/** Above the failures the route table makes; the limit itself is tested on replica 2 alone. */
const FAILURES_MAX = 200;

describe('auth with tokens', () => {
  let cluster: TestCluster;
  let secrets: string;
  let root: string;
  let url: string;
  const issued: Record<string, string> = {};

  beforeAll(async () => {
    secrets = await mkdtemp(join(tmpdir(), 'mrtom-auth-'));
    const file = join(secrets, 'root-token');
    root = await writeRootTokenFile(file);
    cluster = await startTestCluster({ replicaArgs: ['--auth', '--root-token-file', file, '--auth-failures-max', String(FAILURES_MAX)] });
    url = cluster.urls[0]!;
    await waitFor(
      'the root token',
      async () => ((await call(url, 'GET', '/v1/auth/tokens', root)).status === 200 ? true : undefined),
      DEADLINE_MS,
    );
    const create = async (name: string, rules: Array<{ prefix: string; access: string }>) => {
      const res = await call(url, 'POST', '/v1/auth/tokens', root, { name, rules });
      expect(res.status).toBe(200);
      issued[name] = (JSON.parse(res.text) as { token: string }).token;
    };
    await create('reader', [{ prefix: 'app/', access: 'read' }]);
    await create('writer', [{ prefix: 'app/', access: 'write' }]);
    await create('other', [{ prefix: 'other/', access: 'admin' }]);
    await create('revoked', [{ prefix: '', access: 'admin' }]);
    const revokedId = issued.revoked!.split('.')[0]!;
    expect((await call(url, 'DELETE', `/v1/auth/tokens/${revokedId}`, root)).status).toBe(200);
    expect((await call(url, 'PUT', '/v1/kv/app/a', issued.writer, undefined)).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
    await rm(secrets, { recursive: true, force: true });
  });

  // Each guarded route, what a permitted request looks like, and which tokens may not make it.
  const routes: Array<{ method: Method; path: string; body?: unknown; readOnlyRefused: boolean; otherPrefixRefused: boolean }> = [
    { method: 'GET', path: '/v1/kv/app/a', readOnlyRefused: false, otherPrefixRefused: true },
    { method: 'HEAD', path: '/v1/kv/app/a', readOnlyRefused: false, otherPrefixRefused: true },
    { method: 'PUT', path: '/v1/kv/app/b', readOnlyRefused: true, otherPrefixRefused: true },
    { method: 'DELETE', path: '/v1/kv/app/b', readOnlyRefused: true, otherPrefixRefused: true },
    { method: 'GET', path: '/v1/kv?prefix=app/', readOnlyRefused: false, otherPrefixRefused: true },
    { method: 'DELETE', path: '/v1/kv?prefix=app/c/', readOnlyRefused: true, otherPrefixRefused: true },
    { method: 'GET', path: '/v1/watch?prefix=app/', readOnlyRefused: false, otherPrefixRefused: true },
    {
      method: 'POST',
      path: '/v1/txn',
      body: { success: [{ put: { key: 'app/t', value: 'eA==' } }] },
      readOnlyRefused: true,
      otherPrefixRefused: true,
    },
    {
      method: 'POST',
      path: '/v1/txn',
      body: { compare: [{ key: 'app/a', target: 'version', op: '>', value: 0 }] },
      readOnlyRefused: false,
      otherPrefixRefused: true,
    },
    { method: 'POST', path: '/v1/compact?revision=1', readOnlyRefused: true, otherPrefixRefused: true },
    { method: 'GET', path: '/v1/auth/tokens', readOnlyRefused: true, otherPrefixRefused: true },
    {
      method: 'POST',
      path: '/v1/auth/tokens',
      body: { name: 'x', rules: [{ prefix: 'x/', access: 'read' }] },
      readOnlyRefused: true,
      otherPrefixRefused: true,
    },
    { method: 'DELETE', path: '/v1/auth/tokens/nosuchid', readOnlyRefused: true, otherPrefixRefused: true },
    { method: 'DELETE', path: '/v1/leases/1', readOnlyRefused: true, otherPrefixRefused: true },
    { method: 'GET', path: '/v1/leases', readOnlyRefused: false, otherPrefixRefused: false },
    { method: 'POST', path: '/v1/leases?ttl=30s', readOnlyRefused: false, otherPrefixRefused: false },
    { method: 'GET', path: '/v1/status', readOnlyRefused: false, otherPrefixRefused: false },
    { method: 'GET', path: '/metrics', readOnlyRefused: false, otherPrefixRefused: false },
  ];

  it.each(routes)(
    '$method $path: 401 without a valid token, 403 without the right',
    async ({ method, path, body, readOnlyRefused, otherPrefixRefused }) => {
      const wrong = `root.${'A'.repeat(43)}`;
      for (const token of [undefined, wrong, 'malformed', issued.revoked]) {
        const res = await call(url, method, path, token, body);
        expect(res.status, `token ${token}`).toBe(401);
        if (method !== 'HEAD') expect(JSON.parse(res.text).error.code).toBe('unauthorized');
      }
      const asReader = await call(url, method, path, issued.reader, body);
      if (readOnlyRefused) expect(asReader.status).toBe(403);
      else expect(asReader.status).not.toBe(403);
      const asOther = await call(url, method, path, issued.other, body);
      if (otherPrefixRefused) expect(asOther.status).toBe(403);
      else expect(asOther.status).not.toBe(403);
    },
  );

  it('answers 403 alike whether or not the key exists, and refuses a txn whole', async () => {
    const present = await call(url, 'GET', '/v1/kv/app/a', issued.other);
    const absent = await call(url, 'GET', '/v1/kv/app/never-written', issued.other);
    expect([present.status, absent.status]).toEqual([403, 403]);
    expect(present.text.replace('app/a', 'K')).toBe(absent.text.replace('app/never-written', 'K'));
    const txn = { success: [{ put: { key: 'app/in', value: 'eA==' } }, { put: { key: 'secret/out', value: 'eA==' } }] };
    expect((await call(url, 'POST', '/v1/txn', issued.writer, txn)).status).toBe(403);
    expect((await call(url, 'GET', '/v1/kv/app/in', root)).status).toBe(404);
    expect((await call(url, 'GET', '/v1/kv/app/a', issued.reader)).status).toBe(200);
    expect((await call(url, 'GET', '/v1/kv?prefix=', issued.reader)).status).toBe(403);
  });

  it('answers 429 to failed authentications past the per-address limit, while a valid token still passes', async () => {
    const limited = cluster.urls[1]!;
    const statuses = new Set<number>();
    for (let i = 0; i <= FAILURES_MAX; i++) statuses.add((await call(limited, 'GET', '/v1/kv/app/a', 'root.wrong')).status);
    expect([...statuses]).toEqual([401, 429]);
    expect((await call(limited, 'GET', '/v1/kv/app/a', issued.reader)).status).toBe(200);
  });

  it('keeps health and the API description open', async () => {
    for (const path of ['/livez', '/readyz', '/openapi.json']) expect((await call(url, 'GET', path)).status).toBe(200);
  });

  it('ends an open watch on another replica when its token is revoked, and refuses the token there', async () => {
    const create = await call(url, 'POST', '/v1/auth/tokens', root, { name: 'watcher', rules: [{ prefix: 'app/', access: 'read' }] });
    const { token, id } = JSON.parse(create.text) as { token: string; id: string };
    const other = cluster.urls[2]!;
    await waitFor(
      'the token on replica 3',
      async () => ((await call(other, 'GET', '/v1/kv/app/a', token)).status === 200 ? true : undefined),
      DEADLINE_MS,
    );
    const watch = await request(`${other}/v1/watch?prefix=app/`, { headers: { authorization: `Bearer ${token}` }, bodyTimeout: 0 });
    expect(watch.statusCode).toBe(200);
    const ended = watch.body.text();
    expect((await call(url, 'DELETE', `/v1/auth/tokens/${id}`, root)).status).toBe(200);
    await ended; // the stream ends; the test's own timeout bounds the wait
    expect((await call(other, 'GET', '/v1/kv/app/a', token)).status).toBe(401);
  });

  it('works through the SDK with typed errors', async () => {
    const endpoints = cluster.urls;
    const writer = new Client({ endpoints, token: issued.writer! });
    const reader = new Client({ endpoints, token: issued.reader! });
    const anonymous = new Client({ endpoints });
    const admin = new Client({ endpoints, token: root });
    try {
      await writer.put('app/sdk', 'v');
      expect((await reader.get('app/sdk'))?.text()).toBe('v');
      await expect(reader.put('app/sdk', 'w')).rejects.toBeInstanceOf(ForbiddenError);
      await expect(anonymous.get('app/sdk')).rejects.toBeInstanceOf(UnauthorizedError);
      const made = await admin.tokens.create('sdk', [{ prefix: 'sdk/', access: 'write' }]);
      expect((await admin.tokens.list()).map((t) => t.id)).toContain(made.id);
      await admin.tokens.revoke(made.id);
      expect((await admin.tokens.list()).map((t) => t.id)).not.toContain(made.id);
    } finally {
      await Promise.all([writer.close(), reader.close(), anonymous.close(), admin.close()]);
    }
  });

  it('token create, list and revoke through the CLI, with --token and MRTOM_TOKEN; exit code 5 when refused', async () => {
    const env = { MRTOM_ENDPOINTS: cluster.urls.join(',') };
    const created = await runCli(['token', 'create', '--name', 'cli', '--rule', 'app/:read', '-o', 'json'], {
      env: { ...env, MRTOM_TOKEN: root },
    });
    expect(created.code).toBe(0);
    const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
    issued.cli = token;
    expect((await runCli(['get', 'app/a', '--token', token], { env })).code).toBe(0);
    expect((await runCli(['put', 'app/a', 'x', '--token', token], { env })).code).toBe(5);
    expect((await runCli(['get', 'app/a'], { env })).code).toBe(5);
    expect((await runCli(['token', 'list', '--token', root], { env })).stdout).toContain(`${id} cli app/:read`);
    expect((await runCli(['token', 'revoke', id, '--token', root], { env })).code).toBe(0);
    expect((await runCli(['token', 'list', '--token', root], { env })).stdout).not.toContain(id);
  });

  it('never shows a secret in the logs or in /metrics', async () => {
    const metrics = await Promise.all(cluster.urls.map(async (u) => (await call(u, 'GET', '/metrics', root)).text));
    expect(metrics.join('\n')).toContain('mrtom_auth_failures_total{reason="invalid"}');
    const logs = await readFile(cluster.logPath, 'utf8');
    for (const token of [root, ...Object.values(issued)]) {
      const secret = token.split('.')[1]!;
      expect(logs).not.toContain(secret);
      for (const text of metrics) expect(text).not.toContain(secret);
    }
  });
});

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

describe('root token bootstrap', () => {
  it('mrtom-kv dev --auth prints the root token once and writes it to <data>/root-token (0600)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mrtom-dev-auth-'));
    const port = await freePortBase(3);
    const dev = spawn(process.execPath, ['--import', 'tsx', MAIN, 'dev', '--auth', '--port', String(port), '--data', dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines: string[] = [];
      createInterface({ input: dev.stdout! }).on('line', (line) => lines.push(line));
      const urls = [0, 1, 2].map((i) => `http://127.0.0.1:${port + i}`);
      expect(await waitUntilReady(urls, DEADLINE_MS)).toBe(true);
      const printed = await waitFor('the root token line', async () => lines.find((l) => l.startsWith('root token: ')), DEADLINE_MS);
      const file = join(dataDir, 'root-token');
      const root = (await readFile(file, 'utf8')).trim();
      expect(printed).toBe(`root token: ${root}`);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await call(urls[1]!, 'GET', '/v1/kv/k')).status).toBe(401);
      const asRoot = await waitFor(
        'the root token in force',
        async () => {
          const res = await call(urls[2]!, 'GET', '/v1/kv/k', root);
          return res.status === 401 ? undefined : res.status;
        },
        DEADLINE_MS,
      );
      expect(asRoot).toBe(404);
      expect(lines.filter((l) => l.includes('root token: '))).toHaveLength(1);
    } finally {
      dev.kill('SIGTERM');
      await once(dev, 'exit');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('leaves exactly one root token when three replicas start with --auth at once', async () => {
    const cluster = await startTestCluster({ replicaArgs: ['--auth'] });
    try {
      const files = cluster.config.replicas.map((r) => join(resolve(cluster.dataDir, r.dataDir), 'root-token'));
      const exists = async (file: string) =>
        stat(file).then(
          () => true,
          () => false,
        );
      // Every replica's bootstrap has settled once only the winner's file is left.
      const kept = await waitFor(
        'one root token file',
        async () => {
          const present = await Promise.all(files.map(exists));
          return present.filter(Boolean).length === 1 ? files[present.indexOf(true)]! : undefined;
        },
        DEADLINE_MS,
      );
      const root = (await readFile(kept, 'utf8')).trim();
      expect((await stat(kept)).mode & 0o777).toBe(0o600);
      for (const url of cluster.urls) {
        const listed = await waitFor(
          'the root token',
          async () => {
            const res = await call(url, 'GET', '/v1/auth/tokens', root);
            return res.status === 200 ? (JSON.parse(res.text) as { tokens: Array<{ id: string }> }).tokens : undefined;
          },
          DEADLINE_MS,
        );
        expect(listed.map((t) => t.id)).toEqual(['root']);
      }
      const printed = (await readFile(cluster.logPath, 'utf8')).match(/root token: /g) ?? [];
      expect(printed).toHaveLength(1);
    } finally {
      await cluster.stop();
    }
  }, 90_000);
});
