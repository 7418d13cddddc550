// One webhook, as a card: its URL (pen to edit, check mark to save, grey cross to
// cancel), the Enabled/Disabled switch of each type, its secret (show, copy,
// renew), filter and retry policy, custom headers, the disabled notice, and delete.
import * as api from './api.js';
import { h, fill, icon, uid, copyText } from './dom.js';
import { when } from './format.js';
import { announce, showError, confirmDialog, busy, markInvalid } from './ui.js';

export function webhookCard(w, actions) {
  const titleId = uid(`wh-${w.id}`);
  const card = h('article', { class: 'card webhook', 'aria-labelledby': titleId, dataset: { webhook: String(w.id) } });

  // run applies a change, showing failures in the page's alert region.
  const run = (button, change, message, focusKey) => busy(button, async () => {
    try {
      await actions.update(w, change, message, focusKey);
    } catch (err) {
      showError(err);
    }
  });
  // run.raw applies a change and lets the caller show the failure (forms mark
  // the offending input).
  run.raw = (change, message, focusKey) => actions.update(w, change, message, focusKey);

  const deleteBtn = h('button', {
    type: 'button', class: 'icon-only danger-quiet', 'aria-label': `Delete webhook #${w.id}`,
    title: 'Delete', dataset: { focus: 'delete' },
  }, icon('trash'));
  deleteBtn.addEventListener('click', () => actions.remove(w, deleteBtn));

  fill(card,
    h('header', { class: 'card-head' },
      h('h2', { id: titleId, tabindex: '-1', dataset: { focus: 'title' } }, `Webhook #${w.id}`),
      w.disabled ? h('span', { class: 'badge bad' }, 'Disabled') : h('span', { class: 'badge ok' }, 'Active'),
      h('span', { class: 'spacer' }),
      h('a', { href: `#/deliveries?webhookId=${w.id}`, class: 'link-button' }, 'Deliveries'),
      deleteBtn),
    urlRow(w, run),
    w.disabled ? disabledNotice(w, run) : null,
    typesRow(w, run),
    secretRow(w, run),
    settings(w, run),
    headerSettings(w, run));
  return card;
}

function urlRow(w, run) {
  const row = h('div', { class: 'url-row' });
  const show = (focusPen) => {
    const pen = h('button', {
      type: 'button', class: 'icon-only quiet', 'aria-label': `Edit URL of webhook #${w.id}`,
      title: 'Edit URL', dataset: { focus: 'edit-url' }, onclick: edit,
    }, icon('pen'));
    fill(row, h('span', { class: 'field-name' }, 'URL'), h('code', { class: 'url' }, w.url), pen);
    if (focusPen) pen.focus();
  };
  const edit = () => {
    const id = uid('url');
    const input = h('input', {
      id, name: 'url', type: 'url', value: w.url, required: true, spellcheck: 'false', inputmode: 'url',
    });
    const save = h('button', { type: 'submit', class: 'icon-only confirm', 'aria-label': 'Save URL', title: 'Save' }, icon('check'));
    const cancel = h('button', { type: 'button', class: 'icon-only cancel', 'aria-label': 'Cancel editing the URL', title: 'Cancel', onclick: () => show(true) }, icon('x'));
    const form = h('form', { class: 'url-edit', novalidate: true },
      h('label', { for: id, class: 'field-name' }, 'URL'), input, save, cancel);
    form.addEventListener('input', () => input.removeAttribute('aria-invalid'));
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        show(true);
      }
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const url = input.value.trim();
      if (url === w.url) {
        show(true);
        return;
      }
      if (!url) {
        showError(new Error('Please enter the webhook URL.'));
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      busy(save, async () => {
        try {
          await run.raw({ url }, `URL of webhook #${w.id} changed.`, 'edit-url');
        } catch (err) {
          showError(err);
          markInvalid(form, err.fields);
        }
      });
    });
    fill(row, form);
    input.focus();
    input.select();
  };
  show(false);
  return row;
}

function disabledNotice(w, run) {
  const d = w.disabled;
  const reEnable = h('button', { type: 'button', class: 'primary', dataset: { focus: 're-enable' } }, 'Re-enable');
  reEnable.addEventListener('click', () => run(reEnable, { reEnable: true },
    `Webhook #${w.id} is enabled again; new events will be sent to it.`, 'title'));
  return h('div', { class: 'notice bad', role: 'note' },
    h('p', null,
      h('strong', null, 'Disabled'),
      d.until ? ` until ${when(d.until)}` : ' until you re-enable it',
      d.reason ? ` — ${d.reason}.` : '.',
      ' No events are sent to it meanwhile.'),
    reEnable);
}

