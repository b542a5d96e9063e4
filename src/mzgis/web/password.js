// The password dialog: changing one's own password, and the change the server asks for before anything else
// (a password set by an administrator, or one past its time). Reads the reason and the expiry from the user.
import { changePassword, session, signOut } from './api.js';

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
