// Talking to the mzgis API: the bearer token of this tab's sign-in, JSON in and out, errors in Chinese.

const KEY = 'mzgis-token';
export const session = { token: sessionStorage.getItem(KEY), user: null, config: null };

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// hooks.signIn: shows the sign-in dialog and resolves once signed in (set by the page). When a sign-in
// expires mid-work, the request waits for a new sign-in and is sent again, so nothing typed is lost.
export const hooks = { signIn: null };

// One sign-in dialog at a time: requests refused together (a save and a live check, say) all wait for the
// same new sign-in and are then sent again.
let pendingSignIn = null;

export async function api(url, { method = 'GET', body, headers = {}, raw = false, retried = false } = {}) {
  const h = { ...headers };
  const sent = session.token;
  if (sent) h.Authorization = `Bearer ${sent}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const resp = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  if (resp.status === 401 && sent && hooks.signIn && !retried && !url.startsWith('/api/auth/')) {
    if (session.token === sent) { // nobody has signed in again since this request left
      sessionStorage.removeItem(KEY);
      session.token = null;
    }
    if (!session.token) {
      pendingSignIn ||= hooks.signIn('登录已失效,请重新登录;登录后将继续刚才的操作').finally(() => { pendingSignIn = null; });
      await pendingSignIn;
    }
    return api(url, { method, body, headers, raw, retried: true });
  }
  if (!resp.ok) {
    const data = await resp.json().catch(() => ({ message: resp.statusText }));
    throw new ApiError(resp.status, data);
  }
  if (raw) return resp;
  return resp.status === 204 ? null : resp.json();
}

export async function signIn(name, password) {
  const out = await api('/api/auth/token', { method: 'POST', body: { name, password } });
  session.token = out.access_token;
  session.user = out.user;
  sessionStorage.setItem(KEY, session.token);
  return out.user;
}

export async function signOut() {
  try { await api('/api/auth/sign-out', { method: 'POST' }); } catch { /* already invalid */ }
  sessionStorage.removeItem(KEY);
  session.token = null;
  session.user = null;
}

// The signed-in user, or null (no token, or an expired one).
export async function whoAmI() {
  if (!session.token) return null;
  try {
    session.user = await api('/api/auth/me');
  } catch (err) {
    if (err.status !== 401) throw err;
    sessionStorage.removeItem(KEY);
    session.token = null;
    session.user = null;
  }
  return session.user;
}

const RANK = { viewer: 0, planner: 1, editor: 2, admin: 3 };
export function can(role) {
  return !!session.user && RANK[session.user.role] >= RANK[role];
}

export function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// Fetch a file with the sign-in and hand it to the browser as a download; returns its size in bytes.
export async function download(url, filename) {
  const resp = await api(url, { raw: true });
  const blob = await resp.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  return blob.size;
}
