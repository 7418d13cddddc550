// What a delivery's outcome looks like, shared by the delivery log and a
// delivery's page: its badge, why it will not be tried again, its last error.
import { h } from './dom.js';

export const OUTCOMES = {
  succeeded: { label: 'Succeeded', cls: 'ok' },
  failed: { label: 'Failed', cls: 'bad' },
  pending: { label: 'Pending', cls: 'warn' },
  skipped: { label: 'Skipped', cls: 'muted' },
};

export function outcomeBadge(state) {
  const o = OUTCOMES[state] || { label: state, cls: 'muted' };
  return h('span', { class: `badge ${o.cls}` }, o.label);
}

// whyFinal says in plain words why a delivery will not be tried again (null
// while it may be): short for the log, long for the detail. hook is its webhook
// when known (its retry policy).
export function whyFinal(d, hook) {
  const s = d.lastStatus;
  if (d.state === 'skipped') {
    return { short: 'Skipped: webhook disabled', long: 'Not sent: the webhook was disabled when the delivery was due. Re-enable it, then Resend.' };
  }
  if (d.state !== 'failed') return null;
  if (d.lastError === 'webhook deleted') {
    return { short: 'Not retried: webhook deleted', long: 'Not retried: the webhook was deleted.' };
  }
  if (s === 410) {
    return { short: 'Not retried: 410 disabled the webhook', long: 'Not retried: the receiver answered 410 Gone, which disables the webhook until you re-enable it.' };
  }
  if (s >= 400 && s < 500 && s !== 429) {
    return { short: `Not retried: ${s} is a refusal`, long: `Not retried: a 4xx answer (${s}) means the receiver refused the request as it was sent, so sending it again would get the same answer. Fix the receiver, then Resend.` };
  }
  if (s >= 300 && s < 400) {
    return { short: `Not retried: ${s} redirect`, long: `Not retried: the receiver answered ${s}; redirects are not followed. Point the webhook at the final URL.` };
  }
  if (hook && hook.retryPolicy === 'none') {
    return { short: 'Not retried: one attempt only', long: 'Not retried: the webhook\'s retry policy is one attempt only.' };
  }
  if (/invalid webhook|address refused/.test(d.lastError || '')) {
    return { short: 'Not retried: cannot succeed', long: `Not retried: ${d.lastError}; retrying cannot fix that.` };
  }
  return { short: 'Gave up: retries end after 24 h', long: 'Gave up: failures are retried with growing delays for up to 24 hours after the event, and that time ran out.' };
}

// errorText is what to show as a delivery's last error: the recorded text, or
// for old rows recorded without one, the status.
export function errorText(d) {
  if (d.lastError) return d.lastError;
  if (d.lastStatus && (d.lastStatus < 200 || d.lastStatus > 299)) return `HTTP ${d.lastStatus}`;
  return '';
}
