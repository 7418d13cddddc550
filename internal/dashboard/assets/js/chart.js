// Charts of GET /api/stats, drawn as plain SVG (no library, nothing to build):
// one stacked bar per point of a series, an outcome per colour. Every bar
// carries its outcome and count (data-outcome, data-n) and the chart its totals
// (data-succeeded, …), so what is drawn can be checked against the numbers.
import { h } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

// OUTCOME_ORDER stacks the bars from the bottom; the classes colour them (app.css).
export const OUTCOME_ORDER = [
  { key: 'succeeded', label: 'succeeded' },
  { key: 'retried', label: 'retried' },
  { key: 'failed', label: 'failed' },
  { key: 'skipped', label: 'skipped' },
];

function svgEl(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

// totals sums each outcome of a series.
export function totals(series) {
  const out = {};
  for (const { key } of OUTCOME_ORDER) out[key] = (series[key] || []).reduce((a, b) => a + b, 0);
  return out;
}

// describe says a series' totals in words, for screen readers and tooltips.
export function describe(series, period) {
  const t = totals(series);
  const parts = OUTCOME_ORDER.filter((o) => t[o.key] > 0).map((o) => `${t[o.key]} ${o.label}`);
  return `${period}: ${parts.length ? parts.join(', ') : 'no deliveries'}`;
}

// stackedBars draws series (arrays of equal length, one count per step) as a
// chart that fills the width of its box; height is in CSS pixels. With
// `startMs` and `stepMs`, each bar's tooltip names its time.
export function stackedBars(series, { height = 32, period = '', startMs = 0, stepMs = 0, cls = 'spark' } = {}) {
  const n = (series.succeeded || []).length;
  const max = Math.max(1, ...Array.from({ length: n }, (_, i) => OUTCOME_ORDER.reduce((a, o) => a + (series[o.key][i] || 0), 0)));
  const t = totals(series);
  const label = describe(series, period);
  // A viewBox of n units by height, stretched to the box: bars keep their share.
  const svg = svgEl('svg', {
    viewBox: `0 0 ${Math.max(n, 1)} ${height}`, preserveAspectRatio: 'none', class: `chart ${cls}`,
    role: 'img', 'aria-label': label, height,
  });
  for (const [k, v] of Object.entries(t)) svg.dataset[k] = String(v);
  svg.append(svgEl('rect', { x: 0, y: height - 0.5, width: n, height: 0.5, class: 'baseline' }));
  for (let i = 0; i < n; i++) {
    let y = height;
    const at = stepMs ? new Date(startMs + i * stepMs) : null;
    for (const o of OUTCOME_ORDER) {
      const v = series[o.key][i] || 0;
      if (!v) continue;
      const bh = (v / max) * (height - 1);
      y -= bh;
      const r = svgEl('rect', { x: i + 0.1, y, width: 0.8, height: bh, class: `bar ${o.key}`, 'data-outcome': o.key, 'data-n': v, 'data-i': i });
      const title = svgEl('title');
      title.textContent = `${v} ${o.label}${at ? ` at ${at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : ''}`;
      r.append(title);
      svg.append(r);
    }
  }
  return svg;
}

// legend names the colours.
export function legend() {
  return h('ul', { class: 'legend' }, OUTCOME_ORDER.map((o) => h('li', null, h('span', { class: `swatch ${o.key}`, 'aria-hidden': 'true' }), o.label)));
}
