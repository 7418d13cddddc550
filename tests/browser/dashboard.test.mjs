// Real-browser test of the hookcast dashboard: headless Debian chromium driven by
// playwright-core (which never downloads a browser). Run by
// internal/dashboard/browser_test.go, which starts a real hookcast server and a
// real receiver and passes:
//
//   BASE_URL      the server, e.g. http://127.0.0.1:41234
//   API_SECRET    an API secret of the account
//   RECEIVER_URL  a receiver that answers 200 to any POST
//   INGEST_TOKEN  (optional) the ingest token, to make a live stream appear
//   ARTIFACTS     where screenshots and result.json go (default test-artifacts/)
//   DOCS_IMG      (optional) also write the main screenshots there (docs/img)
//   CHROMIUM      (optional) the browser, default /usr/bin/chromium
//
// Every wait is Playwright's auto-waiting (a locator that must appear) or a
// polled condition with a deadline; nothing sleeps a fixed time.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = need('BASE_URL');
const SECRET = need('API_SECRET');
const RECEIVER = need('RECEIVER_URL');
const INGEST_TOKEN = process.env.INGEST_TOKEN || '';
const ARTIFACTS = resolve(process.env.ARTIFACTS || join(here, '..', '..', 'test-artifacts'));
const DOCS_IMG = process.env.DOCS_IMG ? resolve(process.env.DOCS_IMG) : '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 15_000;

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (see the top of this file)`);
  return v.replace(/\/$/, '');
}

mkdirSync(ARTIFACTS, { recursive: true });

let browser;
let context;
let page;
const problems = []; // script errors and CSP violations seen in the page
const result = {}; // for the Go test: what the receiver must have got

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  // Nothing may leave for another origin: the dashboard is self-contained.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(BASE) || url.startsWith('data:')) return route.continue();
    problems.push(`request to another origin: ${url}`);
    return route.abort();
  });
  page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
});

after(async () => {
  writeFileSync(join(ARTIFACTS, 'result.json'), JSON.stringify(result, null, 2));
  if (browser) await browser.close();
});

// shot saves a screenshot of the page (the viewport: small, readable PNGs).
async function shot(name, { docs = false, p = page } = {}) {
  const file = join(ARTIFACTS, `${name}.png`);
  await p.screenshot({ path: file });
  if (docs && DOCS_IMG) {
    mkdirSync(DOCS_IMG, { recursive: true });
    copyFileSync(file, join(DOCS_IMG, `${name}.png`));
  }
}

// api calls the REST API directly with the API secret, to check what the
// dashboard did.
async function api(method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const env = await res.json();
  return { status: res.status, env };
}

// step runs one part of the walkthrough as a subtest. After a failure it keeps
// a screenshot, and the later steps are skipped (they build on the earlier ones).
let failed = false;
async function step(t, name, fn) {
  if (failed) {
    await t.test(name, { skip: 'an earlier step failed' }, () => {});
    return;
  }
  await t.test(name, async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      await page.screenshot({ path: join(ARTIFACTS, 'failure.png') }).catch(() => {});
      throw err;
    }
  });
}

const status = (text) => page.getByRole('status').filter({ hasText: text });
const card = (id) => page.locator(`article[data-webhook="${id}"]`);

let webhookId;
let goneId;

test('the dashboard, end to end', async (t) => {
  await step(t, 'sign in: a wrong secret is refused in plain words, the right one opens Webhooks', async () => {
    const res = await page.goto(`${BASE}/`);
    const csp = res.headers()['content-security-policy'] || '';
    assert.match(csp, /default-src 'self'/);
    // Only the origins of serve --portal-frame-ancestors may frame it.
    assert.match(csp, /frame-ancestors 'self' http:\/\/embed\.test:\d+$/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('API secret').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That API secret is not valid' }).waitFor();
    assert.equal(await page.getByLabel('API secret').getAttribute('aria-invalid'), 'true');
    await shot('01-sign-in');

    await page.getByLabel('API secret').fill(SECRET);
    await page.keyboard.press('Enter'); // the form submits from the keyboard
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'hookcast_session');
    assert.ok(session, 'session cookie set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
  });

  await step(t, 'create: a bad URL is explained and nothing is created; a good one is', async () => {
    await page.getByRole('button', { name: 'Create' }).click();
    const dialog = page.getByRole('dialog', { name: 'New webhook' });
    await dialog.waitFor();
    await dialog.getByLabel('Webhook URL').fill('ftp://example.com/hook');
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Webhook URL:' }).waitFor();
    assert.equal(await dialog.getByLabel('Webhook URL').getAttribute('aria-invalid'), 'true');
    const before = await api('GET', '/api/webhooks/list?itemCount=100');
    assert.equal(before.env.data.length, 0, 'a refused webhook was created');

    await dialog.getByLabel('Webhook URL').fill(`${RECEIVER}/hooks/first`);
    await dialog.getByRole('checkbox', { name: /^Feeds/ }).check();
    await dialog.getByRole('checkbox', { name: /^Transcoder/ }).check();
    await shot('02-create-dialog');
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    const msg = await status(/Webhook #\d+ created/).textContent();
    webhookId = Number(msg.match(/#(\d+)/)[1]);
    await card(webhookId).waitFor();
    const w = (await api('GET', `/api/webhooks/${webhookId}`)).env.data;
    assert.equal(w.url, `${RECEIVER}/hooks/first`);
    assert.equal(w.isFeedHooks, true);
    assert.equal(w.isTranscoderHooks, true);
    assert.equal(w.isMediaHooks, false);
  });

  await step(t, 'toggle: Media Disabled → Enabled, Transcoder Enabled → Disabled', async () => {
    await card(webhookId).getByRole('button', { name: 'Media Disabled' }).click();
    await card(webhookId).getByRole('button', { name: 'Media Enabled' }).waitFor();
    await card(webhookId).getByRole('button', { name: 'Transcoder Enabled' }).click();
    await card(webhookId).getByRole('button', { name: 'Transcoder Disabled' }).waitFor();
    // Focus stays on the switch just pressed, for keyboard users.
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Disabled');
    const w = (await api('GET', `/api/webhooks/${webhookId}`)).env.data;
    assert.equal(w.isMediaHooks, true);
    assert.equal(w.isTranscoderHooks, false);
  });

  await step(t, 'edit the URL: pen, then grey cancel (Escape) keeps it, green check mark saves', async () => {
    const c = card(webhookId);
    const pen = c.getByRole('button', { name: `Edit URL of webhook #${webhookId}` });
    await pen.click();
    const input = c.getByRole('textbox', { name: 'URL' });
    await input.fill(`${RECEIVER}/hooks/never`);
    await page.keyboard.press('Escape');
    await pen.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), `Edit URL of webhook #${webhookId}`);

    await pen.click();
    await input.fill(`${RECEIVER}/hooks/never`);
    await c.getByRole('button', { name: 'Cancel editing the URL' }).click();
    await c.getByText(`${RECEIVER}/hooks/first`).waitFor();

    await pen.click();
    await input.fill(`${RECEIVER}/hooks/edited`);
    await shot('03-edit-url');
    await c.getByRole('button', { name: 'Save URL' }).click();
    await status(`URL of webhook #${webhookId} changed`).waitFor();
    await c.getByText(`${RECEIVER}/hooks/edited`).waitFor();
    const w = (await api('GET', `/api/webhooks/${webhookId}`)).env.data;
    assert.equal(w.url, `${RECEIVER}/hooks/edited`);
  });

  await step(t, 'renew the secret: the warning says it cannot be undone; Cancel keeps it, Renew changes it', async () => {
    const c = card(webhookId);
    const old = (await api('GET', `/api/webhooks/${webhookId}`)).env.data.secret;
    await c.getByRole('button', { name: 'Show' }).click();
    await c.getByText(old).waitFor();

    await c.getByRole('button', { name: 'Renew' }).click();
    let dialog = page.getByRole('dialog', { name: `Renew the secret of webhook #${webhookId}?` });
    await dialog.getByText('This cannot be undone.').waitFor();
    await shot('04-renew-warning');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await api('GET', `/api/webhooks/${webhookId}`)).env.data.secret, old);

    await c.getByRole('button', { name: 'Renew' }).click();
    dialog = page.getByRole('dialog', { name: `Renew the secret of webhook #${webhookId}?` });
    await dialog.getByText('The old secret stays valid for a while').waitFor();
    await dialog.getByLabel('Keep the old secret valid for').selectOption('3600');
    await dialog.getByRole('button', { name: 'Renew secret' }).click();
    await status('was renewed').waitFor();
    const after = (await api('GET', `/api/webhooks/${webhookId}`)).env.data;
    const renewed = after.secret;
    assert.notEqual(renewed, old);
    // The overlap chosen in the dialog: the old secret is accepted for an hour.
    const left = Date.parse(after.previousSecretExpiresAt) - Date.now();
    assert.ok(left > 3500e3 && left <= 3600e3, `previousSecretExpiresAt ${after.previousSecretExpiresAt}`);
    await c.getByText('The previous secret is still accepted until').waitFor();
    await c.getByRole('button', { name: 'Show' }).click();
    await c.getByText(renewed).waitFor();
    result.webhookId = webhookId;
    result.path = '/hooks/edited';
    result.secret = renewed; // the receiver's signatures are checked with it
  });

  await step(t, 'filter, retry policy and limits are saved', async () => {
    const c = card(webhookId);
    await c.locator('summary', { hasText: 'Filter, retries and limits' }).click();
    await c.getByLabel('Stream name filter').fill('^(sample|studio)');
    await c.getByLabel('Retry policy').selectOption('none');
    assert.equal(await c.getByLabel('Requests in flight at once').inputValue(), '4');
    await c.getByLabel('Requests in flight at once').fill('2');
    await c.getByLabel('Requests per second').fill('5');
    await c.getByRole('button', { name: 'Save settings' }).click();
    await status('saved').waitFor();
    const w = (await api('GET', `/api/webhooks/${webhookId}`)).env.data;
    assert.equal(w.filter, '^(sample|studio)');
    assert.equal(w.retryPolicy, 'none');
    assert.equal(w.maxConcurrency, 2);
    assert.equal(w.maxPerSecond, 5);
    // A bad regular expression is refused with the API's reason, in words.
    await c.getByLabel('Stream name filter').fill('(');
    await c.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Stream name filter:' }).waitFor();
    assert.equal((await api('GET', `/api/webhooks/${webhookId}`)).env.data.filter, '^(sample|studio)');
    await page.getByRole('button', { name: 'Dismiss message' }).click();
  });

  await step(t, 'custom headers are saved and shown masked; a forbidden one is refused', async () => {
    const c = card(webhookId);
    await c.locator('summary', { hasText: 'Custom headers' }).click();
    await c.getByLabel('Custom headers').fill('X-Tenant: studio-7\nAuthorization: Bearer 0123456789abcdef');
    await c.getByRole('button', { name: 'Save headers' }).click();
    await status('Headers of webhook').waitFor();
    const w = (await api('GET', `/api/webhooks/${webhookId}`)).env.data;
    assert.deepEqual(w.headers, { 'X-Tenant': '••••••••', Authorization: '••••••••cdef' });
    await shot('05-custom-headers');
    // Shown masked in the card too (the section stays open after saving); saving
    // it unchanged keeps the values.
    const d = card(webhookId);
    assert.equal(await d.getByLabel('Custom headers').inputValue(), 'Authorization: ••••••••cdef\nX-Tenant: ••••••••');
    await d.getByLabel('Custom headers').fill('Authorization: ••••••••cdef\nX-Tenant: ••••••••\nX-Millicast-Signature: forged');
    await d.getByRole('button', { name: 'Save headers' }).click();
    await page.getByRole('alert').filter({ hasText: 'cannot be replaced' }).waitFor();
    await page.getByRole('button', { name: 'Dismiss message' }).click();
    await d.getByLabel('Custom headers').fill('Authorization: ••••••••cdef\nX-Tenant: ••••••••');
    await d.getByRole('button', { name: 'Save headers' }).click();
    await status('Headers of webhook').waitFor();
  });

  await step(t, 'send a test event; it shows in Deliveries as succeeded', async () => {
    await page.getByLabel('Send a test event of type').selectOption('Feeds');
    await page.getByRole('button', { name: 'Send test' }).click();
    await status('Test Feeds event sent').waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.getByRole('heading', { name: 'Deliveries', level: 1 }).waitFor();
    // The log refreshes by itself every 2 s: wait for the outcome, no reload.
    const row = page.locator('#delivery-table tbody tr').filter({ hasText: 'feeds.started' }).filter({ hasText: 'Succeeded' });
    await row.first().waitFor();
    assert.match(await row.first().textContent(), /200/);
    await shot('deliveries-first');

    // Filters narrow the log (and land in the address).
    await page.getByLabel('Outcome').selectOption('failed');
    await page.getByText('No deliveries match these filters.').waitFor();
    assert.match(page.url(), /state=failed/);
    await page.getByLabel('Outcome').selectOption('succeeded');
    await row.first().waitFor();
    result.deliveryId = Number((await row.first().getAttribute('data-delivery')));
  });

  await step(t, 'the delivery detail shows body, headers and attempts; Resend sends it again', async () => {
    await page.locator(`#delivery-table a[href="#/deliveries/${result.deliveryId}"]`).click();
    await page.getByRole('heading', { name: `Delivery #${result.deliveryId}` }).waitFor();
    await page.locator('#event-body').filter({ hasText: '"type": "feeds"' }).waitFor();
    await page.locator('#header-table').filter({ hasText: 'webhook-id' }).waitFor();
    const attempts = page.locator('#attempt-table tbody tr');
    await attempts.first().filter({ hasText: '200' }).waitFor();
    await shot('delivery-detail-first'); // docs/img/delivery-detail.png: health.test.mjs
    await page.getByRole('button', { name: 'Show as sent' }).click();
    await page.locator('#event-body').filter({ hasText: '{"type":"feeds"' }).waitFor();

    await page.getByRole('button', { name: 'Resend' }).click();
    await status(`Delivery #${result.deliveryId} will be sent again`).waitFor();
    // The detail keeps looking while the delivery is pending.
    await attempts.nth(1).filter({ hasText: '200' }).waitFor();
    result.resent = true;
  });

  await step(t, 'an endpoint that answers 410 Gone is shown disabled with its reason; Re-enable lifts it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    const dialog = page.getByRole('dialog', { name: 'New webhook' });
    await dialog.getByLabel('Webhook URL').fill(`${RECEIVER}/gone/hook`);
    await dialog.getByRole('checkbox', { name: /^Feeds/ }).uncheck();
    await dialog.getByRole('checkbox', { name: /^Thumbnail/ }).check();
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    const msg = await status(/Webhook #\d+ created/).textContent();
    goneId = Number(msg.match(/#(\d+)/)[1]);
    result.gonePath = '/gone/hook';

    await page.getByLabel('Send a test event of type').selectOption('Thumbnail');
    await page.getByRole('button', { name: 'Send test' }).click();
    await status('Test Thumbnail event sent').waitFor();
    // The failed delivery shows in the log; the same commit disabled the webhook.
    await page.goto(`${BASE}/#/deliveries?webhookId=${goneId}`);
    const row = page.locator('#delivery-table tbody tr').filter({ hasText: 'Failed' }).filter({ hasText: '410' });
    await row.first().waitFor();
    await row.first().locator('a').click();
    await page.getByRole('img', { name: 'The thumbnail image that was sent' }).waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    const c = card(goneId);
    await c.getByText('410 Gone').waitFor();
    await c.locator('.badge', { hasText: 'Disabled' }).waitFor();
    await shot('webhooks-gone'); // docs/img/webhooks.png: health.test.mjs
    assert.equal((await api('GET', `/api/webhooks/${goneId}`)).env.data.disabled.reason, '410 Gone');
    await c.getByRole('button', { name: 'Re-enable' }).click();
    await status(`Webhook #${goneId} is enabled again`).waitFor();
    await c.locator('.badge', { hasText: 'Active' }).waitFor();
    assert.equal((await api('GET', `/api/webhooks/${goneId}`)).env.data.disabled, null);
  });

  await step(t, 'the log shows every outcome: the resend and the 410 failure too', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deliveries' }).click();
    const rows = page.locator('#delivery-table tbody tr');
    await rows.filter({ hasText: 'Failed' }).filter({ hasText: '410' }).waitFor();
    await rows.filter({ hasText: 'feeds.started' }).filter({ hasText: 'Succeeded' }).filter({ has: page.locator('.attempts', { hasText: /^2 attempts$/ }) }).waitFor();
    await shot('deliveries-all'); // docs/img/deliveries.png: health.test.mjs
  });

  await step(t, 'Recover failed since…: the 410 webhook\'s failed thumbnail is sent again, nothing else', async () => {
    await page.getByRole('button', { name: 'Recover failed since…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Recover failed deliveries' });
    await dialog.getByLabel('Webhook').selectOption(String(goneId));
    await shot('recover-dialog');
    await dialog.getByRole('button', { name: 'Send them again' }).click();
    await status('1 delivery sent again').waitFor();
    // Sent again to the endpoint, which answers 410 again: two attempts now.
    const rows = page.locator('#delivery-table tbody tr');
    await rows.filter({ hasText: 'Failed' }).filter({ hasText: '410' }).filter({ has: page.locator('.attempts', { hasText: /^2 attempts$/ }) }).waitFor();
    // The main webhook had no failure: nothing to recover there.
    await page.getByRole('button', { name: 'Recover failed since…' }).click();
    await dialog.getByLabel('Webhook').selectOption(String(result.webhookId));
    await dialog.getByRole('button', { name: 'Send them again' }).click();
    await status('Nothing to recover').waitFor();
  });

  await step(t, 'streams: live state arrives over server-sent events', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Streams' }).click();
    await page.getByRole('heading', { name: 'Streams', level: 1 }).waitFor();
    await page.locator('#conn-state').filter({ hasText: 'Live' }).waitFor();
    if (!INGEST_TOKEN) {
      await shot('streams', { docs: true });
      return;
    }
    const signal = async (s) => {
      const res = await fetch(`${BASE}/api/ingest/signals`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${INGEST_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(s),
      });
      assert.equal(res.status, 200, `ingest answered ${res.status}: ${await res.text()}`);
    };
    const me = (await (await page.request.get(`${BASE}/dashboard/session`)).json()).data.accountId;
    await signal([
      { kind: 'feed.started', accountId: me, name: 'lobby-cam', feedId: 'feed-main', priority: 1, sourceId: 'main' },
      { kind: 'feed.started', accountId: me, name: 'lobby-cam', feedId: 'feed-backup', sourceId: 'backup' },
      { kind: 'viewer.connected', accountId: me, name: 'lobby-cam', viewerId: 'v1' },
    ]);
    const stream = page.locator('#stream-list article').filter({ hasText: 'lobby-cam' });
    await stream.filter({ hasText: '1 viewer' }).filter({ hasText: 'feed-backup' }).waitFor();
    await signal({ kind: 'viewer.connected', accountId: me, name: 'lobby-cam', viewerId: 'v2' });
    await stream.filter({ hasText: '2 viewers' }).waitFor(); // pushed, not reloaded
    await page.locator('#event-table').filter({ hasText: 'feeds.started' }).waitFor();
    await shot('streams', { docs: true });
  });

  await step(t, 'a phone-sized screen shows the same page, readable', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true,
      storageState: await context.storageState(),
    });
    const p = await phone.newPage();
    await p.goto(`${BASE}/#/webhooks`);
    await p.locator(`article[data-webhook="${webhookId}"]`).waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await shot('webhooks-phone', { p });
    await phone.close();
  });

  await step(t, 'delete: the trash can asks first; Delete removes the webhook', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    for (const id of [webhookId, goneId]) {
      const c = card(id);
      await c.getByRole('button', { name: `Delete webhook #${id}` }).click();
      const dialog = page.getByRole('dialog', { name: `Delete webhook #${id}?` });
      await dialog.getByText('This cannot be undone.').waitFor();
      if (id === webhookId) {
        await shot('05-delete-confirm');
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        await dialog.waitFor({ state: 'hidden' });
        assert.equal((await api('GET', `/api/webhooks/${id}`)).status, 200, 'Cancel deleted the webhook');
        await c.getByRole('button', { name: `Delete webhook #${id}` }).click();
      }
      await dialog.getByRole('button', { name: 'Delete webhook' }).click();
      await status(`Webhook #${id} deleted`).waitFor();
      await c.waitFor({ state: 'detached' });
      assert.equal((await api('GET', `/api/webhooks/${id}`)).status, 404);
    }
    await page.getByText('No webhooks yet.').waitFor();
  });

  await step(t, 'sign out ends the session', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const res = await page.request.get(`${BASE}/dashboard/session`);
    assert.equal(res.status(), 401);
  });

  await step(t, 'no script errors, no CSP violations, nothing fetched from elsewhere', () => {
    assert.deepEqual(problems, []);
  });
});
