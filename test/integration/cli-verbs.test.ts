// Proves the mrtom-kv client verbs as a user runs them: each test starts the CLI as a subprocess against a
// real 3-replica cluster and checks what it prints (text, json, table) and its exit code (0 ok, 1 not
// found / precondition failed, 2 usage error, 3 unavailable).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { runCli } from './client-harness/cli.js';

describe('mrtom-kv client verbs', () => {
  let cluster: TestCluster;
  let env: Record<string, string>;
  /** Input files the verbs read. */
  let scratch: string;
  const cli = (...args: string[]) => runCli(args, { env });
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mrtom-cli-'));
    cluster = await startTestCluster();
    env = { MRTOM_ENDPOINTS: cluster.urls.join(',') };
  });
  afterAll(async () => {
    await cluster?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('put, get, ls and del in every output format', async () => {
    const put = await cli('put', 'app/greeting', 'hello');
    expect(put).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK revision \d+\n$/) });
    const revision = Number(/\d+/.exec(put.stdout)![0]);

    // text prints the exact bytes, nothing added
    expect(await cli('get', 'app/greeting')).toMatchObject({ code: 0, stdout: 'hello' });
    const json = JSON.parse((await cli('get', 'app/greeting', '-o', 'json')).stdout);
    expect(json).toMatchObject({ key: 'app/greeting', modRevision: revision, value: Buffer.from('hello').toString('base64') });
    expect((await cli('get', 'app/greeting', '-o', 'table', '--consistency', 'stale')).stdout).toMatch(/app\/greeting.*hello/);

    // stdin and @file values
    expect((await runCli(['put', 'app/piped'], { env, input: 'from stdin' })).code).toBe(0);
    const file = join(scratch, 'value.bin');
    await writeFile(file, Buffer.from([0, 1, 2, 255]));
    expect((await cli('put', 'app/file', `@${file}`)).code).toBe(0);
    expect(JSON.parse((await cli('get', 'app/file', '-o', 'json')).stdout).value).toBe(Buffer.from([0, 1, 2, 255]).toString('base64'));

    expect(await cli('ls', 'app/')).toMatchObject({ code: 0, stdout: 'app/file\napp/greeting\napp/piped\n' });
    const page = JSON.parse((await cli('ls', 'app/', '--limit', '2', '--page-size', '1', '-o', 'json')).stdout);
    expect(page.items.map((i: { key: string }) => i.key)).toEqual(['app/file', 'app/greeting']);
    expect(page.next).toBe('app/greeting');
    expect((await cli('ls', 'app/', '--after', page.next)).stdout).toBe('app/piped\n');
    expect((await cli('ls', 'app/', '-o', 'table')).stdout).toMatch(/KEY.*VERSION[^]*app\/piped.*from stdin/);

    expect(await cli('del', 'app/piped')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^deleted 1 \(revision \d+\)\n$/) });
    expect(JSON.parse((await cli('del', '--prefix', 'app/', '-o', 'json')).stdout)).toMatchObject({ deleted: 2 });
    expect((await cli('ls', 'app/')).stdout).toBe('');
  });

  it('exit code 1 for a missing key and a failed precondition; CAS and create-only succeed when they hold', async () => {
    const missing = await cli('get', 'cas/none');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/key_not_found/);

    const created = await cli('put', 'cas/k', 'v1', '--if-absent', '-o', 'json');
    expect(created.code).toBe(0);
    const { revision } = JSON.parse(created.stdout);
    const again = await cli('put', 'cas/k', 'v1', '--if-absent');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/precondition_failed/);
    expect((await cli('put', 'cas/k', 'v2', '--if-revision', String(revision + 100))).code).toBe(1);
    expect((await cli('put', 'cas/k', 'v2', '--if-revision', String(revision))).code).toBe(0);
    expect((await cli('del', 'cas/k', '--if-revision', String(revision))).code).toBe(1);
    expect((await cli('get', 'cas/k')).stdout).toBe('v2');
  });

  it('exit code 2 for usage errors, including requests the server refuses as malformed', async () => {
    for (const args of [
      ['get'],
      ['get', 'k', '--bogus'],
      ['put', 'k', 'v', '--if-absent', '--if-revision', '3'],
      ['put', 'k', 'v', '--if-revision', 'x'],
      ['get', 'k', '--timeout', 'soon'],
      ['get', 'k', '-o', 'yaml'],
      ['bench', '--mix', '90:20'],
      ['dev', '--replicas', '4'],
    ]) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).not.toBe('');
    }
    expect((await runCli(['txn'], { env, input: 'not json' })).code).toBe(2);
    const refused = await runCli(['txn'], { env, input: '{"compare":[],"bogus":[]}' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/bogus/);
  });

  it('exit code 3 when no endpoint answers', async () => {
    const result = await runCli(['get', 'k', '--endpoints', 'http://127.0.0.1:9', '--timeout', '1s'], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/127\.0\.0\.1:9/);
  });

  it('txn from a file and from stdin: exit 0 when the compares held, 1 when the failure branch ran', async () => {
    const body = {
      compare: [{ key: 'txn/a', target: 'exists', op: '==', value: false }],
      success: [{ put: { key: 'txn/a', value: Buffer.from('first').toString('base64') } }],
      failure: [{ get: { key: 'txn/a' } }],
    };
    const file = join(scratch, 'txn.json');
    await writeFile(file, JSON.stringify(body));
    const first = await cli('txn', file);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^SUCCEEDED revision \d+\nput modRevision \d+\n$/);
    const second = await runCli(['txn', '-o', 'json'], { env, input: JSON.stringify(body) });
    expect(second.code).toBe(1);
    const result = JSON.parse(second.stdout);
    expect(result.succeeded).toBe(false);
    expect(result.results[0].get.item).toMatchObject({ key: 'txn/a', value: Buffer.from('first').toString('base64') });
  });

  it('watch prints the frames from a revision, one line per event', async () => {
    const first = JSON.parse((await cli('put', 'watch/a', '1', '-o', 'json')).stdout);
    await cli('put', 'watch/b', '2');
    await cli('del', 'watch/a');
    const text = await cli('watch', 'watch/', '--from-revision', String(first.revision), '--max-frames', '3');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      `PUT ${first.revision} watch/a 1\nPUT ${first.revision + 1} watch/b 2\nDELETE ${first.revision + 2} watch/a\n`,
    );
    const json = await cli('watch', 'watch/', '--from-revision', String(first.revision), '--max-frames', '2', '-o', 'json');
    const frames = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(frames.map((f: { revision: number }) => f.revision)).toEqual([first.revision, first.revision + 1]);
  });

  it('lease grant, keepalive and revoke; the leased key goes with the lease', async () => {
    const granted = await cli('lease', 'grant', '30s', '-o', 'json');
    expect(granted.code).toBe(0);
    const { lease, ttlMs } = JSON.parse(granted.stdout);
    expect(ttlMs).toBe(30_000);
    expect((await cli('put', 'lease/key', 'up', '--lease', String(lease))).code).toBe(0);
    expect(await cli('lease', 'keepalive', String(lease), '--once')).toMatchObject({
      code: 0,
      stdout: `lease ${lease} kept alive, TTL 30000 ms\n`,
    });
    expect(await cli('lease', 'revoke', String(lease))).toMatchObject({ code: 0, stdout: `lease ${lease} revoked, 1 keys deleted\n` });
    expect((await cli('get', 'lease/key')).code).toBe(1);
    expect((await cli('lease', 'keepalive', String(lease))).code).toBe(1);
    expect((await cli('lease', 'show', String(lease))).code).toBe(1);
  });

  it("lease ls lists every lease; lease show names its keys and, on every replica, the leader's time left", async () => {
    const { lease } = JSON.parse((await cli('lease', 'grant', '30s', '-o', 'json')).stdout);
    expect((await cli('put', 'shown/b', 'up', '--lease', String(lease))).code).toBe(0);
    expect((await cli('put', 'shown/a', 'up', '--lease', String(lease))).code).toBe(0);
    const listed = await cli('lease', 'ls', '--page-size', '1', '-o', 'json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).leases).toContainEqual({ lease, ttlMs: 30_000, keys: 2 });
    expect((await cli('lease', 'ls')).stdout.split('\n')).toContain(String(lease));

    const shown = await cli('lease', 'show', String(lease), '--keys');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^lease ${lease}: TTL 30000 ms, 2 keys, [^\n]+\nshown/a\nshown/b\n$`));
    const reports: Array<{ url: string; role: string }> = JSON.parse((await cli('status', '-o', 'json')).stdout);
    for (const { url, role } of reports) {
      const { remainingMs, ...rest } = JSON.parse((await cli('lease', 'show', String(lease), '-o', 'json', '--endpoints', url)).stdout);
      expect(rest).toEqual({ revision: expect.any(Number), lease, ttlMs: 30_000, keys: 2 });
      // Followers ask the leader, the only replica that counts leases down.
      expect({ url, role, remainingMs }).toEqual({ url, role, remainingMs: expect.any(Number) });
      expect(remainingMs).toBeLessThanOrEqual(30_000);
    }
    expect((await cli('lease', 'show', '0')).code).toBe(2);
    // Revoked now, not expired in 30 s: an expiry would write a revision under a later test's feet.
    expect((await cli('lease', 'revoke', String(lease))).code).toBe(0);
  });

  it('status shows every replica with one leader', async () => {
    const text = await cli('status');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+ENDPOINT\s+ROLE\s+VIEW\s+SESSION\s+SEQUENCER\s+COMMIT\s+APPLIED\s+LAG\s+REVISION\s+HEALTH$/);
    expect(lines).toHaveLength(4);
    const reports = JSON.parse((await cli('status', '-o', 'json')).stdout);
    expect(reports.map((r: { url: string }) => r.url)).toEqual(cluster.urls);
    expect(reports.filter((r: { role: string }) => r.role === 'leader')).toHaveLength(1);
    expect(reports.every((r: { ready: boolean; health: string }) => r.ready && r.health === 'ready')).toBe(true);
    // Asked through one endpoint, it still finds the others from the peers that endpoint reports.
    const one = JSON.parse((await runCli(['status', '-o', 'json', '--endpoints', cluster.urls[1]!], { env })).stdout);
    expect(one.map((r: { url: string }) => r.url)).toEqual(cluster.urls);
  });

  it('bench reports throughput, percentiles and errors', async () => {
    const result = await cli('bench', '--duration', '2s', '--keys', '20', '--connections', '4', '-o', 'json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ connections: 4, keys: 20, mix: '90:10', errors: {} });
    expect(report.operations).toBe(report.gets + report.puts);
    expect(report.operations).toBeGreaterThan(0);
    const { p50, p90, p99, p999, max } = report.latencyMs;
    expect([p50 <= p90, p90 <= p99, p99 <= p999, p999 <= max]).toEqual([true, true, true, true]);
    const text = await cli('bench', '--duration', '1s', '--keys', '5', '--mix', '0:100');
    expect(text.stdout).toMatch(/throughput\s+[\d.]+ ops\/s[^]*latency p99\.9/);
  });

  it('--help of every verb shows examples', async () => {
    for (const verb of [
      ['put'],
      ['get'],
      ['del'],
      ['ls'],
      ['txn'],
      ['watch'],
      ['lease', 'grant'],
      ['lease', 'keepalive'],
      ['lease', 'revoke'],
      ['lease', 'ls'],
      ['lease', 'show'],
      ['status'],
      ['bench'],
    ]) {
      const help = await cli(...verb, '--help');
      expect({ verb, code: help.code }).toEqual({ verb, code: 0 });
      expect(help.stdout).toMatch(/--endpoints[^]*Examples:\n {2}\$ mrtom-kv /);
    }
  });

  // Last: a compaction leaves the earlier revisions unreadable for the tests after it.
  it('put --prev prints the value replaced, get --rev reads a past value, and compact makes what is before it unreadable', async () => {
    const first = Number(/\d+/.exec((await cli('put', 'rev/k', 'one')).stdout)![0]);
    expect((await cli('put', 'rev/k', 'two', '--prev')).stdout).toBe(`OK revision ${first + 1}, prev one (modRevision ${first})\n`);
    expect(await cli('get', 'rev/k', '--rev', String(first))).toMatchObject({ code: 0, stdout: 'one' });
    const compacted = JSON.parse((await cli('compact', String(first + 1), '-o', 'json')).stdout);
    expect(compacted).toEqual({ revision: first + 1, compactRevision: first + 1 });
    const gone = await cli('get', 'rev/k', '--rev', String(first));
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/compacted/);
    expect(await cli('get', 'rev/k', '--rev', String(first + 1))).toMatchObject({ code: 0, stdout: 'two' });
  });
});
