// The accounts panel (admins): list accounts, add one, change a role or jurisdiction, disable or enable; the
// security log.
// The server checks the admin role on every call; this only shows its answers.

import { api, beijingTime, can, escapeHtml, session } from './api.js';

const $ = (id) => document.getElementById(id);
const roles = () => Object.entries(session.config.roles); // from the server, lowest first

// the units an account's writes may be confined to: the counties and townships the data holds
function scopeOptions(ctx, selected) {
  const units = (ctx.units ? ctx.units.features : [])
    .filter((f) => ['county', 'township'].includes(f.properties.level))
    .sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  const known = units.some((u) => u.properties.code === selected);
  return [`<option value="">不限</option>`]
    .concat(selected && !known ? [`<option value="${escapeHtml(selected)}" selected>${escapeHtml(selected)}</option>`] : [])
    .concat(units.map((u) => {
      const code = u.properties.code;
      const indent = u.properties.level === 'township' ? '  ' : '';
      return `<option value="${escapeHtml(code)}"${code === selected ? ' selected' : ''}>${indent}${escapeHtml(u.properties.name)}(${escapeHtml(code)})</option>`;
    }))
    .join('');
}

export function setupUsers(ctx) {
  if (!can('admin')) return;
  $('u-role').innerHTML = roles().map(([r, zh]) => `<option value="${r}">${escapeHtml(zh)}</option>`).join('');
  $('u-scope').innerHTML = scopeOptions(ctx, '');
  const message = (text, kind = '') => { $('u-message').textContent = text; $('u-message').className = kind; };

  async function change(name, body, done) {
    try {
      await api(`/api/users/${encodeURIComponent(name)}`, { method: 'PATCH', body });
      await list();
      message(done, 'ok');
    } catch (err) {
      message(err.message, 'error');
      await list();
    }
  }

  async function list() {
    const users = await api('/api/users');
    const tbody = $('u-table').querySelector('tbody');
    tbody.innerHTML = '';
    for (const u of users) {
      const tr = document.createElement('tr');
      const self = u.name === session.user.name;
      const options = roles().map(([r, zh]) => `<option value="${r}"${r === u.role ? ' selected' : ''}>${zh}</option>`).join('');
      tr.innerHTML = `<td>${escapeHtml(u.name)}</td><td><select class="role" aria-label="${escapeHtml(u.name)} 的角色"${self ? ' disabled' : ''}>${options}</select></td>`
        + `<td><select class="scope" aria-label="${escapeHtml(u.name)} 的管辖范围">${scopeOptions(ctx, u.scope || '')}</select></td>`
        + `<td>${u.disabled ? '已停用' : '正常'}</td><td><button type="button"${self ? ' disabled' : ''}>${u.disabled ? '启用' : '停用'}</button></td>`;
      tr.querySelector('select.role').addEventListener('change', (e) => change(u.name, { role: e.target.value }, `${u.name} 的角色已改为 ${e.target.selectedOptions[0].textContent}`));
      tr.querySelector('select.scope').addEventListener('change', (e) => change(
        u.name,
        { scope: e.target.value || null },
        `${u.name} 的管辖范围:${e.target.value ? e.target.selectedOptions[0].textContent.trim() : '不限'}`,
      ));
      tr.querySelector('button').addEventListener('click', () => change(u.name, { disabled: !u.disabled }, `${u.name} 已${u.disabled ? '启用' : '停用'}`));
      tbody.appendChild(tr);
    }
  }

  $('u-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const body = { name: $('u-name').value.trim(), role: $('u-role').value, password: $('u-password').value, scope: $('u-scope').value || null };
      const u = await api('/api/users', { method: 'POST', body });
      $('u-form').reset();
      await list();
      message(`已新增用户 ${u.name}(${u.role_zh})`, 'ok');
    } catch (err) {
      message(err.message, 'error');
    }
  });
  // the security log, newest last as the server gives it; shown newest first
  async function securityLog() {
    const events = await api('/api/security-log?limit=200');
    $('u-log').querySelector('tbody').innerHTML = events.reverse().map((e) => `<tr class="${e.success ? '' : 'error'}">`
      + `<td>${escapeHtml(beijingTime(e.at))}</td><td>${escapeHtml(e.account || '-')}</td><td>${escapeHtml(e.event_zh)}</td>`
      + `<td>${e.success ? '成功' : '失败'}</td><td>${escapeHtml(e.client || '-')}</td><td>${escapeHtml(e.detail)}</td></tr>`).join('');
  }
  $('u-log-btn').addEventListener('click', () => securityLog().catch((err) => message(err.message, 'error')));
  $('tab-users-btn').addEventListener('shown', () => Promise.all([list(), securityLog()]).catch((err) => message(err.message, 'error')));
}
