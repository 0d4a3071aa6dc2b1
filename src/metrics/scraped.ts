// Prometheus metrics whose values live elsewhere (the pure state machines' counters) and are read at
// scrape time, so the protocol code stays free of metric objects.
import { Counter, Gauge, type Registry } from 'prom-client';

/** A counter read from `read()` on every scrape; `read` returns one value per label set. */
export function scrapedCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Array<[Record<string, string>, number]>,
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** Turns `{ reason: count }` into label sets for scrapedCounter. */
export function byReason(counts: Readonly<Record<string, number>>): Array<[Record<string, string>, number]> {
  return Object.entries(counts).map(([reason, value]) => [{ reason }, value]);
}
