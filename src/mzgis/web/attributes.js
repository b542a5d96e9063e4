// 属性表: the features of one layer as a table under the map, with a filter, sorting by column, a click
// that finds the feature on the map, and the filtered rows as CSV (Chinese headers and values, UTF-8 BOM).

import { api, escapeHtml, fetchFeatures, style } from './api.js';

const CAP = 5000; // rows held by the page; more is for the exports (mzgis names export, import --update)

export function setupAttributes(ctx) {
  const $ = (id) => document.getElementById(id);
  const panel = $('attr');
  const state = { layer: null, features: [], total: 0, shown: [], sort: null };
  const select = $('t-layer');
  for (const [name, info] of Object.entries(ctx.layerInfo)) {
    const opt = document.createElement('option');
    opt.value = name;
    opt.textContent = info.label_zh;
    select.appendChild(opt);
  }
  select.value = 'place_names';

  const columns = (name) => Object.values(ctx.layerInfo[name].fields).filter((f) => !f.derived).map((f) => f.name);
  const cell = (f, key) => (key === 'id' ? String(f.id) : ctx.label(state.layer, key, f.properties[key]));
  const headers = () => [['id', '编号'], ...columns(state.layer).map((k) => [k, ctx.layerInfo[state.layer].fields[k].label_zh]), ['version', '版本']];

  function render() {
    const words = $('t-filter').value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const cols = headers();
    let rows = state.features.filter((f) => {
      const text = cols.map(([k]) => (k === 'version' ? f.properties.version : cell(f, k))).join('\u0001').toLowerCase();
      return words.every((w) => text.includes(w));
    });
    if (state.sort) {
      const [key, dir] = state.sort;
      const value = (f) => (key === 'id' ? f.id : f.properties[key]);
      rows = [...rows].sort((a, b) => {
        const x = value(a), y = value(b);
        const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''), 'zh-CN');
        return dir === 'ascending' ? order : -order;
      });
    }
    state.shown = rows;
    $('t-table').querySelector('thead').innerHTML = '<tr>' + cols.map(([k, zh]) => {
      const sort = state.sort && state.sort[0] === k ? ` aria-sort="${state.sort[1]}"` : '';
      return `<th data-key="${escapeHtml(k)}"${sort}>${escapeHtml(zh)}</th>`;
    }).join('') + '</tr>';
    $('t-table').querySelector('tbody').innerHTML = rows.map((f, i) => '<tr data-i="' + i + '">' + cols.map(([k]) => {
      const text = k === 'version' ? String(f.properties.version ?? '') : cell(f, k);
      return `<td title="${escapeHtml(text)}">${escapeHtml(text)}</td>`;
    }).join('') + '</tr>').join('');
    const held = state.total > state.features.length ? `(共 ${state.total} 条,表格载入前 ${state.features.length} 条;全部请用导出命令)` : '';
    $('t-status').textContent = `${rows.length} / ${state.features.length} 条${held}`;
  }

  async function load(name) {
    state.layer = name;
    state.sort = null;
    $('t-filter').value = ''; // a filter of another layer's columns would hide everything
    $('t-status').textContent = '正在载入…';
    const [info, page] = await Promise.all([api(`/api/layers/${name}`), fetchFeatures(name, CAP)]);
    state.total = info.count;
    state.features = page.features;
    render();
  }

  $('attr-btn').addEventListener('click', async () => {
    const open = panel.hidden;
    panel.hidden = !open;
    $('attr-btn').setAttribute('aria-expanded', String(open));
    ctx.map.invalidateSize();
    if (open && state.layer === null) await load(select.value).catch((err) => { $('t-status').textContent = `载入失败:${err.message}`; });
  });
  select.addEventListener('change', () => load(select.value).catch((err) => { $('t-status').textContent = `载入失败:${err.message}`; }));
  $('t-filter').addEventListener('input', render);
  $('t-table').querySelector('thead').addEventListener('click', (e) => {
    const th = e.target.closest('th');
    if (!th) return;
    const key = th.dataset.key;
    state.sort = [key, state.sort && state.sort[0] === key && state.sort[1] === 'ascending' ? 'descending' : 'ascending'];
    render();
  });
  $('t-table').querySelector('tbody').addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    for (const row of tr.parentElement.querySelectorAll('tr.selected')) row.classList.remove('selected');
    tr.classList.add('selected');
    const f = state.shown[Number(tr.dataset.i)];
    ctx.highlight.clearLayers();
    if (!f.geometry) { ctx.status('该要素没有几何(属性表或尚未绘制)'); return; }
    const layer = L.geoJSON(f, { style: { color: style('highlight'), weight: 4, fillOpacity: 0.1 }, pointToLayer: (_, ll) => L.circleMarker(ll, { radius: 10, color: style('highlight'), weight: 3, fill: false }) });
    ctx.highlight.addLayer(layer);
    const b = layer.getBounds();
    if (b.isValid()) ctx.map.fitBounds(b, { maxZoom: 16, animate: false });
  });
  $('t-export').addEventListener('click', () => {
    const cols = headers();
    const quote = (v) => {
      let t = String(v ?? '');
      if (/^[=+\-@\t\r]/.test(t)) t = `'${t}`; // a spreadsheet does not run a cell as a formula
      return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
    };
    // headers as mzgis exports them (标准名称 name): the file comes back with mzgis import --update
    const lines = [cols.map(([k, zh]) => quote(`${zh} ${k}`)).join(',')];
    for (const f of state.shown) lines.push(cols.map(([k]) => quote(k === 'version' ? f.properties.version : cell(f, k))).join(','));
    const blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${ctx.layerInfo[state.layer].label_zh}_筛选结果.csv`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    $('t-status').textContent = `已导出 ${state.shown.length} 条`;
  });
}
