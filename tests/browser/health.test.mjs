// Real-browser test of the dashboard's health view, delivery log layout and
// portal links (issue 17), in its own account: headless Debian chromium driven
// by playwright-core. Run by internal/dashboard/browser_test.go after
// dashboard.test.mjs, with the same variables (see that file) and:
//
//   ADMIN_TOKEN    the admin token (to make the account and portal links)
//   EMBED_ALLOWED  a page of another site that frames ?src= and that serve lets
//                  frame the dashboard (--portal-frame-ancestors)
//   EMBED_OTHER    the same page on a site it does not let
//
// Both embedders are http://<name>.test:<port>; Chromium is told to resolve
// *.test to 127.0.0.1, so they are other sites than the dashboard's.
//
// Every wait is Playwright's auto-waiting or a polled condition with a
// deadline; nothing sleeps a fixed time.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, copyFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = need('BASE_URL');
const ADMIN = need('ADMIN_TOKEN');
const RECEIVER = need('RECEIVER_URL');
const EMBED_ALLOWED = need('EMBED_ALLOWED');
const EMBED_OTHER = need('EMBED_OTHER');
const ARTIFACTS = resolve(process.env.ARTIFACTS || join(here, '..', '..', 'test-artifacts'));
const DOCS_IMG = process.env.DOCS_IMG ? resolve(process.env.DOCS_IMG) : '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 20_000;
// FRAME_REFUSED is how Chromium says it kept a page out of a frame (the
// wording has changed across versions).
const FRAME_REFUSED = /Refused to frame|Framing '[^']*' violates the following Content Security Policy directive: "frame-ancestors/;
const SUCCEEDED = 30;
const FAILED = 10;

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (see the top of this file)`);
  return v.replace(/\/$/, '');
}

mkdirSync(ARTIFACTS, { recursive: true });

let browser;
const problems = [];
let secret; // the API secret of this test's account
let account;
let okHook;
let badHook;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP *.test 127.0.0.1'],
  });
});

after(async () => {
  let i = 0;
  for (const p of open) await p.screenshot({ path: join(ARTIFACTS, `health-failure-${i++}.png`) }).catch(() => {});
  if (browser) await browser.close();
});

// newPage opens a page in a new context of the given size, collecting script
// errors and CSP violations (but for the refusal to frame, which one step expects).
async function newPage(viewport = { width: 1280, height: 800 }, opts = {}) {
  const context = await browser.newContext({ viewport, ...opts });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  open.add(page);
  context.on('close', () => open.delete(page));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to/i.test(text) && !FRAME_REFUSED.test(text)) problems.push(`console: ${text}`);
  });
  return { context, page };
}

async function shot(page, name, docs = false) {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  if (docs && DOCS_IMG) {
    mkdirSync(DOCS_IMG, { recursive: true });
    copyFileSync(file, join(DOCS_IMG, `${name}.png`));
  }
}

async function call(method, path, token, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, env: await res.json() };
}

// until polls fn until it returns a truthy value, or fails after the deadline.
async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200)); // a poll interval, not a wait for an event
  }
}

async function signIn(page) {
  await page.goto(`${BASE}/#/login`);
  await page.getByLabel('API secret').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
}

// noOverflow asserts nothing on the page is wider than the window.
async function noOverflow(page, what) {
  const { doc, table } = await page.evaluate(() => {
    const wrap = document.querySelector('#delivery-table').parentElement;
    return {
      doc: document.documentElement.scrollWidth - window.innerWidth,
      table: wrap.scrollWidth - wrap.clientWidth,
    };
  });
  assert.ok(doc <= 0, `${what}: the page is ${doc}px wider than the window`);
  assert.ok(table <= 0, `${what}: the log is ${table}px wider than its box`);
}

// Pages still open when a step fails, for its screenshot.
const open = new Set();

