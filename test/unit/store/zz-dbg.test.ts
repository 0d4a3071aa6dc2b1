import { it, expect } from 'vitest';
import { KvStore } from '/work/main/src/store/kv-store.js';
import { opEntry, put } from '/work/main/test/unit/store/fixtures.js';
import { mkdtemp } from 'node:fs/promises';
it('x', async () => {
  const dir = await mkdtemp('/tmp/dbg-');
  const s = await KvStore.open(dir, { durability: 'memory' });
  await s.applyBatch([opEntry(1, put('a', '1'))]);
  console.log(s.meta());
  await s.close();
  const t = await KvStore.open(dir, { durability: 'memory' });
  console.log(t.meta(), await t.readEvents(1, 10));
  await t.close();
});
