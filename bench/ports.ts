// Finds runs of consecutive free TCP ports on loopback. mrtom-kv's dev cluster takes p, p+1 and
// p+2, so a single free port from the OS is not enough. A port can still be taken between this
// check and the child's bind; the child then fails to start and the runner reports it.
import { createServer } from 'node:net';

const portLow = 20_000;
const portHigh = 60_000;
const attemptsMax = 50;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < attemptsMax; attempt += 1) {
    const base = portLow + Math.floor(Math.random() * (portHigh - portLow - count));
    let free = true;
    for (let offset = 0; offset < count && free; offset += 1) free = await isFree(base + offset);
    if (free) return base;
  }
  throw new Error(`no run of ${count} free ports in ${portLow}-${portHigh} after ${attemptsMax} tries`);
}
