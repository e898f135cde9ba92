// Inline SVG charts for the HTML report: d3-scale and d3-shape compute scales and path data (pure functions, no
// DOM), this module writes the markup, axes and legend around them.
import { scaleBand, scaleLinear, scaleUtc } from 'd3-scale';
import { area, stack, stackOrderNone, stackOffsetNone } from 'd3-shape';
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

/** Requests per day, stacked by zone, over the whole window (days without traffic are zero, not gaps). */
export function trafficChart(input: TrafficChartInput): string {
  const start = Date.UTC(input.from.getUTCFullYear(), input.from.getUTCMonth(), input.from.getUTCDate());
  const byDay = new Map(input.days.map((d) => [d.day, d.zones]));
  const series: Array<Record<string, number> & { t: number }> = [];
  for (let t = start; t < input.to.getTime(); t += DAY_MS) {
    const zones = byDay.get(new Date(t).toISOString().slice(0, 10)) ?? {};
    series.push(Object.assign({ t }, Object.fromEntries(input.zones.map((z) => [z, zones[z] ?? 0]))));
  }
  const layers = stack<Record<string, number> & { t: number }>().keys([...input.zones]).order(stackOrderNone).offset(stackOffsetNone)(series);
  const max = Math.max(1, ...layers.flatMap((l) => l.map((p) => p[1])));
  const x = scaleUtc().domain([start, Math.max(start + DAY_MS, series.at(-1)?.t ?? start)]).range([M.left, W - M.right]);
  const y = scaleLinear().domain([0, max]).nice(4).range([H - M.bottom, M.top]);
  const shape = area<[number, number] & { data: { t: number } }>()
    .x((p) => x(p.data.t))
    .y0((p) => y(p[0]))
    .y1((p) => y(p[1]));
  const paths = layers
    .map((l) => `<path d="${shape(l as never) ?? ''}" fill="${input.colours.get(l.key) ?? NONE_COLOUR}" fill-opacity="0.85"><title>${esc(l.key)}</title></path>`)
    .join('');
  const yTicks = y
    .ticks(4)
    .map((v) => `<g transform="translate(0,${y(v).toFixed(1)})"><line x1="${M.left}" x2="${W - M.right}" stroke="#e3e6ea"/><text x="${M.left - 6}" dy="0.32em" text-anchor="end">${v}</text></g>`)
    .join('');
  const xTicks = x
    .ticks(6)
    .map((d) => `<g transform="translate(${x(d).toFixed(1)},${H - M.bottom})"><line y2="4" stroke="#666"/><text y="16" text-anchor="middle">${d.toISOString().slice(5, 10)}</text></g>`)
    .join('');
  return (
    `<svg class="traffic-chart" data-table="${esc(input.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="requests per day by zone">` +
    `<g class="grid" font-size="10" fill="#555">${yTicks}</g>${paths}` +
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
