// The coverage panel: a choropleth of the townships against one target of the plan, the per-township table,
// the uncovered villages highlighted, siting suggestions on the map with their gain, and proposed
// facilities dropped on the map with the table recomputed by the server (what-if).

import { api, can, download, escapeHtml } from './api.js';

const $ = (id) => document.getElementById(id);
const FILL = { met: '#52b788', near: '#ffd166', far: '#f8961e', none: '#c1121f' };

// For each target: the row's value, the target, the gap, and how they read in Chinese.
function measure(target, row, t) {
  const share = (part) => (row.villages ? part / row.villages : null);
  // the district's row: a per-township target is met only when every township meets it
  const lacking = { community_complex: row.townships_without_complex, burial_site: row.townships_without_burial_site }[target];
  if (lacking !== undefined) {
    const count = target === 'community_complex' ? row.community_complexes : row.burial_sites;
    return { value: count, goal: 1, text: `共 ${count} 个`, gap: lacking ? `${lacking} 个乡镇(街道)没有` : '' };
  }
  switch (target) {
    case 'beds_per_1000': return { value: row.beds_per_1000, goal: t.beds_per_1000_elderly, text: `${row.beds_per_1000 ?? '-'} 张/千人`, gap: row.beds_shortfall ? `缺 ${row.beds_shortfall} 张` : '' };
    case 'nursing_beds_per_1000': return { value: row.nursing_beds_per_1000, goal: t.nursing_beds_per_1000_elderly, text: `${row.nursing_beds_per_1000 ?? '-'} 张/千人`, gap: row.nursing_beds_shortfall ? `缺 ${row.nursing_beds_shortfall} 张` : '' };
    case 'community_complex': return { value: row.community_complexes, goal: t.community_complexes_per_township, text: `${row.community_complexes} 个`, gap: row.community_complexes < t.community_complexes_per_township ? `缺 ${t.community_complexes_per_township - row.community_complexes} 个` : '' };
    case 'burial_site': return { value: row.burial_sites, goal: t.burial_sites_per_township, text: `${row.burial_sites} 个`, gap: row.burial_sites < t.burial_sites_per_township ? `缺 ${t.burial_sites_per_township - row.burial_sites} 个` : '' };
    case 'burial_coverage': return { value: share(row.villages_covered_by_burial), goal: t.villages_covered_by_burial_share, text: `${row.villages_covered_by_burial}/${row.villages} 村`, gap: row.villages - row.villages_covered_by_burial ? `${row.villages - row.villages_covered_by_burial} 村未覆盖` : '' };
    default: return { value: share(row.villages_with_day_care), goal: t.villages_with_day_care_share, text: `${row.villages_with_day_care}/${row.villages} 村`, gap: row.villages - row.villages_with_day_care ? `${row.villages - row.villages_with_day_care} 村未覆盖` : '' };
  }
}

function goalText(target, t) {
  return {
    beds_per_1000: `${t.beds_per_1000_elderly} 张/千人`, nursing_beds_per_1000: `${t.nursing_beds_per_1000_elderly} 张/千人`,
    community_complex: `每个乡镇 ≥${t.community_complexes_per_township} 个`, burial_site: `每个乡镇 ≥${t.burial_sites_per_township} 个`,
    burial_coverage: `${Math.round(t.villages_covered_by_burial_share * 100)}%`, day_care_coverage: `${Math.round(t.villages_with_day_care_share * 100)}%`,
  }[target];
}

