// The Streams page: the account's streams (feeds, viewers) and latest events,
// live from the server-sent events of /dashboard/events.
import * as api from './api.js';
import { h, fill } from './dom.js';
import { when, ago, eventLabel } from './format.js';

export function streamsPage(main) {
  const conn = h('span', { class: 'conn', id: 'conn-state', role: 'status', 'aria-live': 'polite' }, 'Connecting…');
  const problem = h('div', { class: 'alert inline', role: 'alert' });
  const streams = h('div', { class: 'cards', id: 'stream-list', 'aria-live': 'off' });
  const events = h('div', { id: 'event-list' });
  fill(main,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Streams'), h('span', { class: 'spacer' }), conn),
    h('p', { class: 'muted lead' }, 'What the media servers report, as it happens: publishers (feeds) and viewers per stream.'),
    problem,
    h('section', { 'aria-labelledby': 'streams-title' }, h('h2', { id: 'streams-title' }, 'Streams'), streams),
    h('section', { 'aria-labelledby': 'events-title' }, h('h2', { id: 'events-title' }, 'Latest events'), events));

  // Paging: a large account has thousands of streams; one page of them is
  // drawn at a time.
  const pageSize = 100;
  let page = 0;
  const pager = h('nav', { class: 'pager', 'aria-label': 'Stream pages' });
  streams.after(pager);

  let state = null;
  let byName = new Map(); // the streams by name, as the messages left them
  const source = new EventSource('/dashboard/events');
  source.addEventListener('open', () => setConn('Live', 'ok'));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) {
      setConn('Reconnecting…', 'warn');
      return;
    }
    // The server refused the stream: most likely the sign-in ended, which the
    // session check turns into the sign-in page.
    setConn('Disconnected', 'bad');
    api.get('/dashboard/session').then(() => setConn('Disconnected; reload the page', 'bad'), () => {});
  });
  // "state" is everything; "changes" only the streams that changed or came,
  // the names of those gone, and the latest events when they changed.
  source.addEventListener('state', (ev) => {
    try {
      state = JSON.parse(ev.data);
    } catch {
      return;
    }
    byName = new Map((Array.isArray(state.streams) ? state.streams : []).map((s) => [s.name, s]));
    render();
  });
  source.addEventListener('changes', (ev) => {
    let c;
    try {
      c = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!state) return;
    for (const s of c.streams || []) byName.set(s.name, s);
    for (const n of c.removed || []) byName.delete(n);
    state.streams = [...byName.values()];
    if (c.events) state.events = c.events;
    state.error = c.error || '';
    render();
  });
  // Relative times ("12 s ago") move on between messages.
  const tick = setInterval(() => { if (state && !document.hidden) render(); }, 5000);

  function setConn(text, cls) {
    if (conn.textContent !== text) conn.textContent = text;
    conn.className = `conn ${cls}`;
  }

  function render() {
    fill(problem, state.error || '');
    problem.classList.toggle('show', Boolean(state.error));
    const list = [...(state.streams || [])].sort((a, b) => (b.live - a.live) || a.name.localeCompare(b.name));
    if (list.length === 0) {
      fill(streams, h('div', { class: 'empty panel' },
        h('p', null, 'No streams yet.'),
        h('p', { class: 'muted' }, 'A stream appears here when a media server reports it to the ingest API (',
          h('code', null, '/api/ingest/…'), '), for example when a publisher starts.')));
    } else {
      const pages = Math.ceil(list.length / pageSize);
      page = Math.min(page, pages - 1);
      fill(streams, list.slice(page * pageSize, (page + 1) * pageSize).map(streamCard));
      fill(pager, pages <= 1 ? '' : [
        h('button', { type: 'button', class: 'btn', disabled: page === 0, onclick: () => { page--; render(); } }, 'Previous'),
        h('span', { class: 'muted' }, ` Page ${page + 1} of ${pages} (${list.length} streams) `),
        h('button', { type: 'button', class: 'btn', disabled: page >= pages - 1, onclick: () => { page++; render(); } }, 'Next')]);
    }
    const evs = state.events || [];
    fill(events, evs.length === 0 ? h('p', { class: 'muted' }, 'No events yet.') :
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Latest events' },
        h('table', { class: 'log', id: 'event-table' },
          h('thead', null, h('tr', null, ['Time', 'Event', 'Stream'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, evs.map((e) => h('tr', null,
            h('td', { class: 'time' }, when(e.timestamp)),
            h('td', null, h('code', null, eventLabel(e.type, e.event))),
            h('td', null, e.streamName || '—')))))));
  }

  return {
    stop() {
      source.close();
      clearInterval(tick);
    },
  };
}

function streamCard(s) {
  const viewers = `${s.viewers} viewer${s.viewers === 1 ? '' : 's'}`;
  return h('article', { class: 'card stream', 'aria-label': `Stream ${s.name}`, dataset: { stream: s.streamId } },
    h('header', { class: 'card-head' },
      h('h3', null, s.name),
      h('span', { class: `badge ${s.live ? 'ok' : 'muted'}` }, s.live ? 'Live' : 'Offline'),
      h('span', { class: 'spacer' }),
      h('span', { class: 'viewers' }, viewers)),
    h('p', { class: 'muted small-text' }, h('code', null, s.streamId),
      s.armed ? ' · a noActiveViewers event will follow when interest ends' : ''),
    s.feeds && s.feeds.length > 0
      ? h('ul', { class: 'feeds' }, s.feeds.map((f) => h('li', null,
        h('code', null, f.feedId),
        h('span', { class: 'muted' }, ` started ${ago(f.started)} (${when(f.started)})`),
        f.priority != null ? h('span', { class: 'tag' }, `priority ${f.priority}`) : null,
        f.sourceId ? h('span', { class: 'tag' }, `source ${f.sourceId}`) : null,
        f.simulcastId ? h('span', { class: 'tag' }, `simulcast ${f.simulcastId}`) : null)))
      : h('p', { class: 'muted' }, 'No publisher.'));
}
