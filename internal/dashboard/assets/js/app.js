// The dashboard's shell: session, hash routing (#/webhooks, #/health,
// #/deliveries, #/deliveries/12, #/streams, #/login, #/portal/<token>) and the
// navigation.
import * as api from './api.js';
import { h, fill } from './dom.js';
import { announce, showError, clearError, clearStaleStatus } from './ui.js';
import { loginPage } from './login.js';
import { webhooksPage } from './webhooks.js';
import { deliveriesPage } from './deliveries.js';
import { deliveryPage } from './delivery.js';
import { streamsPage } from './streams.js';
import { healthPage } from './health.js';

const main = document.getElementById('main');
let session = null;
let current = null; // the page shown: { stop() } to end its timers and streams
let routing = 0;

// parseHash reads "#/page/param?query".
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const [page = '', param = ''] = pathPart.split('/');
  return { page: page || 'webhooks', param, query: new URLSearchParams(queryPart) };
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function loadSession() {
  try {
    useSession(await api.get('/dashboard/session'));
  } catch {
    session = null;
  }
  return session;
}

// useSession adopts a session: its CSRF token, and read-only mode, in which
// the page hides every control that changes something (body.read-only).
function useSession(info) {
  session = info;
  api.setCsrf(info ? info.csrf : '');
  api.setReadOnly(info && info.readOnly);
  document.body.classList.toggle('read-only', Boolean(info && info.readOnly));
}

// openPortal trades a portal link's one-time token (in the fragment, never
// sent to a server by the browser) for a session, then drops it from the
// address and the history.
async function openPortal(token) {
  history.replaceState(null, '', '#/webhooks');
  try {
    useSession(await api.post('/dashboard/portal', { token }));
  } catch (err) {
    showChrome(false);
    document.title = 'Link expired · hookcast';
    fill(main, h('div', { class: 'panel login' },
      h('h1', { tabindex: '-1' }, 'This link does not work any more'),
      h('p', null, err.message)));
    return false;
  }
  return true;
}

function showChrome(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('account').hidden = !signedIn;
  fill(document.getElementById('account-id'), signedIn ? `Account ${session.accountId}${session.readOnly ? ' (read-only)' : ''}` : '');
}

function markNav(page) {
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  const seq = ++routing;
  const { page, param, query } = parseHash();
  if (current && current.stop) current.stop();
  current = null;
  clearError();
  clearStaleStatus();

  if (page === 'portal') {
    if (!(await openPortal(param)) || seq !== routing) return;
    route();
    return;
  }
  if (page !== 'login' && !session && !(await loadSession())) {
    if (seq === routing) go('#/login');
    return;
  }
  if (seq !== routing) return;
  if (page === 'login') {
    useSession(null);
    showChrome(false);
    document.title = 'Sign in · hookcast';
    current = loginPage(main, { onSignedIn });
    return;
  }
  showChrome(true);
  const ctx = { go, query, param, session };
  const pages = {
    webhooks: () => webhooksPage(main, ctx),
    health: () => healthPage(main, ctx),
    deliveries: () => (param ? deliveryPage(main, ctx) : deliveriesPage(main, ctx)),
    streams: () => streamsPage(main, ctx),
  };
  const show = pages[page];
  if (!show) {
    fill(main, h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', null, 'There is no such page. ', h('a', { href: '#/webhooks' }, 'Go to Webhooks.')));
    return;
  }
  markNav(page);
  document.title = `${page[0].toUpperCase()}${page.slice(1)} · hookcast`;
  current = show();
  // Move focus to the new page's heading, so keyboard and screen reader users
  // start there (the heading has tabindex -1).
  const h1 = main.querySelector('h1');
  if (h1 && document.activeElement !== document.getElementById('dialog')) h1.focus({ preventScroll: true });
}

function onSignedIn(info) {
  useSession(info);
  go('#/webhooks');
}

async function logout() {
  try {
    await api.post('/dashboard/logout');
  } catch (err) {
    showError(err);
    return;
  }
  useSession(null);
  go('#/login');
  announce('You are signed out.', { keep: true });
}

api.whenSignedOut(() => {
  useSession(null);
  if (parseHash().page !== 'login') go('#/login');
});
document.getElementById('logout').addEventListener('click', logout);
window.addEventListener('hashchange', route);
route();