export function setupCoverage(ctx) {
  if (!can('planner')) return;
  const { map } = ctx;
  // the kinds a proposed facility can be, with their Chinese names, from the layer model
  $('c-kind').innerHTML = ['burial_sites', 'community_complexes', 'eldercare_facilities'].map((layer) => {
    const info = ctx.layerInfo[layer];
    const kind = info.fields.kind;
    return `<optgroup label="${escapeHtml(info.label_zh)}">${kind.choices.map((k, i) => `<option value="${k}">${escapeHtml(kind.choice_labels_zh[i] || k)}</option>`).join('')}</optgroup>`;
  }).join('');
  $('c-kind').value = 'columbarium';
  let analysis = null;    // the server's analysis (current)
  let proposedRows = null; // township rows with the proposed facilities, when any
  let proposedUncovered = null;
  const proposed = [];
  const marks = L.layerGroup().addTo(map);
  const suggestionMarks = L.layerGroup().addTo(map);
  let loaded = false;

  const legend = L.control({ position: 'bottomleft' });
  legend.onAdd = () => L.DomUtil.create('div', 'legend coverage-legend');

  function draw() {
    const target = $('c-target').value;
    const t = analysis.targets;
    const rows = proposedRows || analysis.townships;
    const before = Object.fromEntries(analysis.townships.map((r) => [r.code, r]));
    const byCode = Object.fromEntries(rows.map((r) => [r.code, r]));
    ctx.townLayer.eachLayer((l) => {
      const row = byCode[l.feature.properties.code];
      if (!row) return;
      const m = measure(target, row, t);
      const ratio = m.value === null || !m.goal ? 0 : m.value / m.goal;
      const cls = !row.unmet.includes(target) ? 'met' : ratio >= 0.8 ? 'near' : ratio >= 0.5 ? 'far' : 'none';
      l.setStyle({ fillColor: FILL[cls], fillOpacity: 0.6 });
      l.feature.properties._coverage = cls;
    });
    const rule = t.coverage_rules;
    $('c-rule').textContent = `目标来源:${t.source}。覆盖规则:生态安葬 ${rule.burial_site};照料中心 ${rule.day_care}。`;
    const tbody = $('c-table').querySelector('tbody');
    tbody.innerHTML = '';
    for (const row of [...rows, proposedRows ? null : analysis.district].filter(Boolean)) {
      const m = measure(target, row, t);
      const old = before[row.code];
      const changed = proposedRows && old && measure(target, old, t).text !== m.text;
      const tr = document.createElement('tr');
      tr.className = row.unmet.includes(target) ? 'unmet' : '';
      tr.innerHTML = `<td>${escapeHtml(row.name)}</td><td>${changed ? `${escapeHtml(measure(target, old, t).text)} → <b>${escapeHtml(m.text)}</b>` : escapeHtml(m.text)}</td>`
        + `<td>${goalText(target, t)}</td><td>${escapeHtml(m.gap) || '达标'}</td>`;
      if (changed) tr.classList.add('changed');
      if (row.code) {
        tr.tabIndex = 0;
        const zoom = () => ctx.townLayer.eachLayer((l) => { if (l.feature.properties.code === row.code) map.fitBounds(l.getBounds(), { animate: false }); });
        tr.addEventListener('click', zoom);
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') zoom(); });
      }
      tbody.appendChild(tr);
    }
    // uncovered villages of the facility type behind the target
    const type = { burial_coverage: 'burial_site', burial_site: 'burial_site', day_care_coverage: 'day_care' }[target];
    const uncovered = new Set(type ? (proposedUncovered || analysis.uncovered_villages).filter((v) => v.facility_type === type).map((v) => v.code) : []);
    ctx.villageLayer.eachLayer((l) => {
      const hit = uncovered.has(l.feature.properties.code);
      l.setStyle(hit ? { color: '#9d0208', weight: 2, dashArray: '4 3' } : { color: '#7890a8', weight: 0.6, dashArray: null });
    });
    legend.getContainer().innerHTML = '<b>乡镇达标情况</b><br>'
      + [['met', '达标'], ['near', '达到目标 80% 以上'], ['far', '50%–80%'], ['none', '不足 50%']].map(([k, txt]) => `<i style="background:${FILL[k]}"></i>${txt}`).join('<br>')
      + (type ? '<br><i style="border:2px dashed #9d0208;background:none"></i>未覆盖的村' : '');
    document.body.dataset.coverage = target;
  }

  async function run() {
    ctx.status('正在分析…');
    analysis = await api('/api/coverage');
    if (!loaded) { legend.addTo(map); loaded = true; }
    draw();
    ctx.status(`覆盖分析完成:全区每千名老年人床位 ${analysis.district.beds_per_1000} 张`);
  }

  const proposedBody = () => proposed.map((p) => ({ kind: p.kind, name: p.name, lon: p.lon, lat: p.lat, beds: p.beds }));

  async function whatIf() {
    const out = await api('/api/coverage/what-if', { method: 'POST', body: { facilities: proposedBody() } });
    proposedRows = out.with_proposed.townships;
    proposedUncovered = out.with_proposed.uncovered_villages;
    draw();
  }

  function listProposed() {
    const kindZh = (kind) => {
      const option = $('c-kind').querySelector(`option[value=${kind}]`);
      return `${option.parentElement.label}·${option.textContent}`;
    };
    $('c-proposed').innerHTML = proposed.map((p) => `<li>${escapeHtml(p.name)}(${escapeHtml(kindZh(p.kind))})</li>`).join('');
  }

  async function addProposed(kind, lat, lon, name) {
    const p = { kind, lat, lon, name: name || `拟建${proposed.length + 1}`, beds: kind === 'institution' ? Number($('c-beds').value) || 0 : 0 };
    proposed.push(p);
    L.marker([lat, lon], { icon: L.divIcon({ className: 'proposed-icon', html: '★', iconSize: [22, 22] }), title: p.name }).addTo(marks)
      .bindTooltip(escapeHtml(p.name));
    listProposed();
    try {
      await whatIf();
      ctx.status(`已加入 ${p.name},表格显示加入拟建设施后的变化`);
    } catch (err) {
      proposed.pop();
      listProposed();
      ctx.status(`假设分析失败:${err.message}`);
    }
  }

  $('tab-coverage-btn').addEventListener('shown', () => { if (!analysis) run().catch((err) => ctx.status(`分析失败:${err.message}`)); });
  $('c-target').addEventListener('change', () => analysis && draw());
  $('c-report').addEventListener('click', async () => {
    $('c-report-status').textContent = '正在生成(含专题图)…';
    try {
      const size = await download('/api/coverage/report', '覆盖分析.zip');
      $('c-report-status').textContent = `已下载 覆盖分析.zip(${(size / 1024).toFixed(0)} KB)`;
    } catch (err) {
      $('c-report-status').textContent = `生成失败:${err.message}`;
    }
  });
  $('c-place').addEventListener('click', () => {
    ctx.pickPoint('请在地图上点击拟建设施的位置', (latlng) => addProposed($('c-kind').value, latlng.lat, latlng.lng));
  });
  $('c-clear').addEventListener('click', () => {
    proposed.length = 0;
    proposedRows = null;
    proposedUncovered = null;
    marks.clearLayers();
    listProposed();
    if (analysis) draw();
  });
  $('c-suggest').addEventListener('click', async () => {
    const type = $('c-type').value;
    const list = $('c-suggestions');
    list.innerHTML = '<li>正在计算…</li>';
    suggestionMarks.clearLayers();
    try {
      const exact = $('c-exact').checked;
      const body = { type, count: Number($('c-count').value) || 3, exact, facilities: proposedBody() };
      const out = await api('/api/coverage/suggest', { method: 'POST', body });
      list.innerHTML = '';
      $('c-exact-result').innerHTML = exact
        ? `贪心共新覆盖 ${out.greedy_gain} 人;精确最优共新覆盖 ${out.exact_gain} 人:`
          + out.exact.map((p) => `${escapeHtml(p.name)}(${escapeHtml(p.township)})`).join('、')
        : '';
      out.greedy.forEach((p, i) => {
        L.marker([p.lat, p.lon], { icon: L.divIcon({ className: 'suggest-icon', html: String(i + 1), iconSize: [22, 22] }) })
          .bindPopup(`${i + 1}. ${escapeHtml(p.name)}(${escapeHtml(p.township)})<br>新覆盖老年人 ${p.gain_elderly} 人、${p.gain_villages} 个村`).addTo(suggestionMarks);
        const li = document.createElement('li');
        li.innerHTML = `${escapeHtml(p.name)}(${escapeHtml(p.township)}):新覆盖老年人 ${p.gain_elderly} 人、${p.gain_villages} 个村 `;
        const kind = out.proposed_kind; // the server says which kind a pick of this type is proposed as
        const add = document.createElement('button');
        add.type = 'button';
        add.textContent = '加入拟建';
        add.addEventListener('click', () => { $('c-kind').value = kind; addProposed(kind, p.lat, p.lon, `建议点 ${p.name}`); });
        li.appendChild(add);
        list.appendChild(li);
      });
      const assumed = proposed.length ? `;已把 ${proposed.length} 个拟建设施视为已建` : '';
      ctx.status(`选址建议(${out.rule}):共新覆盖老年人 ${out.greedy_gain} 人${assumed}`);
    } catch (err) {
      list.innerHTML = `<li>${escapeHtml(err.message)}</li>`;
    }
  });
}
