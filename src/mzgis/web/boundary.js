// The boundary panel: run the admin-unit coverage, line and marker checks on the server, list the findings,
// click one to zoom to it and highlight it; download a line's joint-inspection package.

import { api, can, county, download, escapeHtml, fieldOptions, onCountyChange, style } from './api.js';

const $ = (id) => document.getElementById(id);
const SOURCE_ZH = { coverage: '区划拓扑', line: '界线比对', markers: '界桩' };

export function setupBoundary(ctx) {
  if (!can('planner')) return;
  const { map } = ctx;
  // the levels a coverage check is of (villages by default), from the layer model
  $('b-level').innerHTML = fieldOptions(ctx.layerInfo.admin_units.fields.level, (l) => l !== 'county');
  $('b-level').value = 'village';

  // the lines and checks of the county chosen in the unit selector (all, when none is)
  const unitQuery = () => (county() ? `unit=${county()}` : '');

  async function loadLines() {
    const names = await api(`/api/boundary/lines?${unitQuery()}`);
    $('b-line').innerHTML = names.map((n) => `<option>${escapeHtml(n)}</option>`).join('');
  }

  function show(finding, li) {
    ctx.highlight.clearLayers();
    // a line finding is read against both versions: the neighbour's is switched on with it
    if (finding.source === 'line' && !map.hasLayer(ctx.overlays['界线(对方)'])) ctx.overlays['界线(对方)'].addTo(map);
    const layer = L.geoJSON(finding.geometry, {
      style: { color: style('highlight'), weight: 4, fillColor: style('highlight'), fillOpacity: 0.35 },
      pointToLayer: (_, latlng) => L.circleMarker(latlng, { radius: 12, color: style('highlight'), weight: 4, fillOpacity: 0.2 }),
    }).addTo(ctx.highlight);
    layer.bindPopup(`<b>${SOURCE_ZH[finding.source]}</b><br>${escapeHtml(finding.message)}`);
    const bounds = layer.getBounds();
    if (finding.geometry.type === 'Point') map.setView(bounds.getCenter(), 16, { animate: false });
    else map.fitBounds(bounds.pad(0.5), { animate: false, maxZoom: 17 });
    layer.openPopup();
    for (const el of document.querySelectorAll('#b-findings li')) el.classList.toggle('selected', el === li);
  }

  $('b-run').addEventListener('click', async () => {
    const list = $('b-findings');
    list.innerHTML = '';
    $('b-summary').textContent = '正在检查…';
    try {
      const out = await api(`/api/boundary/findings?level=${$('b-level').value}&tolerance_m=${encodeURIComponent($('b-tol').value)}&${unitQuery()}`);
      const c = out.coverage;
      const lines = Object.entries(out.lines).map(([name, s]) => {
        const cmp = s.comparison ? `最大偏差 ${s.comparison.max_deviation_m} 米` : '无对方版本';
        return `${name}:${cmp},界桩 ${s.markers.markers} 个(损坏 ${s.markers.damaged},丢失 ${s.markers.missing},逾期 ${s.markers.overdue})`;
      });
      // counties of a city-wide check left out (their polygons are not all there yet) are said, not hidden
      const left = (c.left_out || []).map((x) => `<p class="left-out">未检查:${escapeHtml(x.message)}</p>`).join('');
      $('b-summary').innerHTML = `<p>区划 ${c.polygons} 个面:缝隙 ${c.gaps},重叠 ${c.overlaps},边界不吻合 ${c.invalid_edges},上下级问题 ${c.hierarchy}</p>`
        + left + `<p>${lines.map(escapeHtml).join('<br>')}</p><p>共 ${out.findings.length} 个问题</p>`;
      for (const f of out.findings) {
        const li = document.createElement('li');
        li.tabIndex = 0;
        li.innerHTML = `<span class="tag">${SOURCE_ZH[f.source]}</span> ${escapeHtml(f.message)}`;
        li.addEventListener('click', () => show(f, li));
        li.addEventListener('keydown', (e) => { if (e.key === 'Enter') show(f, li); });
        list.appendChild(li);
      }
      ctx.status(`界线检查完成:${out.findings.length} 个问题`);
    } catch (err) {
      $('b-summary').textContent = `检查失败:${err.message}`;
    }
  });

  $('b-package').addEventListener('click', async () => {
    const line = $('b-line').value;
    $('b-package-status').textContent = `正在生成 ${line} 的资料包…`;
    try {
      const size = await download(`/api/boundary/lines/${encodeURIComponent(line)}/package`, `${line}联检资料包.zip`);
      $('b-package-status').textContent = `已下载 ${line} 联检资料包(${(size / 1024).toFixed(0)} KB)`;
    } catch (err) {
      $('b-package-status').textContent = `生成失败:${err.message}`;
    }
  });
  loadLines().catch((err) => { $('b-package-status').textContent = err.message; });
  // another county chosen: its lines; findings of the other county are cleared, not read as this one's
  onCountyChange(() => {
    $('b-findings').innerHTML = '';
    $('b-summary').textContent = '';
    loadLines().catch((err) => { $('b-package-status').textContent = err.message; });
  });
}
