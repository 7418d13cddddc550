// The Deliveries page: the delivery log, newest first, refreshed every 2 s,
// filtered by webhook, event type and outcome.
import * as api from './api.js';
import { h, fill, icon, uid, timeEl, refreshTimes } from './dom.js';
import { eventLabel } from './format.js';
import { OUTCOMES, outcomeBadge, whyFinal, errorText } from './outcome.js';
import { showError, busy, formDialog, announce } from './ui.js';

const POLL_MS = 2000;
const PAGE_SIZE = 50;

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
  const webhooks = new Map(); // webhook id → webhook, to say where each delivery went
  let inflight = false;

  const ids = { webhook: uid('f-webhook'), type: uid('f-type'), state: uid('f-state'), auto: uid('auto') };
  const webhookSel = h('select', { id: ids.webhook, name: 'webhookId' }, h('option', { value: '' }, 'All webhooks'));
  const typeSel = h('select', { id: ids.type, name: 'eventType' },
    h('option', { value: '' }, 'All types'),
    [...api.HOOK_TYPES, api.OPERATIONAL].map((t) => h('option', { value: t.type, selected: t.type === f.eventType }, t.label)));
  const stateSel = h('select', { id: ids.state, name: 'state' },
    h('option', { value: '' }, 'Any outcome'),
    Object.entries(OUTCOMES).map(([v, o]) => h('option', { value: v, selected: v === f.state }, o.label)));
  const auto = h('input', { type: 'checkbox', id: ids.auto, checked: !f.beforeId });
  const refreshBtn = h('button', { type: 'button', class: 'secondary' }, icon('refresh'), 'Refresh');
  const recoverBtn = h('button', { type: 'button', class: 'secondary change' }, 'Recover failed since…');
  const updated = h('span', { class: 'muted small-text' });
  const body = h('tbody');
  // Four columns that share the width (table-layout: fixed): the log never
  // scrolls sideways; long errors are cut to two lines, whole in the detail.
  // On a phone each row becomes a small card (app.css).
  const table = h('table', { class: 'log deliveries', id: 'delivery-table' },
    h('caption', { class: 'visually-hidden' }, 'Deliveries, newest first'),
    h('colgroup', null, h('col', { class: 'c-id' }), h('col', { class: 'c-event' }), h('col', { class: 'c-outcome' }), h('col', { class: 'c-error' })),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Delivery'),
      h('th', { scope: 'col' }, 'Event and webhook'),
      h('th', { scope: 'col' }, 'Outcome'),
      h('th', { scope: 'col' }, 'Last error'))),
    body);
  const pager = h('div', { class: 'pager' });

  fill(main,
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Deliveries'),
      h('span', { class: 'spacer' }),
      updated,
      recoverBtn,
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
  recoverBtn.addEventListener('click', () => recover());

  // recover resends every failed or skipped delivery of a time window (of one
  // webhook, or all): after a receiver's outage, everything it missed.
  async function recover() {
    const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
    const rid = { since: uid('r-since'), until: uid('r-until'), webhook: uid('r-webhook') };
    const hookSel = h('select', { id: rid.webhook, name: 'webhookId' }, h('option', { value: '' }, 'All webhooks'),
      [...webhooks.values()].map((w) => h('option', { value: String(w.id), selected: String(w.id) === f.webhookId }, `#${w.id} ${w.url}`)));
    const result = await formDialog({
      title: 'Recover failed deliveries',
      submitLabel: 'Send them again',
      fields: [
        h('p', { class: 'help' }, 'Every failed or skipped delivery created in this window is sent again now, with its original body and webhook-id (receivers can drop what they already have). Succeeded and pending deliveries are left alone.'),
        h('label', { for: rid.since }, 'Since'),
        h('input', { id: rid.since, name: 'since', type: 'datetime-local', required: true, value: local(new Date(Date.now() - 3600e3)) }),
        h('label', { for: rid.until }, 'Until (empty: now)'),
        h('input', { id: rid.until, name: 'until', type: 'datetime-local' }),
        h('label', { for: rid.webhook }, 'Webhook'),
        hookSel,
      ],
      submit: async (form) => {
        const since = form.elements.since.value;
        if (!since) {
          const err = new Error('Since: required.');
          err.fields = { since: 'required' };
          throw err;
        }
        const body = { since: new Date(since).toISOString() };
        if (form.elements.until.value) body.until = new Date(form.elements.until.value).toISOString();
        if (form.elements.webhookId.value) body.webhookId = Number(form.elements.webhookId.value);
        return api.post('/api/deliveries/resend', body);
      },
    });
    if (!result) return;
    const n = result.resent.length;
    announce(n === 0 ? 'Nothing to recover: no failed or skipped delivery in that window.'
      : `${n} ${n === 1 ? 'delivery' : 'deliveries'} sent again.`);
    refresh(true);
  }

  // syncHash keeps the filters in the address, so a filtered log can be
  // bookmarked, without re-rendering the page (no hashchange).
  function syncHash() {
    history.replaceState(null, '', `#/deliveries${api.query(f)}`);
  }

  async function loadWebhooks() {
    try {
      const hooks = await api.get('/api/webhooks/list?itemCount=100&isDescending=true');
      for (const w of hooks) {
        webhooks.set(w.id, w);
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
      else refreshTimes(body); // "3 s ago" moves on
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
    if (rows.length === 0) {
      fill(body, h('tr', null, h('td', { colspan: '4', class: 'empty-row' },
        f.webhookId || f.eventType || f.state ? 'No deliveries match these filters.'
          : 'No deliveries yet. Send a test event from the Webhooks page to see one here.')));
    } else {
      fill(body, rows.map((d) => row(d)));
    }
    fill(pager,
      f.beforeId ? h('a', { href: `#/deliveries${api.query({ ...f, beforeId: '' })}`, class: 'link-button' }, 'Newest') : null,
      page.nextBeforeId ? h('a', { href: `#/deliveries${api.query({ ...f, beforeId: page.nextBeforeId })}`, class: 'link-button' }, 'Older') : null);
  }

  function row(d) {
    const link = h('a', { href: `#/deliveries/${d.id}` }, `#${d.id}`);
    const hook = webhooks.get(d.webhookId);
    const why = whyFinal(d, hook);
    const err = errorText(d);
    const tr = h('tr', { class: 'clickable', dataset: { delivery: String(d.id) } },
      h('th', { scope: 'row' }, link, h('span', { class: 'muted small-text block created' }, timeEl(d.createdAt))),
      h('td', { class: 'event' }, h('code', null, eventLabel(d.eventType, d.eventName)),
        h('span', { class: 'muted small-text block clip', title: hook ? hook.url : '' }, `#${d.webhookId}`, hook ? ` ${hook.url}` : '')),
      h('td', { class: 'outcome' },
        h('span', { class: 'outcome-line' }, outcomeBadge(d.state),
          d.lastStatus ? h('span', { class: 'status-code', title: 'HTTP status of the last attempt' }, String(d.lastStatus)) : null),
        h('span', { class: 'muted small-text block' },
          h('span', { class: 'attempts' }, `${d.attemptCount} ${d.attemptCount === 1 ? 'attempt' : 'attempts'}`),
          d.state === 'pending' && d.nextAttemptAt ? [' · next ', timeEl(d.nextAttemptAt)] : null),
        why ? h('span', { class: 'why small-text block' }, why.short) : null),
      h('td', { class: 'error-cell' }, err ? h('span', { class: 'error-text clamp', title: err }, err) : h('span', { class: 'muted' }, '—')));
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
