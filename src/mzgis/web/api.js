// Talking to the mzgis API: the bearer token of this tab's sign-in, JSON in and out, errors in Chinese.

const KEY = 'mzgis-token';
const EXPIRES = 'mzgis-token-expires';
const REFRESH_BEFORE_MS = 2 * 3600 * 1000; // a token with less than this left is exchanged for a fresh one
export const session = { token: sessionStorage.getItem(KEY), expires: sessionStorage.getItem(EXPIRES), user: null, config: null };

function keep(token, expires) {
  session.token = token;
  session.expires = expires;
  if (token) {
    sessionStorage.setItem(KEY, token);
    sessionStorage.setItem(EXPIRES, expires || '');
  } else {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(EXPIRES);
  }
}

// A page in use keeps its sign-in: a token near its end is exchanged for a fresh one (the old one is revoked).
let pendingRefresh = null;
async function refreshSoon() {
  if (!session.token || !session.expires || Date.parse(session.expires) - Date.now() > REFRESH_BEFORE_MS) return;
  pendingRefresh ||= (async () => {
    const resp = await fetch('/api/auth/refresh', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` } });
    if (resp.ok) {
      const out = await resp.json();
      keep(out.access_token, out.expires_at);
    } // otherwise the request below meets the 401 and the sign-in dialog
  })().catch(() => {}).finally(() => { pendingRefresh = null; });
  await pendingRefresh;
}

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
  if (!url.startsWith('/api/auth/')) await refreshSoon();
  const h = { ...headers };
  const sent = session.token;
  if (sent) h.Authorization = `Bearer ${sent}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const resp = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  if (resp.status === 401 && sent && hooks.signIn && !retried && !url.startsWith('/api/auth/')) {
    if (session.token === sent) keep(null, null); // nobody has signed in again since this request left
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

export async function signIn(name, password, code = null) {
  const out = await api('/api/auth/token', { method: 'POST', body: { name, password, code: code || null } });
  keep(out.access_token, out.expires_at);
  session.user = out.user;
  return out.user;
}

// The signed-in user's own password changed: every earlier sign-in of the account ends, this page keeps a new one.
export async function changePassword(current, next) {
  const out = await api('/api/auth/password', { method: 'POST', body: { current, new: next } });
  keep(out.access_token, out.expires_at);
  session.user = out.user;
  return out.user;
}

export async function signOut() {
  try { await api('/api/auth/sign-out', { method: 'POST' }); } catch { /* already invalid */ }
  keep(null, null);
  session.user = null;
}

// The signed-in user, or null (no token, or an expired one).
export async function whoAmI() {
  if (!session.token) return null;
  try {
    session.user = await api('/api/auth/me');
  } catch (err) {
    if (err.status !== 401) throw err;
    keep(null, null);
    session.user = null;
  }
  return session.user;
}

// the roles from lowest to highest, and the colours that are no value's own, as the server gives them
const rank = (role) => Object.keys(session.config?.roles || {}).indexOf(role);
export function can(role) {
  return !!session.user && rank(role) >= 0 && rank(session.user.role) >= rank(role);
}
export const style = (name) => session.config.styles[name];
// <option>s of a choice the server lists (id → Chinese), or of a layer model field's allowed values
export const options = (pairs) => Object.entries(pairs).map(([id, zh]) => `<option value="${escapeHtml(id)}">${escapeHtml(zh)}</option>`).join('');
export const fieldOptions = (field, keep = () => true) => options(Object.fromEntries(
  field.choices.map((c, i) => [c, field.choice_labels_zh[i] || c]).filter(([c]) => keep(c))));

// a stored UTC time as officers read it: Beijing time, whatever zone the browser is set to
const BEIJING = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
export const beijingTime = (iso) => BEIJING.format(new Date(iso));

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

// The features of a layer, following the server's pages (a layer larger than one page was cut short),
// up to ``cap`` features.
export async function fetchFeatures(name, cap = Infinity) {
  let page = await api(`/api/layers/${name}/features`);
  const all = page;
  for (let next = page.links?.find((l) => l.rel === 'next'); next && all.features.length < cap; next = page.links?.find((l) => l.rel === 'next')) {
    page = await api(next.href);
    all.features.push(...page.features);
  }
  all.features = all.features.slice(0, cap);
  return all;
}

// the county of the unit chosen in the map's selector (a county, or a township's county; none: the whole
// store): in a store of several counties the analyses and checks are of one county
export const county = () => {
  const value = document.getElementById('township')?.value || '';
  return /^\d{6}(\d{3})?$/.test(value) ? value.slice(0, 6) : null;
};

// ``then`` when another county is chosen in the selector (a township of the same county only zooms)
export function onCountyChange(then) {
  let shown = county();
  document.getElementById('township').addEventListener('change', () => {
    if (county() === shown) return;
    shown = county();
    then();
  });
}
