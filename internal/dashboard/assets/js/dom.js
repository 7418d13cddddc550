// Small DOM helpers. Pages build elements with h() and never assign HTML strings,
// so text from the API (URLs, error messages, event bodies) is always text.

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

// when formats an API time (RFC 3339 or epoch ms) as local date and time.
export function when(t) {
  if (t == null || t === '') return '—';
  const d = typeof t === 'number' ? new Date(t) : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

// ago says how long ago an epoch-ms time was, in words.
export function ago(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr} h ${m % 60} min ago`;
  return `${Math.floor(hr / 24)} days ago`;
}

// relative says how far a time is from now in words: "in 1 s", "3 min ago",
// "in 2 h 5 min", "4 days ago"; "now" within half a second.
export function relative(t, now = Date.now()) {
  const ms = typeof t === 'number' ? t : new Date(t).getTime();
  if (Number.isNaN(ms)) return String(t);
  const diff = ms - now;
  const s = Math.round(Math.abs(diff) / 1000);
  if (s === 0) return 'now';
  let words;
  if (s < 60) words = `${s} s`;
  else if (s < 3600) words = `${Math.floor(s / 60)} min`;
  else if (s < 48 * 3600) {
    const m = Math.floor(s / 60);
    words = m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
  } else words = `${Math.floor(s / 86400)} days`;
  return diff > 0 ? `in ${words}` : `${words} ago`;
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

// eventLabel names an event as "type.event" ("feeds.started"); a thumbnail has
// no event name, only its type.
export function eventLabel(type, event) {
  return event ? `${type}.${event}` : type;
}