function typesRow(w, run) {
  return h('fieldset', { class: 'types' },
    h('legend', null, 'Event types'),
    h('ul', { class: 'type-list' }, [...api.HOOK_TYPES, api.OPERATIONAL].map((t) => {
      const on = Boolean(w[t.field]);
      const nameId = uid(`type-${t.type}`);
      const btnId = uid(`toggle-${t.type}`);
      const btn = h('button', {
        type: 'button', id: btnId, class: `toggle ${on ? 'on' : 'off'}`,
        'aria-labelledby': `${nameId} ${btnId}`, title: on ? `Click to stop ${t.label} events` : `Click to receive ${t.label} events`,
        dataset: { focus: `toggle-${t.field}` },
      }, on ? 'Enabled' : 'Disabled');
      btn.addEventListener('click', () => run(btn, { [t.field]: !on },
        `${t.label} events ${on ? 'disabled' : 'enabled'} for webhook #${w.id}.`, `toggle-${t.field}`));
      return h('li', null, h('span', { id: nameId, class: 'type-name', title: t.about }, t.label), btn);
    })));
}

function secretRow(w, run) {
  const id = uid('secret');
  const masked = '•'.repeat(24);
  const value = h('code', { id, class: 'secret', dataset: { focus: 'secret' }, tabindex: '-1' }, masked);
  const showBtn = h('button', { type: 'button', class: 'secondary small', 'aria-controls': id, 'aria-expanded': 'false' }, icon('eye'), 'Show');
  showBtn.addEventListener('click', () => {
    const hidden = showBtn.getAttribute('aria-expanded') === 'false';
    value.textContent = hidden ? w.secret : masked;
    showBtn.setAttribute('aria-expanded', String(hidden));
    fill(showBtn, icon('eye'), hidden ? 'Hide' : 'Show');
  });
  const copyBtn = h('button', { type: 'button', class: 'secondary small' }, icon('copy'), 'Copy');
  copyBtn.addEventListener('click', async () => {
    try {
      await copyText(w.secret);
      announce(`Secret of webhook #${w.id} copied.`);
    } catch {
      showError(new Error('Copying is not available in this browser here; use Show and copy the secret yourself.'));
    }
  });
  const renewBtn = h('button', { type: 'button', class: 'secondary small warn', dataset: { focus: 'renew' } }, icon('refresh'), 'Renew');
  renewBtn.addEventListener('click', async () => {
    const overlapId = uid('overlap');
    const overlap = h('select', { id: overlapId },
      h('option', { value: '' }, "the server's default (usually 24 hours)"),
      h('option', { value: '3600' }, '1 hour'),
      h('option', { value: '86400' }, '24 hours'),
      h('option', { value: '604800' }, '7 days'),
      h('option', { value: '0' }, 'no time: stop accepting it now'));
    const ok = await confirmDialog({
      title: `Renew the secret of webhook #${w.id}?`,
      body: [
        h('p', { class: 'warning' }, h('strong', null, 'This cannot be undone.'),
          ' Events are signed with the new secret from now on: X-Millicast-Signature uses only the new one, as in Millicast.'),
        'The old secret stays valid for a while: until then every event also carries a second Standard Webhooks signature (webhook-signature) made with it, so receivers that check that header keep working until you give them the new secret. Receivers that check only X-Millicast-Signature need the new secret at once.',
        h('p', null, h('label', { for: overlapId }, 'Keep the old secret valid for '), overlap),
      ],
      confirm: 'Renew secret',
    });
    if (!ok) return;
    const body = { refreshSecret: true };
    if (overlap.value !== '') body.secretOverlapSeconds = Number(overlap.value);
    run(renewBtn, body, `The secret of webhook #${w.id} was renewed. Update your receiver with the new secret${overlap.value === '0' ? ' now' : ' before the old one expires'}.`, 'secret');
  });
  const previous = w.previousSecretExpiresAt
    ? h('p', { class: 'help secret-overlap' }, `The previous secret is still accepted until ${when(w.previousSecretExpiresAt)}: events carry a webhook-signature made with each.`)
    : null;
  return h('div', { class: 'secret-row' },
    h('span', { class: 'field-name' }, 'Secret'),
    value,
    h('span', { class: 'buttons' }, showBtn, copyBtn, renewBtn),
    previous);
}

function settings(w, run) {
  const filterId = uid('filter');
  const retryId = uid('retry');
  const save = h('button', { type: 'submit', class: 'secondary', dataset: { focus: 'save-settings' } }, 'Save settings');
  const form = h('form', { class: 'settings-form', novalidate: true },
    h('label', { for: filterId }, 'Stream name filter'),
    h('input', { id: filterId, name: 'filter', type: 'text', value: w.filter || '', spellcheck: 'false', placeholder: 'all streams', 'aria-describedby': `${filterId}-help` }),
    h('p', { id: `${filterId}-help`, class: 'help' }, 'A regular expression matched against the stream name (the transcoder name for transcoder events). Empty: every stream.'),
    retrySelect(retryId, w.retryPolicy),
    limitInputs('card', w),
    save);
  form.addEventListener('input', (ev) => ev.target.removeAttribute('aria-invalid'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(save, async () => {
      try {
        await run.raw(readLimits(form, { filter: form.elements.filter.value.trim(), retryPolicy: form.elements.retryPolicy.value }),
          `Settings of webhook #${w.id} saved.`, 'save-settings');
      } catch (err) {
        showError(err);
        markInvalid(form, err.fields);
      }
    });
  });
  const summary = [
    w.filter ? `streams matching ${w.filter}` : 'every stream',
    w.retryPolicy === 'none' ? 'one attempt' : 'retries for up to 24 h',
    `${w.maxConcurrency || 4} at once`,
    w.maxPerSecond ? `${w.maxPerSecond}/s` : 'no rate limit',
  ].join(' · ');
  return h('details', { class: 'settings' },
    h('summary', null, 'Filter, retries and limits ', h('span', { class: 'muted' }, `(${summary})`)),
    form);
}

