// The Health page: is delivery healthy, since when not, how slow. For the
// account and each webhook, over the last hour, day or week: deliveries by
// outcome (chart), success rate, attempt latency p50/p95/p99, and what is
// waiting now. The numbers are GET /api/stats, which reads the store's rollups.
import * as api from './api.js';
import { h, fill, uid } from './dom.js';
import { showError } from './ui.js';
import { stackedBars, legend } from './chart.js';
import { rate, millis, age } from './format.js';

const POLL_MS = 10000;
const WINDOWS = { hour: 'Last hour', day: 'Last 24 hours', week: 'Last 7 days' };

export function healthPage(main, ctx) {
  let win = WINDOWS[ctx.query.get('window')] ? ctx.query.get('window') : 'hour';
  let stopped = false;
  const urls = new Map();
  const selId = uid('window');
  const sel = h('select', { id: selId, name: 'window' },
    Object.entries(WINDOWS).map(([v, l]) => h('option', { value: v, selected: v === win }, l)));
  const summary = h('section', { id: 'health-summary', 'aria-labelledby': 'health-account', 'aria-live': 'off' });
  const hooks = h('section', { id: 'health-webhooks', 'aria-labelledby': 'health-hooks-title' });

  fill(main,
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Health'),
      h('div', { class: 'inline-field' }, h('label', { for: selId }, 'Period'), sel)),
    h('p', { class: 'muted lead' }, 'How deliveries went, how fast receivers answered, and what is waiting to be sent.'),
    summary, hooks);

  sel.addEventListener('change', () => {
    win = sel.value;
    history.replaceState(null, '', `#/health${api.query({ window: win })}`);
    load();
  });

  async function load() {
    try {
      const [stats, list] = await Promise.all([
        api.get(`/api/stats${api.query({ window: win })}`),
        urls.size ? null : api.get('/api/webhooks/list?itemCount=100&isDescending=true'),
      ]);
      if (stopped) return;
      for (const w of list || []) urls.set(w.id, w.url);
      render(stats);
    } catch (err) {
      if (!stopped) showError(err);
    }
  }

  function render(s) {
    const startMs = new Date(s.from).getTime();
    const stepMs = s.stepSeconds * 1000;
    const period = WINDOWS[s.window];
    fill(summary,
      h('h2', { id: 'health-account' }, `Account · ${period.toLowerCase()}`),
      figures(s.account, 'account'),
      h('div', { class: 'panel chart-panel' },
        stackedBars(s.account.series, { height: 120, period, startMs, stepMs, cls: 'big' }),
        h('div', { class: 'axis muted small-text' },
          h('span', null, new Date(startMs).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' })),
          h('span', null, 'now')),
        legend()));
    fill(hooks, h('h2', { id: 'health-hooks-title' }, 'By webhook'),
      s.webhooks.length === 0
        ? h('p', { class: 'muted' }, 'No webhook delivered anything in this period, and nothing is waiting.')
        : h('div', { class: 'cards' }, s.webhooks.map((w) => h('article', { class: 'card health-card', dataset: { webhook: String(w.webhookId) } },
          h('header', { class: 'card-head' },
            h('h3', null, `Webhook #${w.webhookId}`),
            urls.has(w.webhookId) ? h('span', { class: 'muted small-text clip' }, urls.get(w.webhookId)) : h('span', { class: 'muted small-text' }, '(deleted)'),
            failingBadge(w.series, startMs, stepMs),
            h('span', { class: 'spacer' }),
            h('a', { class: 'link-button', href: `#/deliveries?webhookId=${w.webhookId}` }, 'Deliveries')),
          stackedBars(w.series, { height: 40, period, startMs, stepMs }),
          figures(w, `webhook-${w.webhookId}`)))));
  }

  load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, POLL_MS);
  return { stop() { stopped = true; clearInterval(timer); } };
}

// failingBadge says since when a webhook has only failed, from its series: the
// first failure after its last success (or, without a success in the
// period, its first failure: "at least since").
function failingBadge(series, startMs, stepMs) {
  const n = series.succeeded.length;
  let lastOk = -1;
  for (let i = 0; i < n; i++) if (series.succeeded[i] > 0) lastOk = i;
  for (let i = lastOk + 1; i < n; i++) {
    // Failures in the step of the last success are not counted: the success may have come after them.
    if (series.failed[i] + series.retried[i] === 0) continue;
    const at = new Date(startMs + i * stepMs);
    const time = at.toLocaleString([], stepMs >= 3600000 ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
    return h('span', { class: 'badge bad failing', title: at.toLocaleString() },
      lastOk < 0 ? `Failing, no success in this period (since ${time} at least)` : `Failing since ${time}`);
  }
  return null;
}

// figures is one set of numbers: outcomes, success rate, latency, backlog.
function figures(f, id) {
  const fig = (name, value, cls = '') => h('div', { class: `figure ${cls}` }, h('dt', null, name), h('dd', { dataset: { figure: name } }, value));
  return h('dl', { class: 'figures', id: `figures-${id}` },
    fig('Success rate', rate(f.successRate), f.successRate == null ? '' : f.successRate >= 0.99 ? 'ok' : f.successRate >= 0.9 ? 'warn' : 'bad'),
    fig('Succeeded', String(f.succeeded)),
    fig('Failed', String(f.failed), f.failed ? 'bad' : ''),
    fig('Retried', String(f.retried), f.retried ? 'warn' : ''),
    fig('Skipped', String(f.skipped)),
    fig('Latency p50', f.latencyMs ? millis(f.latencyMs.p50) : '—'),
    fig('p95', f.latencyMs ? millis(f.latencyMs.p95) : '—'),
    fig('p99', f.latencyMs ? millis(f.latencyMs.p99) : '—'),
    fig('Pending now', String(f.backlog.pending), f.backlog.pending ? 'warn' : ''),
    fig('Oldest pending', age(f.backlog.oldestPendingAgeSeconds)));
}
