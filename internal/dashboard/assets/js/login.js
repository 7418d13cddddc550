// Sign in with an API secret. The secret is sent once; the server answers with
// an HttpOnly session cookie and a CSRF token, and the page forgets the secret.
import * as api from './api.js';
import { h, fill } from './dom.js';
import { busy } from './ui.js';

export function loginPage(main, { onSignedIn }) {
  const input = h('input', {
    id: 'api-secret', name: 'apiSecret', type: 'password', autocomplete: 'current-password',
    required: true, spellcheck: 'false', 'aria-describedby': 'api-secret-help',
  });
  const errors = h('div', { id: 'login-error', class: 'alert inline', role: 'alert', 'aria-atomic': 'true' });
  const submit = h('button', { type: 'submit', class: 'primary wide' }, 'Sign in');
  const form = h('form', { class: 'panel login', method: 'post', action: '/dashboard/login', novalidate: true },
    h('h1', { tabindex: '-1' }, 'Sign in'),
    h('p', { class: 'muted' }, 'Manage the webhooks of your account, watch their deliveries and your live streams.'),
    h('label', { for: 'api-secret' }, 'API secret'),
    input,
    h('p', { id: 'api-secret-help', class: 'help' },
      'The API secret of your account. ', h('code', null, 'hookcast serve'),
      ' prints one on its first start; ', h('code', null, 'hookcast accounts create'), ' makes more.'),
    errors,
    submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fill(errors);
    errors.classList.remove('show');
    input.removeAttribute('aria-invalid');
    const secret = input.value.trim();
    if (!secret) {
      fail('Please paste your API secret.');
      return;
    }
    await busy(submit, async () => {
      try {
        const info = await api.post('/dashboard/login', { apiSecret: secret });
        input.value = '';
        onSignedIn(info);
      } catch (err) {
        fail(err.message);
      }
    });
  });
  function fail(msg) {
    fill(errors, msg);
    errors.classList.add('show');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
  fill(main, form);
  input.focus();
  return { stop() {} };
}
