// One delivery: what was sent (headers and exact body), every attempt with its
// answer, and Resend.
import * as api from './api.js';
import { h, fill, icon, copyText, timeEl, refreshTimes } from './dom.js';
import { when, eventLabel } from './format.js';
import { announce, showError, busy } from './ui.js';
import { outcomeBadge, whyFinal, errorText } from './outcome.js';

const POLL_MS = 2000;

export function deliveryPage(main, ctx) {
  const id = ctx.param;
  let stopped = false;
  let last = '';
  let hook = null; // the delivery's webhook, for its retry policy (null: deleted)
  const resendBtn = h('button', { type: 'button', class: 'primary change', id: 'resend' }, icon('send'), 'Resend');
  const summary = h('div', { id: 'delivery-summary' });
  const request = h('section', { 'aria-labelledby': 'request-title' });
  const attempts = h('section', { 'aria-labelledby': 'attempts-title' });

  fill(main,
    h('p', null, h('a', { href: '#/deliveries', class: 'back' }, icon('back'), 'All deliveries')),
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, `Delivery #${id}`), h('span', { class: 'spacer' }), resendBtn),
    summary, attempts, request);

  resendBtn.addEventListener('click', () => busy(resendBtn, async () => {
    try {
      await api.post(`/api/deliveries/${encodeURIComponent(id)}/resend`);
      announce(`Delivery #${id} will be sent again now.`);
      await load();
    } catch (err) {
      showError(err);
    }
  }));

  async function load() {
    try {
      const d = await api.get(`/api/deliveries/${encodeURIComponent(id)}`);
      if (stopped) return;
      if (!hook) hook = await api.get(`/api/webhooks/${d.webhookId}`).catch(() => ({}));
      if (stopped) return;
      const key = JSON.stringify(d);
      if (key !== last) render(d);
      else refreshTimes(main);
      last = key;
    } catch (err) {
      if (!stopped) showError(err);
    }
  }

  function render(d) {
    const why = whyFinal(d, hook);
    const err = errorText(d);
    fill(summary, h('dl', { class: 'facts panel' },
      fact('Outcome', outcomeBadge(d.state)),
      fact('Webhook', h('a', { href: `#/deliveries?webhookId=${d.webhookId}` }, `#${d.webhookId}`)),
      fact('Event', h('code', null, eventLabel(d.eventType, eventName(d)))),
      fact('Event id', h('code', null, d.eventId)),
      fact('Attempts', String(d.attemptCount)),
      fact('Last HTTP status', d.lastStatus ? String(d.lastStatus) : '—'),
      err ? fact('Last error', h('span', { class: 'error-text', id: 'last-error' }, err), 'wide') : null,
      why ? fact('Why it stopped', h('span', { id: 'why-final' }, why.long), 'wide') : null,
      d.nextAttemptAt ? fact('Next attempt', timeEl(d.nextAttemptAt)) : null,
      fact('Created', timeEl(d.createdAt)),
      fact('Updated', timeEl(d.updatedAt))));
    fill(attempts, h('h2', { id: 'attempts-title' }, 'Attempts'), attemptsTable(d.attempts));
    fill(request, h('h2', { id: 'request-title' }, 'What was sent'), d.event ? eventView(d.event) :
      h('p', { class: 'muted' }, 'The event of this delivery is no longer kept.'));
  }

  load();
  // A pending delivery changes on its own: keep looking until it settles.
  const timer = setInterval(() => {
    if (!document.hidden && last.includes('"state":"pending"')) load();
  }, POLL_MS);
  return { stop() { stopped = true; clearInterval(timer); } };
}

// eventName is the delivery's event name, also found in its event.
function eventName(d) {
  return d.eventName || (d.event && d.event.event) || '';
}

function fact(name, value, cls) {
  return h('div', { class: cls || null }, h('dt', null, name), h('dd', null, value));
}

