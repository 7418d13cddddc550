// Formatting for people: times, durations, rates and event names as words and
// numbers. Pure functions of their arguments (and the clock), no DOM, so every
// page formats the same thing the same way.

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

// eventLabel names an event as "type.event" ("feeds.started"); a thumbnail has
// no event name, only its type.
export function eventLabel(type, event) {
  return event ? `${type}.${event}` : type;
}

// rate formats a success rate (0 … 1, or null).
export function rate(r) {
  if (r == null) return '—';
  // One decimal at most, and only when it says something: "75 %", "97.5 %".
  return `${Math.round(r * 1000) / 10} %`;
}

// latency formats milliseconds.
export function millis(ms) {
  if (ms == null) return '—';
  if (ms >= 10000) return '≥ 10 s';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

// age formats seconds as a duration in words.
export function age(s) {
  if (!s) return '—';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} days`;
}