// limitInputs are the labelled inputs of a webhook's delivery limits: attempts
// in flight at once (1–64, default 4) and started per second (empty or 0: no
// limit).
export function limitInputs(prefix, w) {
  const concId = uid(`${prefix}-max-concurrency`);
  const rateId = uid(`${prefix}-max-per-second`);
  return [
    h('label', { for: concId }, 'Requests in flight at once'),
    h('input', {
      id: concId, name: 'maxConcurrency', type: 'number', min: '1', max: '64', step: '1', inputmode: 'numeric',
      value: String(w?.maxConcurrency || 4), 'aria-describedby': `${concId}-help`,
    }),
    h('p', { id: `${concId}-help`, class: 'help' }, 'At most this many deliveries to this URL at the same time (1 to 64).'),
    h('label', { for: rateId }, 'Requests per second (optional)'),
    h('input', {
      id: rateId, name: 'maxPerSecond', type: 'number', min: '0', max: '1000', step: '1', inputmode: 'numeric',
      value: w?.maxPerSecond ? String(w.maxPerSecond) : '', placeholder: 'no limit', 'aria-describedby': `${rateId}-help`,
    }),
    h('p', { id: `${rateId}-help`, class: 'help' }, 'At most this many deliveries start in any second (up to 1000). Empty: no limit. A receiver answering 429 or 503 with Retry-After is also given that pause.'),
  ];
}

// readLimits adds the limit inputs of form to body: an empty rate is no limit,
// an empty concurrency leaves it as it is.
export function readLimits(form, body) {
  const conc = form.elements.maxConcurrency.value.trim();
  const rate = form.elements.maxPerSecond.value.trim();
  if (conc !== '') body.maxConcurrency = Number(conc);
  body.maxPerSecond = rate === '' ? 0 : Number(rate);
  return body;
}

// retrySelect is the labelled choice of retry policy (events.md §4).
export function retrySelect(id, value) {
  return [
    h('label', { for: id }, 'Retry policy'),
    h('select', { id, name: 'retryPolicy' },
      h('option', { value: 'exponential', selected: value !== 'none' }, 'Retry failures with growing delays, for up to 24 hours'),
      h('option', { value: 'none', selected: value === 'none' }, 'One attempt only, never retry')),
  ];
}

// headerSettings edits the custom headers as "Name: value" lines. Values come
// masked from the API; a line left as shown keeps the stored value.
function headerSettings(w, run) {
  const id = uid('headers');
  const names = Object.keys(w.headers || {}).sort();
  const save = h('button', { type: 'submit', class: 'secondary', dataset: { focus: 'save-headers' } }, 'Save headers');
  const text = h('textarea', {
    id, name: 'headers', rows: '4', spellcheck: 'false', placeholder: 'Authorization: Bearer …', 'aria-describedby': `${id}-help`,
  });
  text.value = names.map((n) => `${n}: ${w.headers[n]}`).join('\n');
  const form = h('form', { class: 'settings-form', novalidate: true },
    h('label', { for: id }, 'Custom headers'),
    text,
    h('p', { id: `${id}-help`, class: 'help' }, 'Sent with every delivery, one "Name: value" per line, at most 10. Values are shown masked; leave a masked value as it is to keep it. The signature headers, Content-Type and User-Agent cannot be set.'),
    save);
  form.addEventListener('input', (ev) => ev.target.removeAttribute('aria-invalid'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(save, async () => {
      try {
        const headers = {};
        for (const line of text.value.split('\n')) {
          if (!line.trim()) continue;
          const at = line.indexOf(':');
          if (at < 0) {
            const err = new Error(`"${line.trim()}" is not "Name: value".`);
            err.fields = { headers: err.message };
            throw err;
          }
          headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
        }
        await run.raw({ headers }, `Headers of webhook #${w.id} saved.`, 'save-headers');
      } catch (err) {
        showError(err);
        markInvalid(form, err.fields);
      }
    });
  });
  const summary = names.length ? names.join(', ') : 'none';
  return h('details', { class: 'settings' },
    h('summary', null, 'Custom headers ', h('span', { class: 'muted' }, `(${summary})`)),
    form);
}
