// A throughput–latency chart as a standalone SVG: for one workload and value size, one curve per
// target through its connection counts (x: req/s median, y: latency median on a log scale; solid
// p50 with filled markers, dashed p99 with hollow ones), each point labelled with its connection count.
import type { PointSummary } from './summary.js';

const widthPx = 760;
const heightPx = 460;
const margin = { left: 70, right: 30, top: 40, bottom: 55 };
const palette = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b'];
const xTickCount = 6;

interface Curve {
  target: string;
  color: string;
  points: { x: number; p50: number; p99: number; connections: number }[];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// 1, 2, 5 × 10^k: round numbers for a linear axis up to `max`.
function niceStep(max: number): number {
  const raw = max / xTickCount;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw);
  return step ?? 10 * power;
}

function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let power = low; power <= high; power *= 10) for (const factor of [1, 2, 5]) if (factor * power <= high) ticks.push(factor * power);
  return ticks;
}

export function throughputLatencySvg(title: string, summaries: readonly PointSummary[]): string {
  const targets = [...new Set(summaries.map((summary) => summary.target))];
  const curves: Curve[] = targets.map((target, index) => ({
    target,
    color: palette[index % palette.length]!,
    points: summaries
      .filter((summary) => summary.target === target && Number.isFinite(summary.reqPerSec.median))
      .sort((a, b) => a.point.connections - b.point.connections)
      .map((summary) => ({
        x: summary.reqPerSec.median,
        p50: summary.latencyMsP50.median,
        p99: summary.latencyMsP99.median,
        connections: summary.point.connections,
      })),
  }));
  const all = curves.flatMap((curve) => curve.points);
  // 5% of headroom so the fastest point's label stays inside the plot.
  const xNeeded = Math.max(1, ...all.map((point) => point.x)) * 1.05;
  const xStep = niceStep(xNeeded);
  const xMax = xStep * Math.ceil(xNeeded / xStep);
  const latencies = all.flatMap((point) => [point.p50, point.p99]).filter((value) => value > 0);
  const yLow = 10 ** Math.floor(Math.log10(Math.min(1, ...latencies)));
  const yHigh = 10 ** Math.ceil(Math.log10(Math.max(10, ...latencies)));
  const plotWidth = widthPx - margin.left - margin.right;
  const plotHeight = heightPx - margin.top - margin.bottom;
  const xOf = (x: number): number => margin.left + (x / xMax) * plotWidth;
  const yOf = (y: number): number =>
    margin.top + plotHeight * (1 - (Math.log10(y) - Math.log10(yLow)) / (Math.log10(yHigh) - Math.log10(yLow)));
  const path = (points: { x: number; y: number }[]): string =>
    points.map((point, index) => `${index === 0 ? 'M' : 'L'}${xOf(point.x).toFixed(1)},${yOf(point.y).toFixed(1)}`).join(' ');

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" viewBox="0 0 ${widthPx} ${heightPx}" font-family="sans-serif" font-size="12">`,
    `<rect width="${widthPx}" height="${heightPx}" fill="white"/>`,
    `<text x="${widthPx / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (let x = 0; x <= xMax + xStep / 2; x += xStep) {
    parts.push(
      `<line x1="${xOf(x)}" y1="${margin.top}" x2="${xOf(x)}" y2="${margin.top + plotHeight}" stroke="#e5e5e5"/>`,
      `<text x="${xOf(x)}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`,
    );
  }
  for (const y of logTicks(yLow, yHigh)) {
    parts.push(
      `<line x1="${margin.left}" y1="${yOf(y)}" x2="${margin.left + plotWidth}" y2="${yOf(y)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 8}" y="${yOf(y) + 4}" text-anchor="end">${y}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${heightPx - 12}" text-anchor="middle">throughput, req/s (median of runs)</text>`,
    `<text transform="translate(18 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">latency ms, log scale (p50 solid, p99 dashed/hollow)</text>`,
  );
  curves.forEach((curve, index) => {
    parts.push(
      `<path d="${path(curve.points.map((point) => ({ x: point.x, y: point.p99 })))}" fill="none" stroke="${curve.color}" stroke-width="1.5" stroke-dasharray="5 4" opacity="0.6"/>`,
      `<path d="${path(curve.points.map((point) => ({ x: point.x, y: point.p50 })))}" fill="none" stroke="${curve.color}" stroke-width="2"/>`,
    );
    for (const point of curve.points) {
      parts.push(
        // Hollow p99 markers, so a curve of one point (one connection count) still shows its tail.
        `<circle cx="${xOf(point.x).toFixed(1)}" cy="${yOf(point.p99).toFixed(1)}" r="3" fill="none" stroke="${curve.color}" opacity="0.7"/>`,
        `<circle cx="${xOf(point.x).toFixed(1)}" cy="${yOf(point.p50).toFixed(1)}" r="3.5" fill="${curve.color}"/>`,
        `<text x="${(xOf(point.x) + 6).toFixed(1)}" y="${(yOf(point.p50) - 6).toFixed(1)}" fill="${curve.color}">c${point.connections}</text>`,
      );
    }
    const legendY = margin.top + 16 + index * 18;
    parts.push(
      `<line x1="${margin.left + 12}" y1="${legendY - 4}" x2="${margin.left + 36}" y2="${legendY - 4}" stroke="${curve.color}" stroke-width="2"/>`,
      `<text x="${margin.left + 42}" y="${legendY}">${escapeXml(curve.target)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
