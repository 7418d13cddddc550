// The Deliveries page: the delivery log, newest first, refreshed every 2 s,
// filtered by webhook, event type and outcome.
import * as api from './api.js';
import { h, fill, icon, uid, when, eventLabel } from './dom.js';
import { showError, busy } from './ui.js';

const POLL_MS = 2000;
const PAGE_SIZE = 50;

export const OUTCOMES = {
  succeeded: { label: 'Succeeded', cls: 'ok' },
  failed: { label: 'Failed', cls: 'bad' },
  pending: { label: 'Pending', cls: 'warn' },
  skipped: { label: 'Skipped', cls: 'muted' },
};

export function outcomeBadge(state) {
  const o = OUTCOMES[state] || { label: state, cls: 'muted' };
  return h('span', { class: `badge ${o.cls}` }, o.label);
}

export function deliveriesPage(main, ctx) {
  const f = {
    webhookId: ctx.query.get('webhookId') || '',
    eventType: ctx.query.get('eventType') || '',
    state: ctx.query.get('state') || '',
    beforeId: ctx.query.get('beforeId') || '',
  };
  let stopped = false;
  let last = '';
  let lastPage = null;
  const urls = new Map(); // webhook id → URL, to say where each delivery went
  let inflight = false;

  const ids = { webhook: uid('f-webhook'), type: uid('f-type'), state: uid('f-state'), auto: uid('auto') };
  const webhookSel = h('select', { id: ids.webhook, name: 'webhookId' }, h('option', { value: '' }, 'All webhooks'));
  const typeSel = h('select', { id: ids.type, name: 'eventType' },
    h('option', { value: '' }, 'All types'),
    api.HOOK_TYPES.map((t) => h('option', { value: t.type, selected: t.type === f.eventType }, t.label)));
  const stateSel = h('select', { id: ids.state, name: 'state' },
    h('option', { value: '' }, 'Any outcome'),
    Object.entries(OUTCOMES).map(([v, o]) => h('option', { value: v, selected: v === f.state }, o.label)));
  const auto = h('input', { type: 'checkbox', id: ids.auto, checked: !f.beforeId });
  const refreshBtn = h('button', { type: 'button', class: 'secondary' }, icon('refresh'), 'Refresh');
  const updated = h('span', { class: 'muted small-text' });
  const body = h('tbody');
  const latencyHead = h('th', { scope: 'col', hidden: true }, 'Latency');
  const table = h('table', { class: 'log', id: 'delivery-table' },
    h('caption', { class: 'visually-hidden' }, 'Deliveries, newest first'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Delivery'),
      h('th', { scope: 'col' }, 'Created'),
      h('th', { scope: 'col' }, 'Webhook'),
      h('th', { scope: 'col' }, 'Event'),
      h('th', { scope: 'col' }, 'Outcome'),
      h('th', { scope: 'col' }, 'HTTP status'),
      h('th', { scope: 'col' }, 'Attempts'),
      latencyHead,
      h('th', { scope: 'col' }, 'Last error'))),
    body);
  const pager = h('div', { class: 'pager' });

  fill(main,
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Deliveries'),
      h('span', { class: 'spacer' }),
      updated,
      refreshBtn),
    h('form', { class: 'filters panel', 'aria-label': 'Filter deliveries', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'filter' }, h('label', { for: ids.webhook }, 'Webhook'), webhookSel),
      h('div', { class: 'filter' }, h('label', { for: ids.type }, 'Event type'), typeSel),
      h('div', { class: 'filter' }, h('label', { for: ids.state }, 'Outcome'), stateSel),
      h('div', { class: 'filter check' }, auto, h('label', { for: ids.auto }, 'Refresh every 2 seconds'))),
    h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Delivery log' }, table),
    pager);

  for (const sel of [webhookSel, typeSel, stateSel]) {
    sel.addEventListener('change', () => {
      f[sel.name] = sel.value;
      f.beforeId = '';
      auto.checked = true;
      syncHash();
      refresh(true);
    });
  }
  refreshBtn.addEventListener('click', () => busy(refreshBtn, () => refresh(true)));

  // syncHash keeps the filters in the address, so a filtered log can be
  // bookmarked, without re-rendering the page (no hashchange).
  function syncHash() {
    history.replaceState(null, '', `#/deliveries${api.query(f)}`);
  }

  async function loadWebhooks() {
    try {
      const hooks = await api.get('/api/webhooks/list?itemCount=100&isDescending=true');
      for (const w of hooks) {
        urls.set(w.id, w.url);
        webhookSel.append(h('option', { value: String(w.id) }, `#${w.id} ${w.url}`));
      }
      if (lastPage && !stopped) render(lastPage);
    } catch (err) {
      showError(err);
    }
    if (f.webhookId && ![...webhookSel.options].some((o) => o.value === f.webhookId)) {
      webhookSel.append(h('option', { value: f.webhookId }, `#${f.webhookId} (deleted)`));
    }
    webhookSel.value = f.webhookId;
  }

  async function refresh(force) {
    if (inflight || stopped) return;
    inflight = true;
    table.setAttribute('aria-busy', 'true');
    try {
      const page = await api.get(`/api/deliveries${api.query({ ...f, limit: PAGE_SIZE })}`);
      if (stopped) return;
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      const key = JSON.stringify(page);
      if (force || key !== last) render(page);
      last = key;
    } catch (err) {
      if (!stopped) {
        showError(err);
        auto.checked = false; // do not repeat a failure every 2 s
      }
    } finally {
      inflight = false;
      table.setAttribute('aria-busy', 'false');
    }
  }

  function render(page) {
    lastPage = page;
    const rows = page.deliveries;
    const hasLatency = rows.some((d) => d.lastLatencyMs != null);
    latencyHead.hidden = !hasLatency;
    if (rows.length === 0) {
      fill(body, h('tr', null, h('td', { colspan: '9', class: 'empty-row' },
        f.webhookId || f.eventType || f.state ? 'No deliveries match these filters.'
          : 'No deliveries yet. Send a test event from the Webhooks page to see one here.')));
    } else {
      fill(body, rows.map((d) => row(d, hasLatency)));
    }
    fill(pager,
      f.beforeId ? h('a', { href: `#/deliveries${api.query({ ...f, beforeId: '' })}`, class: 'link-button' }, 'Newest') : null,
      page.nextBeforeId ? h('a', { href: `#/deliveries${api.query({ ...f, beforeId: page.nextBeforeId })}`, class: 'link-button' }, 'Older') : null);
  }

  function row(d, hasLatency) {
    const link = h('a', { href: `#/deliveries/${d.id}` }, `#${d.id}`);
    const tr = h('tr', { class: 'clickable', dataset: { delivery: String(d.id) } },
      h('th', { scope: 'row' }, link),
      h('td', { class: 'time' }, when(d.createdAt)),
      h('td', null, `#${d.webhookId}`,
        urls.has(d.webhookId) ? h('span', { class: 'muted small-text block clip', title: urls.get(d.webhookId) }, urls.get(d.webhookId)) : null),
      h('td', null, h('code', null, eventLabel(d.eventType, d.eventName))),
      h('td', null, outcomeBadge(d.state),
        d.state === 'pending' && d.nextAttemptAt ? h('span', { class: 'muted small-text block' }, `next ${when(d.nextAttemptAt)}`) : null),
      h('td', null, d.lastStatus ? String(d.lastStatus) : '—'),
      h('td', { class: 'attempts' }, String(d.attemptCount)),
      hasLatency ? h('td', null, d.lastLatencyMs != null ? `${Math.round(d.lastLatencyMs)} ms` : '—') : null,
      h('td', { class: 'error-text' }, d.lastError || ''));
    // The whole row opens the delivery for mouse users; keyboard users use the link.
    tr.addEventListener('click', (ev) => {
      if (ev.target.closest('a') || window.getSelection().toString()) return;
      ctx.go(`#/deliveries/${d.id}`);
    });
    return tr;
  }

  loadWebhooks();
  refresh(true);
  const timer = setInterval(() => {
    if (auto.checked && !document.hidden && !f.beforeId) refresh(false);
  }, POLL_MS);
  return { stop() { stopped = true; clearInterval(timer); } };
}
