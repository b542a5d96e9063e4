// The coverage panel: a choropleth of the townships against one target of the plan, the per-township table,
// the uncovered villages highlighted, siting suggestions on the map with their gain, and proposed
// facilities dropped on the map with the table recomputed by the server (what-if).

import { api, can, county, download, escapeHtml, onCountyChange, options, session, style } from './api.js';

const $ = (id) => document.getElementById(id);
// What each row shows for each target (value, gap, band), the targets' wording and goals and the bands'
// colours all come from the server's analysis (``reading``): the page recomputes nothing.
export function setupCoverage(ctx) {
  if (!can('planner')) return;
  const { map } = ctx;
  $('c-type').innerHTML = options(session.config.facility_types); // the types the suggestions place
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
  let proposedReading = null; // how the rows read with the proposed facilities
  const proposed = [];
  const marks = L.layerGroup().addTo(map);
  const suggestionMarks = L.layerGroup().addTo(map);
  let loaded = false;

  const legend = L.control({ position: 'bottomleft' });
  legend.onAdd = () => L.DomUtil.create('div', 'legend coverage-legend');

  function draw() {
    const target = $('c-target').value;
    const t = analysis.targets;
    const now = proposedReading || analysis.reading;
    const colours = Object.fromEntries(analysis.reading.bands.map((b) => [b.id, b.colour]));
    const goal = analysis.reading.targets.find((x) => x.id === target);
    const rows = proposedRows || analysis.townships;
    ctx.townLayer.eachLayer((l) => {
      const m = now.rows[l.feature.properties.code]?.[target];
      if (!m) return;
      l.setStyle({ fillColor: colours[m.band], fillOpacity: 0.6 });
      l.feature.properties._coverage = m.band;
    });
    const rule = t.coverage_rules;
    // counties of a city-wide run that were left out (their polygons are not all there yet) are said, not hidden
    const left = (analysis.left_out || []).map((c) => `未参加分析:${c.message}。`).join('')
      // without the villages' polygons the village parts are not computed: said, the rest shown
      + (analysis.not_run || []).map((p) => `未计算:${p.message}。`).join('');
    $('c-rule').textContent = `目标来源:${t.source}。覆盖规则:生态安葬 ${rule.burial_site};照料中心 ${rule.day_care}。${left}`;
    const tbody = $('c-table').querySelector('tbody');
    tbody.innerHTML = '';
    for (const row of [...rows, proposedRows ? null : analysis.district].filter(Boolean)) {
      const m = now.rows[row.code][target];
      const old = proposedRows ? analysis.reading.rows[row.code]?.[target] : null;
      const changed = old && old.text !== m.text;
      const tr = document.createElement('tr');
      tr.className = m.band === 'met' ? '' : m.band === 'unknown' ? 'unknown' : 'unmet';
      tr.innerHTML = `<td>${escapeHtml(row.name)}</td><td>${changed ? `${escapeHtml(old.text)} → <b>${escapeHtml(m.text)}</b>` : escapeHtml(m.text)}</td>`
        + `<td>${escapeHtml(goal.goal)}</td><td>${escapeHtml(m.gap) || '达标'}</td>`;
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
    const type = goal.facility_type;
    const uncovered = new Set(type ? (proposedUncovered || analysis.uncovered_villages).filter((v) => v.facility_type === type).map((v) => v.code) : []);
    ctx.villageLayer.eachLayer((l) => {
      const hit = uncovered.has(l.feature.properties.code);
      l.setStyle(hit ? { color: style('uncovered'), weight: 2, dashArray: '4 3' } : { color: style('village_line'), weight: 0.6, dashArray: null });
    });
    legend.getContainer().innerHTML = '<b>乡镇达标情况</b><br>'
      + analysis.reading.bands.map((b) => `<i style="background:${b.colour}"></i>${escapeHtml(b.label)}`).join('<br>')
      + (type ? `<br><i style="border:2px dashed ${style('uncovered')};background:none"></i>未覆盖的村` : '');
    document.body.dataset.coverage = target;
  }

  let opened = false; // the tab was shown once: from then on every county chosen is analysed
  let asked = 0; // the latest request: an answer to an earlier one (another county) is dropped
  function clear(message) {
    // the table and colours of another unit are not left to be read as this one's
    analysis = null;
    $('c-table').querySelector('tbody').innerHTML = '';
    $('c-rule').textContent = message;
    ctx.townLayer.eachLayer((l) => l.setStyle({ fillColor: style('township_fill'), fillOpacity: 0.35 }));
    ctx.status(message);
  }
  async function run() {
    opened = true;
    const ticket = ++asked;
    ctx.status('正在分析…');
    const unit = county();
    let answer;
    try {
      answer = await api(unit ? `/api/coverage?unit=${unit}` : '/api/coverage');
    } catch (err) {
      if (ticket === asked) clear(`分析失败:${err.message}`);
      return;
    }
    if (ticket !== asked) return;
    analysis = answer;
    const select = $('c-target');
    if (!select.options.length) { // the targets and their wording as the server states them
      select.innerHTML = analysis.reading.targets.map((x) => `<option value="${escapeHtml(x.id)}">${escapeHtml(x.label)}</option>`).join('');
    }
    if (!loaded) { legend.addTo(map); loaded = true; }
    draw();
    ctx.status(`覆盖分析完成:全区每千名老年人床位 ${analysis.district.beds_per_1000} 张`);
  }

  const proposedBody = () => proposed.map((p) => ({ kind: p.kind, name: p.name, lon: p.lon, lat: p.lat, beds: p.beds }));

  async function whatIf() {
    const out = await api('/api/coverage/what-if', { method: 'POST', body: { facilities: proposedBody(), unit: county() } });
    proposedRows = out.with_proposed.townships;
    proposedReading = out.with_proposed.reading;
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

  $('tab-coverage-btn').addEventListener('shown', () => { if (!opened) run(); });
  $('c-target').addEventListener('change', () => analysis && draw());
  // another county chosen: its analysis (a township chosen only zooms; the table stays the county's)
  onCountyChange(() => {
    if (opened) run(); // not opened yet: the tab runs it for the county then chosen
  });
  $('c-report').addEventListener('click', async () => {
    $('c-report-status').textContent = '正在生成(含专题图)…';
    try {
      const unit = county();
      const size = await download(unit ? `/api/coverage/report?unit=${unit}` : '/api/coverage/report', '覆盖分析.zip');
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
    proposedReading = null;
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
      const body = { type, count: Number($('c-count').value) || 3, exact, facilities: proposedBody(), unit: county() };
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
