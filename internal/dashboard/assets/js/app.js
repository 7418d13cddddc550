// The dashboard's shell: session, hash routing (#/webhooks, #/deliveries,
// #/deliveries/12, #/streams, #/login) and the navigation.
import * as api from './api.js';
import { h, fill } from './dom.js';
import { announce, showError, clearError, clearStaleStatus } from './ui.js';
import { loginPage } from './login.js';
import { webhooksPage } from './webhooks.js';
import { deliveriesPage } from './deliveries.js';
import { deliveryPage } from './delivery.js';
import { streamsPage } from './streams.js';

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
    session = await api.get('/dashboard/session');
    api.setCsrf(session.csrf);
  } catch {
    session = null;
  }
  return session;
}

function showChrome(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('account').hidden = !signedIn;
  fill(document.getElementById('account-id'), signedIn ? `Account ${session.accountId}` : '');
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

  if (page !== 'login' && !session && !(await loadSession())) {
    if (seq === routing) go('#/login');
    return;
  }
  if (seq !== routing) return;
  if (page === 'login') {
    session = null;
    showChrome(false);
    document.title = 'Sign in · hookcast';
    current = loginPage(main, { onSignedIn });
    return;
  }
  showChrome(true);
  const ctx = { go, query, param, session };
  const pages = {
    webhooks: () => webhooksPage(main, ctx),
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
  session = info;
  api.setCsrf(info.csrf);
  go('#/webhooks');
}

async function logout() {
  try {
    await api.post('/dashboard/logout');
  } catch (err) {
    showError(err);
    return;
  }
  session = null;
  api.setCsrf('');
  go('#/login');
  announce('You are signed out.');
}

api.whenSignedOut(() => {
  session = null;
  if (parseHash().page !== 'login') go('#/login');
});
document.getElementById('logout').addEventListener('click', logout);
window.addEventListener('hashchange', route);
route();