function attemptsTable(list) {
  if (!list || list.length === 0) {
    return h('p', { class: 'muted' }, 'No attempt yet.');
  }
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Attempts' },
    h('table', { class: 'log', id: 'attempt-table' },
      h('thead', null, h('tr', null,
        ['Attempt', 'Time', 'HTTP status', 'Latency', 'Error', 'Response'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, list.map((a) => h('tr', null,
        h('th', { scope: 'row' }, String(a.n)),
        h('td', { class: 'time' }, timeEl(a.at)),
        h('td', null, a.status ? h('span', { class: `badge ${a.status < 300 ? 'ok' : 'bad'}` }, String(a.status)) : '—'),
        h('td', null, `${a.latencyMs.toFixed(1)} ms`),
        h('td', { class: 'error-text' }, a.error || ''),
        h('td', null, a.response ? h('pre', { class: 'response' }, a.response) : h('span', { class: 'muted' }, 'empty')))))));
}

// eventView shows the request as sent: headers, then the body. JSON bodies are
// shown as sent and, for reading, indented; a thumbnail's JPEG as the image.
function eventView(ev) {
  const headers = [['Content-Type', ev.contentType], ['webhook-id', ev.id]];
  for (const [k, v] of Object.entries(ev.headers || {})) headers.push([k, v]);
  const asSent = ev.bodyEncoding === 'json' ? JSON.stringify(ev.body) : null;
  const pre = h('pre', { class: 'body', id: 'event-body', tabindex: '0' },
    asSent !== null ? JSON.stringify(ev.body, null, 2) : '');
  let shown = 'formatted';
  const toggle = h('button', { type: 'button', class: 'secondary small', 'aria-controls': 'event-body' }, 'Show as sent');
  toggle.addEventListener('click', () => {
    shown = shown === 'formatted' ? 'sent' : 'formatted';
    pre.textContent = shown === 'sent' ? asSent : JSON.stringify(ev.body, null, 2);
    toggle.textContent = shown === 'sent' ? 'Show formatted' : 'Show as sent';
  });
  const copyBtn = h('button', { type: 'button', class: 'secondary small' }, icon('copy'), 'Copy body');
  copyBtn.addEventListener('click', async () => {
    try {
      await copyText(asSent);
      announce('Body copied.');
    } catch {
      showError(new Error('Copying is not available in this browser here; select the body and copy it yourself.'));
    }
  });
  return [
    h('p', { class: 'muted' }, eventLabel(ev.type, ev.event),
      ev.streamName ? ` of stream ${ev.streamName}` : '', `, happened ${when(ev.timestamp)}.`),
    h('h3', null, 'Headers'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'headers', id: 'header-table' },
      h('tbody', null, headers.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, h('code', null, v))))))),
    h('p', { class: 'help' }, 'Each attempt also carries ', h('code', null, 'X-Millicast-Signature'), ', ',
      h('code', null, 'webhook-timestamp'), ' and ', h('code', null, 'webhook-signature'),
      ', computed with the webhook\'s secret at the time of the attempt, and the same body byte for byte.'),
    h('h3', null, 'Body'),
    asSent !== null ? [h('div', { class: 'buttons' }, toggle, copyBtn), pre] : binaryBody(ev),
  ];
}

// binaryBody shows a body that is not JSON: an image as itself, anything else
// as the base64 the API gives.
function binaryBody(ev) {
  if (!String(ev.contentType).startsWith('image/')) {
    return [h('p', { class: 'help' }, `${ev.contentType}, shown in base64:`), h('pre', { class: 'body', tabindex: '0' }, ev.body)];
  }
  return h('figure', null,
    h('img', { src: `data:${ev.contentType};base64,${ev.body}`, alt: `The ${ev.type} image that was sent`, class: 'thumb' }),
    h('figcaption', { class: 'muted' }, `${ev.contentType}, ${Math.ceil((ev.body.length * 3) / 4 / 1024)} KB`));
}
