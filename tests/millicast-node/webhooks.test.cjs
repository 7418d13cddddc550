// Dolby's official Node REST client (@dolbyio/dolbyio-rest-apis-client, as
// published on npm), unchanged, against a real `hookcast serve`: every function
// of its streaming webhooks module, with every option it has. The client speaks
// only to https://api.millicast.com:443; internal/server/millicast_node_test.go
// runs this file with that name resolved to its TLS front (resolve.cjs) and the
// front's certificate trusted (NODE_EXTRA_CA_CERTS), then checks, on its side,
// the test event the receiver got.
//
// Environment: API_SECRET (the account's), RECEIVER_URL (a receiver the webhooks
// point at), RESULT (where to write what the Go side checks).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { streaming, urls } = require('@dolbyio/dolbyio-rest-apis-client');
const { sendPost } = require('@dolbyio/dolbyio-rest-apis-client/dist/streaming/internal/httpHelpers');

const webhooks = streaming.webhooks;
const secret = process.env.API_SECRET;
const receiver = process.env.RECEIVER_URL;
const streamName = 'node_stream';

const ids = (list) => list.map((w) => w.id);

// test() is on the client's GitHub main, not yet in 5.0.1. Until it is
// published, send the request it builds (src/streaming/webhooks.ts: POST
// /api/webhooks/test/{webhookType} with {streamName, transcoderName}) through the
// client's own request helper; once published, call it.
async function sendTest(webhookType, testRequest) {
  if (typeof webhooks.test === 'function') {
    return webhooks.test(secret, { webhookType, ...testRequest });
  }
  return sendPost({
    hostname: urls.getRtsHostname(),
    path: `/api/webhooks/test/${webhookType}`,
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${secret}`,
    },
    body: JSON.stringify({ streamName: testRequest.streamName, transcoderName: testRequest.transcoderName }),
  });
}

test('the client is the one this test drives', () => {
  assert.equal(urls.getRtsHostname(), 'api.millicast.com');
  const driven = ['add', 'list', 'read', 'remove', 'update', 'test'];
  for (const name of Object.keys(webhooks)) {
    assert.ok(driven.includes(name), `webhooks.${name} is a function of the client this test does not drive`);
  }
});

test('every webhooks function against hookcast', async () => {
  assert.ok(secret && receiver && process.env.RESULT, 'API_SECRET, RECEIVER_URL and RESULT are required');

  // add (POST /api/webhooks/, with the trailing slash and isClipHooks).
  const main = await webhooks.add(secret, {
    url: `${receiver}/first`,
    isFeedHooks: true,
    isRecordingHooks: false,
    isThumbnailHooks: false,
    isTranscoderHooks: true,
    isClipHooks: true,
  });
  assert.equal(typeof main.id, 'number');
  assert.equal(main.url, `${receiver}/first`);
  assert.equal(Buffer.from(main.secret, 'base64').length, 32, `secret ${main.secret}`);
  assert.equal(main.isFeedHooks, true);
  assert.equal(main.isRecordingHooks, false);
  assert.equal(main.isThumbnailHooks, false);
  assert.equal(main.isTranscoderHooks, true);
  assert.equal(main.isClipHooks, true);
  const extras = [];
  for (let i = 0; i < 3; i++) {
    // Only the required members, as the client's AddWebhookRequest allows.
    extras.push(await webhooks.add(secret, { url: `${receiver}/extra${i}`, isFeedHooks: false, isRecordingHooks: true }));
  }
  assert.equal(extras[0].isClipHooks, false);
  const all = [main.id, ...ids(extras)];

  // read
  assert.deepEqual(await webhooks.read(secret, main.id), main);

  // list, with every option of ListWebhooksRequest and their combinations.
  const lists = [
    [{}, all],
    [{ itemCount: 2 }, all.slice(0, 2)],
    [{ startingId: all[2] }, all.slice(2)],
    [{ startingId: all[1], itemCount: 2 }, all.slice(1, 3)],
    [{ isDescending: true }, [...all].reverse()],
    [{ isDescending: false }, all],
    [{ startingId: all[2], itemCount: 2, isDescending: true }, [all[2], all[1]]],
    [{ itemCount: 1, isDescending: true }, [all[3]]],
  ];
  for (const [request, want] of lists) {
    assert.deepEqual(ids(await webhooks.list(secret, request)), want, `list(${JSON.stringify(request)})`);
  }
  assert.deepEqual((await webhooks.list(secret, { itemCount: 1 }))[0], main);

  // update: url and types; isClipHooks too; what is not given stays.
  const updated = await webhooks.update(secret, main.id, {
    url: `${receiver}/second`,
    isThumbnailHooks: true,
    isClipHooks: false,
  });
  assert.deepEqual(updated, { ...main, url: `${receiver}/second`, isThumbnailHooks: true, isClipHooks: false });
  assert.deepEqual(await webhooks.read(secret, main.id), updated);

  // update with refreshSecret: a new signing secret, nothing else changed.
  const renewed = await webhooks.update(secret, main.id, { refreshSecret: true });
  assert.notEqual(renewed.secret, updated.secret);
  assert.deepEqual({ ...renewed, secret: updated.secret, previousSecretExpiresAt: updated.previousSecretExpiresAt }, updated);

  // test: a feeds sample naming our stream, to the one feeds webhook.
  assert.equal(await sendTest('Feeds', { streamName }), true);

  // remove: gone from read and list, the others stay.
  assert.equal(await webhooks.remove(secret, extras[0].id), true);
  await assert.rejects(webhooks.read(secret, extras[0].id), /response code 404/);
  await assert.rejects(webhooks.remove(secret, extras[0].id), /response code 404/);
  assert.deepEqual(ids(await webhooks.list(secret, {})), all.filter((id) => id !== extras[0].id));

  // A wrong secret is refused, as Millicast refuses it.
  await assert.rejects(webhooks.list('not-the-secret', {}), /response code 401/);

  fs.writeFileSync(
    process.env.RESULT,
    JSON.stringify({ webhookId: main.id, secret: renewed.secret, path: '/second', streamName }),
  );
});
