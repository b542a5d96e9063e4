// The accounts panel (admins): list accounts, add one, change a role, disable or enable. The server
// checks the admin role on every call; this only shows its answers.

import { api, can, escapeHtml, session } from './api.js';

const $ = (id) => document.getElementById(id);
const ROLES = [['viewer', '查看'], ['planner', '规划'], ['editor', '编辑'], ['approver', '审批'], ['admin', '管理员']];

export function setupUsers() {
  if (!can('admin')) return;
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
      const options = ROLES.map(([r, zh]) => `<option value="${r}"${r === u.role ? ' selected' : ''}>${zh}</option>`).join('');
      tr.innerHTML = `<td>${escapeHtml(u.name)}</td><td><select aria-label="${escapeHtml(u.name)} 的角色"${self ? ' disabled' : ''}>${options}</select></td>`
        + `<td>${u.disabled ? '已停用' : '正常'}</td><td><button type="button"${self ? ' disabled' : ''}>${u.disabled ? '启用' : '停用'}</button></td>`;
      tr.querySelector('select').addEventListener('change', (e) => change(u.name, { role: e.target.value }, `${u.name} 的角色已改为 ${e.target.selectedOptions[0].textContent}`));
      tr.querySelector('button').addEventListener('click', () => change(u.name, { disabled: !u.disabled }, `${u.name} 已${u.disabled ? '启用' : '停用'}`));
      tbody.appendChild(tr);
    }
  }

  $('u-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const u = await api('/api/users', { method: 'POST', body: { name: $('u-name').value.trim(), role: $('u-role').value, password: $('u-password').value } });
      $('u-form').reset();
      await list();
      message(`已新增用户 ${u.name}(${u.role_zh})`, 'ok');
    } catch (err) {
      message(err.message, 'error');
    }
  });
  $('tab-users-btn').addEventListener('shown', () => list().catch((err) => message(err.message, 'error')));
}
