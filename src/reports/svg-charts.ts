// Inline SVG charts for the HTML report: d3-shape stacks the zones and d3-scale maps days and counts to pixels (pure
// functions, no DOM); this module writes the bars, axes and legend around them.
import { scaleBand, scaleLinear } from 'd3-scale';
import { stack, stackOrderNone, stackOffsetNone } from 'd3-shape';
import type { DayTraffic } from './types.js';

export const esc = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const CLOUD_COLOURS = ['#1f6fb2', '#4a9fd8', '#8cc5ec', '#0b4472'];
const ONPREM_COLOURS = ['#d9822b', '#f0b35e', '#a85b12', '#f6d2a2'];
const NONE_COLOUR = '#9aa3ab';

/** A colour per zone: blues for cloud zones, oranges for on-prem ones, grey for callers in no zone. */
export function zoneColours(zones: readonly string[], isCloud: (zone: string) => boolean, none: string): Map<string, string> {
  const out = new Map<string, string>();
  let c = 0;
  let o = 0;
  for (const z of zones) {
    if (z === none) out.set(z, NONE_COLOUR);
    else if (isCloud(z)) out.set(z, CLOUD_COLOURS[c++ % CLOUD_COLOURS.length]!);
    else out.set(z, ONPREM_COLOURS[o++ % ONPREM_COLOURS.length]!);
  }
  return out;
}

export interface TrafficChartInput {
  readonly id: string;
  readonly from: Date;
  readonly to: Date;
  readonly days: readonly DayTraffic[];
  readonly zones: readonly string[];
  readonly colours: ReadonlyMap<string, string>;
}

const W = 560;
const H = 180;
const M = { top: 10, right: 12, bottom: 26, left: 44 };
const DAY_MS = 86_400_000;

/** Requests per day, stacked by zone, over the whole window (a day without traffic is an empty slot, not a gap). */
export function trafficChart(input: TrafficChartInput): string {
  const start = Date.UTC(input.from.getUTCFullYear(), input.from.getUTCMonth(), input.from.getUTCDate());
  const byDay = new Map(input.days.map((d) => [d.day, d.zones]));
  const series: Array<Record<string, number> & { day: string }> = [];
  for (let t = start; t < input.to.getTime(); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    const zones = byDay.get(day) ?? {};
    series.push(Object.assign({ day }, Object.fromEntries(input.zones.map((z) => [z, zones[z] ?? 0]))) as Record<string, number> & { day: string });
  }
  const layers = stack<Record<string, number> & { day: string }>().keys([...input.zones]).order(stackOrderNone).offset(stackOffsetNone)(series);
  const max = Math.max(1, ...layers.flatMap((l) => l.map((p) => p[1])));
  const x = scaleBand<string>().domain(series.map((d) => d.day)).range([M.left, W - M.right]).paddingInner(0.12).paddingOuter(0.05);
  const y = scaleLinear().domain([0, max]).nice(4).range([H - M.bottom, M.top]);
  const bars = layers
    .map((l) => {
      const rects = l
        .filter((p) => p[1] > p[0])
        .map((p) => `<rect x="${x(p.data.day)!.toFixed(1)}" y="${y(p[1]).toFixed(1)}" width="${x.bandwidth().toFixed(1)}" height="${(y(p[0]) - y(p[1])).toFixed(1)}"><title>${esc(p.data.day)} ${esc(l.key)}: ${p[1] - p[0]}</title></rect>`)
        .join('');
      return `<g class="zone" data-zone="${esc(l.key)}" fill="${input.colours.get(l.key) ?? NONE_COLOUR}">${rects}</g>`;
    })
    .join('');
  const yTicks = y
    .ticks(4)
    .map((v) => `<g transform="translate(0,${y(v).toFixed(1)})"><line x1="${M.left}" x2="${W - M.right}" stroke="#e3e6ea"/><text x="${M.left - 6}" dy="0.32em" text-anchor="end">${v}</text></g>`)
    .join('');
  const every = Math.max(1, Math.ceil(series.length / 8));
  const xTicks = series
    .filter((_, i) => i % every === 0)
    .map((d) => `<text x="${(x(d.day)! + x.bandwidth() / 2).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${d.day.slice(5)}</text>`)
    .join('');
  return (
    `<svg class="traffic-chart" data-table="${esc(input.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="requests per day by zone">` +
    `<g class="grid" font-size="10" fill="#555">${yTicks}</g>${bars}` +
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#666"/>` +
    `<g class="x-axis" font-size="10" fill="#555">${xTicks}</g></svg>`
  );
}

/** Requests by hour of day (UTC): 24 small bars. */
export function hourChart(id: string, byHour: readonly number[]): string {
  const w = 240;
  const h = 60;
  const x = scaleBand<number>().domain(byHour.map((_, i) => i)).range([0, w]).padding(0.15);
  const y = scaleLinear().domain([0, Math.max(1, ...byHour)]).range([h - 12, 2]);
  const bars = byHour
    .map((n, i) => `<rect x="${x(i)!.toFixed(1)}" y="${y(n).toFixed(1)}" width="${x.bandwidth().toFixed(1)}" height="${(h - 12 - y(n)).toFixed(1)}" fill="#5b6b7a"><title>${i}:00 UTC: ${n}</title></rect>`)
    .join('');
  const labels = [0, 6, 12, 18].map((i) => `<text x="${x(i)!.toFixed(1)}" y="${h - 1}" font-size="9" fill="#555">${i}h</text>`).join('');
  return `<svg class="hour-chart" data-table="${esc(id)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="requests by hour of day">${bars}${labels}</svg>`;
}

export function legend(zones: readonly string[], colours: ReadonlyMap<string, string>, isCloud: (z: string) => boolean): string {
  return zones
    .map((z) => `<span class="key"><i style="background:${colours.get(z) ?? NONE_COLOUR}"></i>${esc(z)}${isCloud(z) ? ' (cloud)' : ''}</span>`)
    .join(' ');
}
