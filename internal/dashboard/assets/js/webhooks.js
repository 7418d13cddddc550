// The Webhooks page: list, create, edit in place, toggle types, secrets, tests,
// filter and retry policy, re-enable and delete.
import * as api from './api.js';
import { h, fill, icon, uid } from './dom.js';
import { announce, showError, confirmDialog, formDialog, busy } from './ui.js';
import { webhookCard, retrySelect, limitInputs, readLimits } from './webhook-card.js';
import { stackedBars } from './chart.js';
import { rate } from './format.js';

const PAGE_SIZE = 100;
const STATS_MS = 15000;

export function webhooksPage(main, ctx) {
  const list = h('div', { class: 'cards', id: 'webhook-list', 'aria-busy': 'true' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more webhooks');
  let next = 0; // startingId of the next (older) page; 0: none
  let stopped = false;
  let stats = null; // GET /api/stats?window=hour: webhook id → its figures
  let statsPage = null;

  // card makes a webhook's card with its last hour at a glance.
  const card = (w) => decorate(webhookCard(w, actions), w);

  function decorate(el, w) {
    const slot = h('div', { class: 'health-row', dataset: { health: String(w.id) } });
    el.querySelector('.card-head').after(slot);
    showHealth(slot, w.id);
    if (ctx.session && ctx.session.readOnly) {
      // The server refuses changes anyway; the page does not offer them.
      for (const c of el.querySelectorAll('button.toggle, .settings-form input, .settings-form select')) c.disabled = true;
    }
    return el;
  }

  function showHealth(slot, id) {
    if (!statsPage) return;
    const f = stats.get(id);
    const series = f ? f.series : { succeeded: [], failed: [], retried: [], skipped: [] };
    const n = f ? f.succeeded + f.failed + f.retried + f.skipped : 0;
    fill(slot,
      f ? stackedBars(series, { height: 28, period: 'Last hour', startMs: new Date(statsPage.from).getTime(), stepMs: statsPage.stepSeconds * 1000 }) : null,
      h('a', { href: '#/health', class: 'health-text small-text' },
        f && f.successRate != null ? h('strong', { class: 'rate', dataset: { rate: String(f.successRate) } }, `${rate(f.successRate)} succeeded`) : null,
        f && f.successRate != null ? ' · ' : null,
        n ? `${n} in the last hour` : 'No deliveries in the last hour',
        f && f.backlog.pending ? ` · ${f.backlog.pending} pending` : null));
  }

  async function loadStats() {
    try {
      const page = await api.get('/api/stats?window=hour');
      if (stopped) return;
      statsPage = page;
      stats = new Map(page.webhooks.map((w) => [w.webhookId, w]));
      for (const slot of list.querySelectorAll('[data-health]')) showHealth(slot, Number(slot.dataset.health));
    } catch {
      // The cards work without their charts; the Health page says what failed.
    }
  }

  const actions = {
    // update PUTs a change and redraws the card; focusKey names the control
    // that gets the focus back.
    async update(w, change, message, focusKey) {
      const updated = await api.put(`/api/webhooks/${w.id}`, change);
      redraw(updated, focusKey);
      if (message) announce(typeof message === 'function' ? message(updated) : message);
      return updated;
    },
    async remove(w, button) {
      const ok = await confirmDialog({
        title: `Delete webhook #${w.id}?`,
        body: [
          `Events stop going to ${w.url} at once. Its past deliveries stay in the delivery log.`,
          'This cannot be undone.',
        ],
        confirm: 'Delete webhook',
      });
      if (!ok) return;
      await busy(button, async () => {
        try {
          await api.del(`/api/webhooks/${w.id}`);
        } catch (err) {
          showError(err);
          return;
        }
        const card = list.querySelector(`[data-webhook="${w.id}"]`);
        const sibling = card && (card.nextElementSibling || card.previousElementSibling);
        if (card) card.remove();
        showEmpty();
        announce(`Webhook #${w.id} deleted.`);
        const target = sibling && sibling.querySelector('h2 [tabindex], button');
        (target || document.getElementById('create-webhook')).focus();
      });
    },
  };

  function redraw(w, focusKey) {
    const old = list.querySelector(`[data-webhook="${w.id}"]`);
    const el0 = card(w);
    if (old) old.replaceWith(el0);
    else list.prepend(el0);
    showEmpty();
    if (focusKey) {
      const el = el0.querySelector(`[data-focus="${focusKey}"]`);
      const details = el && el.closest('details');
      if (details) details.open = true;
      if (el) el.focus();
    }
    return el0;
  }

  function showEmpty() {
    const empty = list.querySelector('.empty');
    const hasCards = list.querySelector('[data-webhook]');
    if (!hasCards && !empty) {
      list.append(h('div', { class: 'empty panel' },
        h('p', null, 'No webhooks yet.'),
        h('p', { class: 'muted' }, 'Create one with the URL of a service that accepts POST requests; it will receive the events of the types you enable.')));
    } else if (hasCards && empty) {
      empty.remove();
    }
  }

  async function load(startingId) {
    list.setAttribute('aria-busy', 'true');
    try {
      const hooks = await api.get(`/api/webhooks/list${api.query({ startingId, itemCount: PAGE_SIZE, isDescending: true })}`);
      if (stopped) return;
      for (const w of hooks) list.append(card(w));
      next = hooks.length === PAGE_SIZE ? hooks[hooks.length - 1].id - 1 : 0;
      more.hidden = next <= 0;
      showEmpty();
    } catch (err) {
      if (!stopped) showError(err);
    } finally {
      list.setAttribute('aria-busy', 'false');
    }
  }
  more.addEventListener('click', () => busy(more, () => load(next)));

  const createBtn = h('button', { type: 'button', class: 'primary change', id: 'create-webhook', onclick: create },
    icon('plus'), 'Create');

  fill(main,
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Webhooks'),
      createBtn),
    h('p', { class: 'muted lead' },
      'Each webhook is a URL that receives a signed POST for every event of the types it has enabled.'),
    testBar(),
    list,
    more);
  load(0);
  loadStats();
  const timer = setInterval(() => { if (!document.hidden) loadStats(); }, STATS_MS);

  async function create() {
    const w = await formDialog({
      title: 'New webhook',
      submitLabel: 'Create webhook',
      fields: webhookFields(),
      submit: (form) => api.post('/api/webhooks', readWebhookForm(form)),
    });
    if (!w) return;
    const created = redraw(w);
    created.scrollIntoView({ block: 'nearest' });
    const title = created.querySelector('h2');
    if (title) title.focus();
    announce(`Webhook #${w.id} created. Give its secret to your receiver to check signatures.`);
  }

  return { stop() { stopped = true; clearInterval(timer); } };
}

// testBar sends one sample event of a type to every webhook that has the type.
function testBar() {
  const selId = uid('test-type');
  const select = h('select', { id: selId, name: 'webhookType' },
    api.HOOK_TYPES.map((t) => h('option', { value: t.test }, t.label)));
  const send = h('button', { type: 'submit', class: 'secondary' }, icon('send'), 'Send test');
  const form = h('form', { class: 'toolbar panel change', 'aria-label': 'Send a test event' },
    h('label', { for: selId }, 'Send a test event of type'),
    select, send,
    h('p', { class: 'help' }, 'A sample event goes to every webhook that has this type enabled. See it arrive under ',
      h('a', { href: '#/deliveries' }, 'Deliveries'), '.'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const type = select.value;
    busy(send, async () => {
      try {
        await api.post(`/api/webhooks/test/${encodeURIComponent(type)}`);
        announce(`Test ${type} event sent to every webhook with ${type} enabled. It shows under Deliveries.`);
      } catch (err) {
        showError(err);
      }
    });
  });
  return form;
}

// webhookFields are the inputs of the create dialog.
function webhookFields() {
  const urlId = uid('new-url');
  const filterId = uid('new-filter');
  const retryId = uid('new-retry');
  return [
    h('label', { for: urlId }, 'Webhook URL'),
    h('input', {
      id: urlId, name: 'url', type: 'url', required: true, inputmode: 'url', autocomplete: 'url',
      placeholder: 'https://example.com/hooks/hookcast', spellcheck: 'false',
    }),
    h('fieldset', { class: 'checks' },
      h('legend', null, 'Event types'),
      api.HOOK_TYPES.map((t) => {
        const id = uid(`new-${t.type}`);
        return h('div', { class: 'check' },
          h('input', { type: 'checkbox', id, name: t.field, checked: t.field === 'isFeedHooks' }),
          h('label', { for: id }, h('strong', null, t.label), h('span', { class: 'muted' }, ` — ${t.about}`)));
      })),
    h('details', { class: 'more' },
      h('summary', null, 'Filter, retries and limits'),
      h('label', { for: filterId }, 'Stream name filter (optional)'),
      h('input', { id: filterId, name: 'filter', type: 'text', spellcheck: 'false', placeholder: '^live-.*', 'aria-describedby': `${filterId}-help` }),
      h('p', { id: `${filterId}-help`, class: 'help' }, 'A regular expression; only events of streams whose name matches are sent. Empty: all.'),
      retrySelect(retryId, 'exponential'),
      limitInputs('new', null)),
  ];
}

function readWebhookForm(form) {
  const url = form.elements.url.value.trim();
  if (!url) {
    const err = new Error('Please enter the webhook URL: the address that will receive the events.');
    err.fields = { url: 'required' };
    throw err;
  }
  const body = readLimits(form, { url, filter: form.elements.filter.value.trim(), retryPolicy: form.elements.retryPolicy.value });
  for (const t of api.HOOK_TYPES) body[t.field] = form.elements[t.field].checked;
  return body;
}
