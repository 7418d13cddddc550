// Status messages (read out by screen readers through aria-live regions) and the
// confirmation dialog.
import { h, fill, icon } from './dom.js';

let statusTimer = 0;
let statusKeep = false;

// announce shows a passing message, read out politely. A message replaces any
// error shown (the error is about an earlier action), and goes when the page
// changes, unless keep is set: it is about the change of page itself ("You
// are signed out"), and stays for the next page only.
export function announce(msg, { keep = false } = {}) {
  const el = document.getElementById('status');
  clearError();
  fill(el, h('span', null, msg));
  el.classList.add('show');
  statusKeep = keep;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(clearStatus, 8000);
}

function clearStatus() {
  const el = document.getElementById('status');
  el.classList.remove('show');
  fill(el);
}

// clearStaleStatus removes a message about an earlier page when another page
// opens, but keeps one said about the change itself (announce's keep), once.
export function clearStaleStatus() {
  if (statusKeep) {
    statusKeep = false;
    return;
  }
  clearStatus();
}

// showError shows an error that stays until dismissed or the next action. It
// replaces a success message: the two would contradict each other.
export function showError(err) {
  clearStatus();
  const el = document.getElementById('alert');
  const msg = err && err.message ? err.message : String(err);
  fill(el,
    h('span', null, msg),
    h('button', { type: 'button', class: 'icon-only quiet', 'aria-label': 'Dismiss message', onclick: clearError }, icon('x')));
  el.classList.add('show');
}

export function clearError() {
  const el = document.getElementById('alert');
  el.classList.remove('show');
  fill(el);
}

// confirmDialog asks a yes/no question in a modal dialog and resolves to true
// when the user confirms. Cancel is focused first, so Enter alone never
// destroys anything; Escape cancels.
export function confirmDialog({ title, body, confirm, danger = true }) {
  const dlg = document.getElementById('dialog');
  return new Promise((resolve) => {
    const cancelBtn = h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close('cancel') }, 'Cancel');
    const okBtn = h('button', { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => dlg.close('ok') }, confirm);
    fill(dlg,
      h('h2', { id: 'dialog-title' }, title),
      h('div', { id: 'dialog-body' }, ...[].concat(body).map((p) => (p instanceof Node ? p : h('p', null, p)))),
      h('div', { class: 'dialog-actions' }, cancelBtn, okBtn));
    dlg.returnValue = '';
    const opener = document.activeElement;
    dlg.addEventListener('close', () => {
      if (opener && opener.isConnected) opener.focus();
      resolve(dlg.returnValue === 'ok');
    }, { once: true });
    dlg.showModal();
    cancelBtn.focus();
  });
}

// formDialog shows a form in the modal dialog. submit(form, errorsEl) returns a
// promise; when it resolves the dialog closes with its value, when it rejects the
// error is shown inside the dialog and the dialog stays open. Resolves to null
// on cancel.
export function formDialog({ title, fields, submitLabel, submit }) {
  const dlg = document.getElementById('dialog');
  return new Promise((resolve) => {
    let result = null;
    const errors = h('div', { class: 'alert inline', role: 'alert', 'aria-atomic': 'true' });
    const okBtn = h('button', { type: 'submit', class: 'primary' }, submitLabel);
    const form = h('form', { novalidate: true, class: 'dialog-form' },
      h('div', { id: 'dialog-body' }, fields),
      errors,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close('cancel') }, 'Cancel'),
        okBtn));
    // A field marked invalid is unmarked as soon as it is changed.
    form.addEventListener('input', (ev) => ev.target.removeAttribute('aria-invalid'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      okBtn.disabled = true;
      fill(errors);
      errors.classList.remove('show');
      try {
        result = await submit(form);
        dlg.close('ok');
      } catch (err) {
        fill(errors, err.message || String(err));
        errors.classList.add('show');
        markInvalid(form, err.fields);
      } finally {
        okBtn.disabled = false;
      }
    });
    fill(dlg, h('h2', { id: 'dialog-title' }, title), form);
    const opener = document.activeElement;
    dlg.addEventListener('close', () => {
      if (opener && opener.isConnected) opener.focus();
      resolve(dlg.returnValue === 'ok' ? result : null);
    }, { once: true });
    dlg.returnValue = '';
    dlg.showModal();
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  });
}

// markInvalid flags the inputs named in a fail answer (aria-invalid), and
// focuses the first.
export function markInvalid(form, fields) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!fields) return;
  let first = null;
  for (const name of Object.keys(fields)) {
    const el = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      first = first || el;
    }
  }
  if (first) first.focus();
}

// busy disables a button while an action runs, so a double click does not send
// twice.
export async function busy(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}
