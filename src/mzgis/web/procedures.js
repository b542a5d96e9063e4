// 地名审批: the queue of applications by stage, each application's record, documents and the next steps the
// signed-in role may take (the steps, their roles and fields come from the server), applying for a proposed
// name, and the announcement of approved names. The server checks every step; this shows its answers.

import { api, can, download, escapeHtml } from './api.js';

export function setupProcedures(ctx) {
  const $ = (id) => document.getElementById(id);
  const stageZh = Object.fromEntries(ctx.layerInfo.name_procedures.fields.stage.choices.map(
    (c, i) => [c, ctx.layerInfo.name_procedures.fields.stage.choice_labels_zh[i]]));
  const fieldZh = (name) => ctx.layerInfo.name_procedures.fields[name]?.label_zh || name;
  let steps = [];
  const message = (text, cls = '') => { $('p-message').textContent = text; $('p-message').className = cls; };

  $('p-stage').innerHTML += Object.entries(stageZh).map(([k, zh]) => `<option value="${k}">${escapeHtml(zh)}</option>`).join('');

  async function refresh() {
    const stage = $('p-stage').value;
    const [items, overdue] = await Promise.all([
      api(`/api/procedures${stage ? `?stage=${stage}` : ''}`), api('/api/procedures/overdue'),
    ]);
    const late = Object.fromEntries(overdue.map((o) => [o.application.id, o.days_since_approval]));
    $('p-queue').innerHTML = items.map((f) => {
      const p = f.properties;
      const warn = late[f.id] ? ` <span class="error">批准后 ${late[f.id]} 日未公告</span>` : '';
      return `<li tabindex="0" data-id="${f.id}">#${f.id} ${escapeHtml(p.name)} · <span class="tag">${escapeHtml(stageZh[p.stage])}</span> · ${escapeHtml(p.applied_on)}${warn}</li>`;
    }).join('') || '<li>(无)</li>';
    for (const li of $('p-queue').querySelectorAll('li[data-id]')) {
      const show = () => detail(Number(li.dataset.id)).catch((err) => message(err.message, 'error'));
      li.addEventListener('click', show);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') show(); });
    }
  }

  async function detail(id) {
    const f = await api(`/api/procedures/${id}`);
    const docs = await api(`/api/procedures/${id}/documents`);
    const p = f.properties;
    const rows = Object.keys(ctx.layerInfo.name_procedures.fields)
      .filter((k) => p[k] !== null && p[k] !== '' && k !== 'name_id')
      .map((k) => `<tr><th>${escapeHtml(fieldZh(k))}</th><td>${escapeHtml(k === 'stage' ? stageZh[p[k]] : p[k])}</td></tr>`).join('');
    const next = steps.filter((s) => s.after.includes(p.stage) && can(s.role));
    const box = $('p-detail');
    box.hidden = false;
    box.innerHTML = `<h3>#${f.id} ${escapeHtml(p.name)}(版本 ${p.version})</h3><table>${rows}</table>`
      + `<div>附件:${docs.map((d) => `<a href="#" data-doc="${d.id}">${escapeHtml(d.filename)}</a>${d.note ? `(${escapeHtml(d.note)})` : ''}`).join('、') || '无'}</div>`
      + `<div class="p-steps">${next.map((s) => `<button type="button" data-step="${s.step}">${escapeHtml(s.zh)}</button>`).join(' ')}</div>`
      + '<form id="p-step-form" hidden></form>';
    for (const a of box.querySelectorAll('a[data-doc]')) {
      const d = docs.find((x) => String(x.id) === a.dataset.doc);
      a.addEventListener('click', (e) => { e.preventDefault(); download(`/api/procedures/${id}/documents/${d.id}`, d.filename).catch((err) => message(err.message, 'error')); });
    }
    for (const b of box.querySelectorAll('button[data-step]')) {
      b.addEventListener('click', () => stepForm(f, steps.find((s) => s.step === b.dataset.step)));
    }
  }

  function stepForm(f, s) {
    const form = $('p-step-form');
    form.hidden = false;
    form.innerHTML = `<h3>${escapeHtml(s.zh)}</h3><label for="p-on">${escapeHtml(s.zh)}日期</label><input id="p-on" type="date">`
      + s.fields.map((fl) => `<label for="p-f-${fl.name}">${escapeHtml(fl.label_zh)}${fl.required ? '(必填)' : ''}</label>`
        + (fl.multiline ? `<textarea id="p-f-${fl.name}" rows="2"></textarea>` : `<input id="p-f-${fl.name}">`)).join('')
      + `<button type="submit" id="p-step-go">确认${escapeHtml(s.zh)}</button>`;
    form.onsubmit = async (event) => {
      event.preventDefault();
      const body = { step: s.step, version: f.properties.version };
      if ($('p-on').value) body.on = $('p-on').value;
      for (const fl of s.fields) { const v = $(`p-f-${fl.name}`).value.trim(); if (v) body[fl.name] = v; }
      try {
        const out = await api(`/api/procedures/${f.id}/steps`, { method: 'POST', body });
        await refresh();
        await detail(f.id);
        message(`${out.properties.name}:已${s.zh}(版本 ${out.properties.version})`, 'ok');
      } catch (err) {
        message(err.message, 'error');
      }
    };
  }

  document.addEventListener('name-opened', (e) => {
    const feature = e.detail;
    if (feature && feature.id && feature.properties.status === 'proposed') $('p-name-id').value = feature.id;
  });
  $('p-apply').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const f = await api('/api/procedures', { method: 'POST', body: {
        name_id: Number($('p-name-id').value), applicant: $('p-applicant').value.trim(), reasons: $('p-reasons').value.trim(),
      } });
      message(`已申报:${f.properties.name}(申报编号 ${f.id})`, 'ok');
      await refresh();
    } catch (err) {
      message(err.message, 'error');
    }
  });
  $('p-announce').addEventListener('click', async () => {
    try {
      const size = await download('/api/procedures/announcement?format=docx', '地名公告.docx');
      message(`已下载 地名公告.docx(${(size / 1024).toFixed(0)} KB)`, 'ok');
    } catch (err) {
      message(err.message, 'error');
    }
  });
  $('p-stage').addEventListener('change', () => refresh().catch((err) => message(err.message, 'error')));
  return api('/api/procedures/steps').then((s) => { steps = s; return refresh(); }).catch((err) => message(err.message, 'error'));
}
