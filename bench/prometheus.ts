// Reads counters from a /metrics page (Prometheus text format).

// Sum of every sample of one metric, whatever its labels. A labelled counter that has counted
// nothing yet has a TYPE line and no samples: 0. A metric with neither (renamed or removed) is
// undefined, so the report shows '-' rather than a false zero.
export function prometheusSum(text: string, metric: string): number | undefined {
  let sum = text.includes(`# TYPE ${metric} `) ? 0 : undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (!rest.startsWith(' ') && !rest.startsWith('{')) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}
