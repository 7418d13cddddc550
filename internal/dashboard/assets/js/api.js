// The one way pages talk to the server: same-origin fetch with the session
// cookie, the CSRF token on every change, and the API's envelopes turned into
// values or into errors worded for people.

let csrf = '';
let readOnly = false;
let onSignedOut = () => {};

export function setCsrf(token) { csrf = token || ''; }
// setReadOnly records that the session may only read (a read-only portal
// link): the server refuses changes with 403, said here in plain words.
export function setReadOnly(on) { readOnly = Boolean(on); }
export function whenSignedOut(fn) { onSignedOut = fn; }

// Names people know the API's fields by, for "fail" answers.
const FIELD_NAMES = {
  url: 'Webhook URL',
  filter: 'Stream name filter',
  retryPolicy: 'Retry policy',
  maxConcurrency: 'Requests in flight at once',
  maxPerSecond: 'Requests per second',
  apiSecret: 'API secret',
  webhookId: 'Webhook',
  eventType: 'Event type',
  state: 'Outcome',
  since: 'Since',
  beforeId: 'Page',
  limit: 'Page size',
  webhookType: 'Event type',
  isFeedHooks: 'Feeds',
};

export class ApiError extends Error {
  constructor(message, status, fields) {
    super(message);
    this.status = status;
    this.fields = fields || null;
  }
}

function sentence(s) {
  s = String(s || '').trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

// describeFail words a 400's field reasons: "Webhook URL: must use https."
export function describeFail(fields) {
  return Object.entries(fields)
    .map(([f, reason]) => `${FIELD_NAMES[f] || f}: ${sentence(reason)}`)
    .join(' ');
}

// call sends one request and returns the data of a success envelope.
export async function call(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET' && method !== 'HEAD') opts.headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch {
    throw new ApiError('Cannot reach the hookcast server. Check that it is running, then try again.', 0);
  }
  let env = null;
  try { env = await res.json(); } catch { /* not JSON: described below */ }
  if (res.ok && env && env.status === 'success') return env.data;
  if (res.status === 403 && readOnly) {
    throw new ApiError('This view is read-only: changes are not allowed here.', 403);
  }
  if (res.status === 401 && !path.startsWith('/dashboard/login') && !path.startsWith('/dashboard/portal')) {
    onSignedOut();
    throw new ApiError('Your sign-in has ended. Please sign in again.', 401);
  }
  if (env && env.status === 'fail' && env.data && typeof env.data === 'object') {
    throw new ApiError(`Please check: ${describeFail(env.data)}`, res.status, env.data);
  }
  if (env && env.message) {
    let msg = sentence(env.message);
    if (res.status === 404) msg += ' It may have been deleted; reload the page.';
    if (res.status >= 500) msg = `The server had a problem: ${msg}`;
    throw new ApiError(msg, res.status);
  }
  throw new ApiError(`The server answered ${res.status} ${res.statusText}`.trim() + '.', res.status);
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const put = (path, body) => call('PUT', path, body);
export const del = (path) => call('DELETE', path);

// query builds "?a=1&b=2" from the set values of an object.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// The six webhook types: API field, name in POST /api/webhooks/test/{type}, the
// payload type in deliveries, and what they are about.
export const HOOK_TYPES = [
  { field: 'isFeedHooks', test: 'Feeds', type: 'feeds', label: 'Feeds',
    about: 'a publisher started or stopped a stream' },
  { field: 'isViewerConnectionHooks', test: 'ViewerConnection', type: 'viewerConnection', label: 'ViewerConnection',
    about: 'viewers want a stream that is off, or nobody watches any more' },
  { field: 'isMediaHooks', test: 'Media', type: 'media', label: 'Media',
    about: 'clips and recordings: processing, completed, errored, deleted' },
  { field: 'isRecordingHooks', test: 'Recordings', type: 'recordings', label: 'Recordings',
    about: 'recordings, in the older format' },
  { field: 'isTranscoderHooks', test: 'Transcoder', type: 'transcoder', label: 'Transcoder',
    about: 'a transcoder became active, stopped or was deleted' },
  { field: 'isThumbnailHooks', test: 'Thumbnail', type: 'thumbnail', label: 'Thumbnail',
    about: 'a JPEG captured from a live stream' },
];

// OPERATIONAL is hookcast's own type: events about the account's other
// webhooks. It has no test event and is not one of Millicast's types.
export const OPERATIONAL = { field: 'isOperationalHooks', type: 'operational', label: 'Operational',
  about: 'another webhook was disabled or re-enabled, a delivery was given up, a secret is about to expire' };
