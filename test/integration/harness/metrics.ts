// Reading one Prometheus series from a process's /metrics, for integration tests.
import { http } from './http.js';

/** The value of `series` (name and labels exactly as exported), or undefined when it is not exported. */
export async function scrapeSeries(baseUrl: string, series: string): Promise<number | undefined> {
  const text = (await http('GET', `${baseUrl}/metrics`)).body.toString();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
