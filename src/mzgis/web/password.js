// The password dialog: changing one's own password, and the change the server asks for before anything else
// (a password set by an administrator, or one past its time); and setting a second factor where the server
// requires one (等级保护 level 3). Reads the reason and the expiry from the user.
import { api, changePassword, session, signOut } from './api.js';

const $ = (id) => document.getElementById(id);
const DAY_MS = 24 * 3600 * 1000;

// Resolves once the password is changed; ``required``: the dialog cannot be left but by signing out.
export function askPasswordChange(required = false) {
  const dialog = $('password');
  const form = $('password-form');
  const message = $('password-message');
  $('password-reason').textContent = required ? session.user.password_change_zh : '';
  for (const id of ['password-current', 'password-new', 'password-again']) $(id).value = '';
  message.textContent = '';
  $('password-cancel').hidden = required;
  $('password-sign-out').hidden = !required;
  return new Promise((resolve) => {
    form.onsubmit = async (event) => {
      event.preventDefault();
      if ($('password-new').value !== $('password-again').value) {
        message.textContent = '两次输入的新密码不一致';
        return;
      }
      try {
        await changePassword($('password-current').value, $('password-new').value);
        dialog.close();
        resolve(true);
      } catch (err) {
        message.textContent = err.message;
      }
    };
    $('password-cancel').onclick = () => { dialog.close(); resolve(false); };
    $('password-sign-out').onclick = async () => { await signOut(); location.reload(); };
    dialog.oncancel = (e) => { if (required) e.preventDefault(); else resolve(false); };
    dialog.showModal();
    $('password-current').focus();
  });
}

// What the header says of the password's expiry when it is near (within the server's warning days).
export function expiryWarning(user, warnDays) {
  if (!user?.password_expires_at || user.password_change) return '';
  const days = Math.ceil((Date.parse(user.password_expires_at) - Date.now()) / DAY_MS);
  return days <= warnDays ? `密码将于 ${days} 天后到期,请及时修改` : '';
}

// Resolves once the signed-in user has a second factor: a new secret from the server, entered in the phone's
// authenticator, confirmed with the code it shows (and the password, when it replaces one). ``required``: the
// server asks for it before anything else; the dialog cannot be left but by signing out.
export async function askSecondFactor(required = true) {
  const dialog = $('second-factor');
  const { secret } = await api('/api/auth/second-factor/new', { method: 'POST' });
  const replacing = session.user.second_factor;
  $('second-factor-reason').textContent = required ? session.user.password_change_zh : (replacing ? '更换动态口令:旧的口令随之失效' : '');
  $('second-factor-secret').value = secret.match(/.{1,4}/g).join(' ');
  for (const id of ['second-factor-code', 'second-factor-password']) $(id).value = '';
  $('second-factor-message').textContent = '';
  $('second-factor-password-row').hidden = !replacing;
  $('second-factor-cancel').hidden = required;
  $('second-factor-sign-out').hidden = !required;
  return new Promise((resolve) => {
    $('second-factor-form').onsubmit = async (event) => {
      event.preventDefault();
      try {
        const body = { secret, code: $('second-factor-code').value, password: replacing ? $('second-factor-password').value : null };
        session.user = await api('/api/auth/second-factor', { method: 'POST', body });
        dialog.close();
        resolve(true);
      } catch (err) {
        $('second-factor-message').textContent = err.message;
      }
    };
    $('second-factor-cancel').onclick = () => { dialog.close(); resolve(false); };
    $('second-factor-sign-out').onclick = async () => { await signOut(); location.reload(); };
    dialog.oncancel = (e) => { if (required) e.preventDefault(); else resolve(false); };
    dialog.showModal();
    $('second-factor-code').focus();
  });
}
