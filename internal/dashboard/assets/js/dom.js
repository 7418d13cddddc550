// Small DOM helpers. Pages build elements with h() and never assign HTML strings,
// so text from the API (URLs, error messages, event bodies) is always text.
// Words and numbers for people are format.js's; this module only builds.
import { when, relative } from './format.js';

// h(tag, attrs, ...children) creates an element. attrs: class, on<event>
// handlers, dataset, boolean attributes (true/false) and plain attributes.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// fill replaces el's children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// svg icons, drawn with strokes in the current text colour; hidden from screen
// readers (the button around them carries the name).
const ICONS = {
  pen: ['M4 20h4L19 9l-4-4L4 16z', 'M13.5 6.5l4 4'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  x: ['M6 6l12 12', 'M18 6L6 18'],
  trash: ['M4 7h16', 'M10 11v6', 'M14 11v6', 'M6 7l1 13h10l1-13', 'M9 7V4h6v3'],
  copy: ['M9 9h11v11H9z', 'M15 5V4H4v11h1'],
  eye: ['M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z', 'M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6z'],
  refresh: ['M20 12a8 8 0 1 1-2.3-5.7', 'M20 4v5h-5'],
  plus: ['M12 5v14', 'M5 12h14'],
  send: ['M4 12l16-8-6 16-3-7z', 'M11 13l9-9'],
  key: ['M14 10a4 4 0 1 0-3.5 4L12 16h2v2h2v2h4v-4z'],
  back: ['M15 5l-7 7 7 7'],
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of ICONS[name] || []) {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

let idSeq = 0;
// uid returns an id unique in the page, for label/for and aria references.
export function uid(prefix) {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

// timeEl shows a time relative to now, the exact time on hover (title) and for
// machines (datetime); refreshTimes brings every one in root up to date.
export function timeEl(t, prefix = '') {
  if (t == null || t === '') return h('span', { class: 'muted' }, '—');
  const d = new Date(t);
  const el = h('time', { datetime: d.toISOString(), title: when(t), dataset: { prefix } });
  el.textContent = prefix + relative(d.getTime());
  return el;
}

export function refreshTimes(root) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time[datetime]')) {
    el.textContent = (el.dataset.prefix || '') + relative(new Date(el.getAttribute('datetime')).getTime(), now);
  }
}

// copyText puts text on the clipboard. Outside a secure context (plain http on a
// host other than localhost) the Clipboard API is missing, so it falls back to
// copying from a temporary, off-screen text area.
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', { class: 'visually-hidden', readonly: true, 'aria-hidden': 'true' });
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy is not available here');
}