test('health, delivery log and portal', async (t) => {
  await t.test(`a run with known outcomes: ${SUCCEEDED} succeeded, ${FAILED} refused with 400`, async () => {
    const made = await call('POST', '/api/admin/accounts', ADMIN, { name: 'Health test' });
    assert.equal(made.status, 200, JSON.stringify(made.env));
    ({ accountId: account, apiSecret: secret } = made.env.data);
    okHook = (await call('POST', '/api/webhooks', secret, { url: `${RECEIVER}/health/ok`, isFeedHooks: true })).env.data.id;
    badHook = (await call('POST', '/api/webhooks', secret,
      { url: `${RECEIVER}/health/bad/hook`, isFeedHooks: false, isTranscoderHooks: true })).env.data.id;
    assert.ok(okHook && badHook);
    for (let i = 0; i < SUCCEEDED; i++) assert.equal((await call('POST', '/api/webhooks/test/Feeds', secret)).status, 200);
    for (let i = 0; i < FAILED; i++) assert.equal((await call('POST', '/api/webhooks/test/Transcoder', secret)).status, 200);
    const stats = await until('the run to finish', async () => {
      const s = (await call('GET', '/api/stats?window=hour', secret)).env.data;
      return s.account.succeeded === SUCCEEDED && s.account.failed === FAILED && s.account.backlog.pending === 0 ? s : null;
    });
    assert.equal(stats.account.successRate, 0.75);
    assert.equal(stats.account.attempts, SUCCEEDED + FAILED);
    assert.ok(stats.account.latencyMs.p50 > 0 && stats.account.latencyMs.p99 >= stats.account.latencyMs.p50);
  });

  await t.test('Webhooks: each card draws its last hour and says its success rate', async () => {
    const { context, page } = await newPage();
    await signIn(page);
    const ok = page.locator(`article[data-webhook="${okHook}"] svg.chart`);
    const bad = page.locator(`article[data-webhook="${badHook}"] svg.chart`);
    await ok.waitFor();
    assert.equal(await ok.getAttribute('data-succeeded'), String(SUCCEEDED));
    assert.equal(await ok.getAttribute('data-failed'), '0');
    assert.equal(await bad.getAttribute('data-failed'), String(FAILED));
    assert.equal(await bad.getAttribute('data-succeeded'), '0');
    await page.locator(`article[data-webhook="${okHook}"] .rate`, { hasText: '100 % succeeded' }).waitFor();
    await page.locator(`article[data-webhook="${badHook}"] .rate`, { hasText: '0 % succeeded' }).waitFor();
    await shot(page, 'webhooks', true);
    await context.close();
  });

  await t.test('Health: the account figures and the chart are the run\'s numbers', async () => {
    const { context, page } = await newPage();
    await signIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Health' }).click();
    await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor();
    const fig = (name) => page.locator(`#figures-account dd[data-figure="${name}"]`);
    await fig('Success rate').filter({ hasText: '75 %' }).waitFor();
    assert.equal(await fig('Succeeded').textContent(), String(SUCCEEDED));
    assert.equal(await fig('Failed').textContent(), String(FAILED));
    assert.equal(await fig('Pending now').textContent(), '0');
    assert.match(await fig('Latency p50').textContent(), /\d+(\.\d)? ms|s$/);
    // What is drawn: the bars of each outcome add up to the run.
    const drawn = await page.locator('#health-summary svg.chart').evaluate((svg) => {
      const sum = {};
      for (const r of svg.querySelectorAll('rect.bar')) {
        sum[r.dataset.outcome] = (sum[r.dataset.outcome] || 0) + Number(r.dataset.n);
        if (!(Number(r.getAttribute('height')) > 0)) sum.invisible = (sum.invisible || 0) + 1;
      }
      return { sum, label: svg.getAttribute('aria-label') };
    });
    assert.deepEqual(drawn.sum, { succeeded: SUCCEEDED, failed: FAILED });
    assert.match(drawn.label, new RegExp(`${SUCCEEDED} succeeded, ${FAILED} failed`));
    await page.locator(`#health-webhooks article[data-webhook="${badHook}"] dd[data-figure="Success rate"]`, { hasText: '0 %' }).waitFor();
    // "Since when not": the webhook that only failed says so; the healthy one does not.
    await page.locator(`#health-webhooks article[data-webhook="${badHook}"] .failing`, { hasText: 'no success in this period' }).waitFor();
    assert.equal(await page.locator(`#health-webhooks article[data-webhook="${okHook}"] .failing`).count(), 0);
    await shot(page, 'health', true);
    await page.getByLabel('Period').selectOption('week');
    await page.locator('#health-summary h2', { hasText: 'last 7 days' }).waitFor();
    assert.equal(await fig('Succeeded').textContent(), String(SUCCEEDED));
    await context.close();
  });

  await t.test('Deliveries fits at 1280×800 and 390×844; a 400 says why, in words', async () => {
    const { context, page } = await newPage({ width: 1280, height: 800 });
    await signIn(page);
    await page.goto(`${BASE}/#/deliveries`);
    const failed = page.locator('#delivery-table tbody tr').filter({ hasText: 'Failed' }).first();
    await failed.waitFor();
    await noOverflow(page, '1280×800');
    const err = failed.locator('.error-text');
    const full = await err.getAttribute('title');
    assert.match(full, /^HTTP 400 Bad Request: \{"error":"missing field streamId"/);
    // Cut to two lines in the log; the whole text in its title and the detail.
    const box = await err.evaluate((el) => ({ shown: el.clientHeight, whole: el.scrollHeight, line: parseFloat(getComputedStyle(el).lineHeight) }));
    assert.ok(box.shown <= 2.5 * box.line && box.whole > box.shown, `error box ${JSON.stringify(box)}`);
    await failed.locator('.why', { hasText: 'Not retried: 400 is a refusal' }).waitFor();
    const created = failed.locator('th time');
    assert.match(await created.textContent(), /ago|now/);
    assert.match(await created.getAttribute('title'), /\d{4}/);
    await shot(page, 'deliveries', true);

    await failed.locator('a').first().click();
    await page.locator('#last-error').filter({ hasText: 'the receiver explains at length' }).waitFor();
    assert.equal(await page.locator('#last-error').textContent(), full);
    await page.locator('#why-final', { hasText: 'means the receiver refused the request' }).waitFor();
    await shot(page, 'delivery-detail', true);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/#/deliveries`);
    await page.locator('#delivery-table tbody tr').filter({ hasText: 'Failed' }).first().waitFor();
    await noOverflow(page, '390×844');
    await shot(page, 'deliveries-phone');
    await page.goto(`${BASE}/#/health`);
    await page.locator('#figures-account dd[data-figure="Failed"]', { hasText: String(FAILED) }).waitFor();
    const wider = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(wider <= 0, `the Health page is ${wider}px wider than the phone`);
    await shot(page, 'health-phone');
    await context.close();
  });

  await t.test('banners: an error replaces a success message, and a new page clears it', async () => {
    const { context, page } = await newPage();
    await signIn(page);
    await page.getByRole('button', { name: 'Send test' }).click();
    const status = page.locator('#status.show');
    await status.filter({ hasText: 'event sent' }).waitFor();
    const c = page.locator(`article[data-webhook="${okHook}"]`);
    await c.getByRole('button', { name: `Edit URL of webhook #${okHook}` }).click();
    await c.getByRole('textbox', { name: 'URL' }).fill('ftp://nope.example.com/');
    await c.getByRole('button', { name: 'Save URL' }).click();
    await page.locator('#alert.show').waitFor();
    assert.equal(await status.count(), 0, 'the success message stayed beside the error');
    await page.getByRole('button', { name: 'Send test' }).click();
    await status.waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.getByRole('heading', { name: 'Deliveries', level: 1 }).waitFor();
    assert.equal(await status.count(), 0, 'the message of the Webhooks page followed to Deliveries');
    await context.close();
  });

  await t.test('a read-only portal link signs in once, shows the webhooks, offers and takes no change', async () => {
    const link = await call('POST', `/api/admin/accounts/${account}/portal`, ADMIN, { readOnly: true, ttlSeconds: 600 });
    assert.equal(link.status, 200, JSON.stringify(link.env));
    assert.ok(link.env.data.url.startsWith(`${BASE}/#/portal/`));
    const { context, page } = await newPage();
    await page.goto(link.env.data.url);
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.locator(`article[data-webhook="${okHook}"]`).waitFor();
    assert.ok(!page.url().includes('portal'), 'the token stayed in the address');
    await page.locator('#account-id', { hasText: '(read-only)' }).waitFor();
    for (const name of ['Create', 'Send test', `Delete webhook #${okHook}`, `Edit URL of webhook #${okHook}`, 'Renew']) {
      assert.equal(await page.getByRole('button', { name }).filter({ visible: true }).count(), 0, `"${name}" is offered`);
    }
    assert.equal(await page.locator(`article[data-webhook="${okHook}"] button.toggle`).first().isDisabled(), true);
    // The server refuses a change all the same, with the session's CSRF token.
    const refused = await page.evaluate(async (id) => {
      const s = await (await fetch('/dashboard/session')).json();
      const res = await fetch(`/api/webhooks/${id}`, {
        method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.data.csrf },
        body: JSON.stringify({ url: 'https://changed.example.com/' }),
      });
      return { status: res.status, readOnly: s.data.readOnly };
    }, okHook);
    assert.deepEqual(refused, { status: 403, readOnly: true });
    assert.equal((await call('GET', `/api/webhooks/${okHook}`, secret)).env.data.url, `${RECEIVER}/health/ok`);
    await shot(page, 'portal-read-only');

    // Used once: the same link again opens nothing.
    const again = await newPage();
    await again.page.goto(link.env.data.url);
    await again.page.getByRole('heading', { name: 'This link does not work any more' }).waitFor();
    await again.context.close();
    await context.close();
  });

  await t.test('a portal link loads in a frame of an allowed site, not of another', async () => {
    const mk = async () => (await call('POST', `/api/admin/accounts/${account}/portal`, ADMIN, {})).env.data.url;
    const { context, page } = await newPage({ width: 1280, height: 900 });
    await page.goto(`${EMBED_ALLOWED}/?src=${encodeURIComponent(await mk())}`);
    const frame = page.frameLocator('#portal');
    await frame.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await frame.locator(`article[data-webhook="${okHook}"]`).waitFor();
    // The session works inside the frame: the Health page loads its numbers
    // (the banners step sent more successes since; the failures are the run's).
    await frame.getByRole('link', { name: 'Health' }).click();
    await frame.locator('#figures-account dd[data-figure="Failed"]', { hasText: String(FAILED) }).waitFor();
    await shot(page, 'portal-framed');

    const refusedMsg = page.waitForEvent('console', { predicate: (m) => FRAME_REFUSED.test(m.text()), timeout: TIMEOUT });
    await page.goto(`${EMBED_OTHER}/?src=${encodeURIComponent(await mk())}`);
    const msg = await refusedMsg;
    assert.match(msg.text(), /frame-ancestors/);
    const inner = page.frames().find((f) => f !== page.mainFrame());
    assert.ok(!inner || !inner.url().startsWith(BASE) || (await inner.locator('h1').count()) === 0, 'the dashboard rendered in a frame of another site');
    await context.close();
  });

  await t.test('no script errors, no CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
