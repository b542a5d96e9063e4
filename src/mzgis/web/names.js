// The gazetteer panel: search, open a name, add one by clicking the map, move it by dragging, edit it with
// the server's rule findings and romanization updating as the officer types, history, retire and restore,
// and a stale save shown as a conflict that can be reloaded and re-applied.

import { api, beijingTime, can, download, escapeHtml, fieldOptions, options, session, style } from './api.js';

const $ = (id) => document.getElementById(id);
const FIELDS = { name: 'f-name', category: 'f-category', subcategory: 'f-subcategory', admin_code: 'f-admin', status: 'f-status', origin: 'f-origin' };
// the fields a conflict or the history speaks of; their Chinese labels come from the layer model
const SHOWN = ['name', 'category', 'subcategory', 'admin_code', 'status', 'origin', 'geometry', 'former_names', 'retired_on', 'retire_reason'];


export function setupNames(ctx) {
  const { map } = ctx;
  const fieldZh = (k) => (k === 'geometry' ? '位置' : ctx.layerInfo.place_names.fields[k]?.label_zh || k);
  const form = $('name-form');
  let current = null;      // the feature as loaded (null for a new name)
  let geometry = null;     // GeoJSON geometry being edited: a point, a line or a polygon
  let marker = null;       // the name on the map while it is edited (a marker, or a line or polygon)
  let timer = null;
  // drawing and editing lines and polygons (Leaflet-Geoman): vertices snap to what the map shows, so a
  // road or an area can follow the township and village borders
  map.pm.setGlobalOptions({ snappable: true, snapDistance: 15, allowSelfIntersection: false });
  map.pm.setLang('zh');

  // the choices of the category field, from the layer model
  const cat = ctx.layerInfo.place_names.fields.category;
  $('f-category').innerHTML = fieldOptions(cat);
  // a name is saved as current or proposed; retiring is its own step
  $('f-status').innerHTML = fieldOptions(ctx.layerInfo.place_names.fields.status, (s) => s !== 'retired');
  $('n-format').innerHTML = options(session.config.exports);
  $('admin-codes').innerHTML = ctx.units.features
    .filter((f) => f.properties.level !== 'county')
    .map((f) => `<option value="${escapeHtml(f.properties.code)}">${escapeHtml(f.properties.name)}</option>`).join('');

  // the subcategories of the naming rules, in Chinese (a stored value the rules do not list is kept as it is)
  const subcategoryZh = {};
  ctx.valueLabels.place_names = { subcategory: subcategoryZh }; // the map's popups use them too
  api('/api/names/subcategories').then((list) => {
    const keep = $('f-subcategory').value;
    $('f-subcategory').innerHTML = '<option value="">(未指定)</option>' + list.map((s) => {
      subcategoryZh[s.code] = s.label_zh;
      const fits = s.generics.length ? `(通名:${s.generics.join('、')})` : '';
      return `<option value="${escapeHtml(s.code)}">${escapeHtml(s.label_zh + fits)}</option>`;
    }).join('');
    setValue('f-subcategory', keep);
  }).catch((err) => ctx.status(`未能载入地名小类:${err.message}`));
  const shown = (k, v) => escapeHtml(ctx.label('place_names', k, v)); // as the map's popups say it

  // a select gets an option for a value it does not list, so loading and saving never drop it
  function setValue(id, value) {
    const el = $(id);
    if (el.tagName === 'SELECT' && value && ![...el.options].some((o) => o.value === value)) {
      el.add(new Option(value, value));
    }
    el.value = value ?? '';
  }
  const values = () => Object.fromEntries(Object.entries(FIELDS).map(([k, id]) => [k, $(id).value.trim() || null]));
  const fill = (props) => { for (const [k, id] of Object.entries(FIELDS)) setValue(id, props[k] ?? ''); };
  const message = (text, kind = '') => { $('form-message').textContent = text; $('form-message').className = kind; };

  function placeMarker(lat, lon) {
    placeShape({ type: 'Point', coordinates: [lon, lat] });
  }

  // the name's shape on the map, editable by editors: a point is dragged, a line's or polygon's vertices
  // are dragged, added and removed (Geoman's edit mode)
  function placeShape(shape) {
    geometry = shape;
    if (marker) marker.remove();
    if (shape.type === 'Point') {
      const [lon, lat] = shape.coordinates;
      marker = L.marker([lat, lon], { draggable: can('editor'), title: '拖动以移动地名位置', keyboard: true }).addTo(map);
      marker.on('dragend', () => {
        const p = marker.getLatLng();
        changed({ type: 'Point', coordinates: [p.lng, p.lat] });
      });
    } else {
      marker = L.geoJSON(shape, { style: { color: style('drawing'), weight: 4, fillOpacity: 0.25 } }).addTo(map);
      if (can('editor')) {
        marker.eachLayer((l) => {
          l.pm.enable({ snappable: true });
          l.on('pm:edit', () => changed(l.toGeoJSON().geometry));
        });
      }
    }
    showWhere();
  }

  function changed(shape) {
    geometry = shape;
    showWhere();
    scheduleCheck();
  }

  const vertices = (shape) => JSON.stringify(shape.coordinates).match(/\[-?[\d.]+,-?[\d.]+\]/g)?.length ?? 0;
  const sameShape = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function showWhere() {
    const edited = current && current.geometry && !sameShape(current.geometry, geometry);
    const moved = edited ? `(已${geometry.type === 'Point' ? '移动' : '修改'},保存后生效)` : '';
    if (geometry.type === 'Point') {
      const [lon, lat] = geometry.coordinates;
      $('f-where').textContent = `位置:${lon.toFixed(6)}, ${lat.toFixed(6)}${moved}`;
    } else {
      const kind = geometry.type.includes('Line') ? '线' : '面';
      $('f-where').textContent = `${kind}:${vertices(geometry)} 个节点(拖动节点修改,靠近区划边界时自动吸附)${moved}`;
    }
  }

  function open(feature) {
    current = feature;
    document.dispatchEvent(new CustomEvent('name-opened', { detail: feature })); // the 审批 panel offers to apply
    form.hidden = false;
    $('conflict').hidden = true;
    $('history').innerHTML = '';
    $('override-row').hidden = true;
    $('f-override').value = '';
    $('f-reason').value = '';
    message('');
    if (feature) {
      const p = feature.properties;
      fill(p);
      $('form-title').textContent = `${p.name}(#${feature.id},版本 ${p.version}${p.status === 'retired' ? ',已废止' : ''})`;
      if (feature.geometry) placeShape(feature.geometry);
      $('retire-btn').hidden = !can('editor') || p.status === 'retired';
      $('restore-btn').hidden = !can('editor') || p.status !== 'retired';
      $('history-btn').hidden = false;
    } else {
      $('form-title').textContent = '新增地名';
      $('retire-btn').hidden = true;
      $('restore-btn').hidden = true;
      $('history-btn').hidden = true;
    }
    for (const id of Object.values(FIELDS)) $(id).disabled = !can('editor');
    scheduleCheck();
  }

  async function load(id) {
    return api(`/api/names/${id}`);
  }

  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  async function check() {
    const v = values();
    if (!v.name || !v.category || !v.admin_code) {
      $('romanized').textContent = '';
      $('findings').innerHTML = '';
      return;
    }
    try {
      const out = await api('/api/names/check', {
        method: 'POST',
        body: { name: v.name, category: v.category, admin_code: v.admin_code, subcategory: v.subcategory, geometry, exclude_id: current?.id ?? null },
      });
      if (values().name !== v.name) return; // typed on meanwhile
      // the words the spelling rests on (景山 | 后街), so an officer can see and correct the split
      const words = (out.words || []).map(([zh, roman]) => `${zh} ${roman}`).join(' | ');
      $('romanized').textContent = `拼写:${out.romanized}(专名“${out.specific}”,通名“${out.generic}”;按词:${words})`;
      showFindings(out.findings);
    } catch (err) {
      $('findings').innerHTML = `<li class="error">${escapeHtml(err.message)}</li>`;
    }
  }

  function showFindings(findings) {
    $('findings').innerHTML = findings.length
      ? findings.map((f) => `<li class="${f.severity}">${f.severity === 'error' ? '错误' : '提示'}:${escapeHtml(f.message)}</li>`).join('')
      : '<li class="ok">符合地名规则</li>';
    $('override-row').hidden = !findings.some((f) => f.severity === 'error');
  }

  function changes() {
    const v = values();
    const out = {};
    for (const k of Object.keys(FIELDS)) if ((current.properties[k] ?? null) !== v[k]) out[k] = v[k];
    if (geometry && !sameShape(current.geometry, geometry)) out.geometry = geometry;
    return out;
  }

  async function save(event) {
    event.preventDefault();
    $('conflict').hidden = true;
    const extra = { reason: $('f-reason').value.trim(), override_reason: $('f-override').value.trim() || null };
    try {
      let saved;
      if (!current) {
        if (!geometry) { message('请先在地图上点选位置', 'error'); return; }
        saved = await api('/api/names', { method: 'POST', body: { ...values(), geometry, ...extra } });
      } else {
        const diff = changes();
        if (!Object.keys(diff).length) { message('没有修改'); return; }
        saved = await api(`/api/names/${current.id}`, { method: 'PATCH', body: { version: current.properties.version, ...diff, ...extra } });
      }
      open(saved);
      message(`已保存(版本 ${saved.properties.version})`, 'ok');
      ctx.showName(saved);
    } catch (err) {
      if (err.status === 409 && current) showConflict(err);
      else if (err.status === 422 && err.body.details?.findings) { showFindings(err.body.details.findings); message(err.message, 'error'); }
      else message(err.message, 'error');
    }
  }

  function showConflict(err) {
    const d = err.body.details;
    const mine = changes();
    const rows = Object.keys(FIELDS)
      .filter((k) => (d.current[k] ?? null) !== (current.properties[k] ?? null))
      .map((k) => `<li>${fieldZh(k)}:${shown(k, current.properties[k])} → ${shown(k, d.current[k])}</li>`);
    const box = $('conflict');
    box.innerHTML = `<p>${escapeHtml(err.message)}</p><p>对方改动:</p><ul>${rows.join('') || '<li>(位置或其他字段)</li>'}</ul>`
      + `<p>你的改动:${Object.keys(mine).map(fieldZh).join('、') || '无'}</p>`
      + '<button type="button" id="reapply-btn">载入最新内容并重新应用我的修改</button> <button type="button" id="discard-btn">放弃我的修改</button>';
    box.hidden = false;
    $('reapply-btn').addEventListener('click', async () => {
      const latest = await load(current.id);
      const keepGeometry = mine.geometry;
      const keepReason = $('f-reason').value;  // the officer's reason and override go with the changes
      const keepOverride = $('f-override').value;
      open(latest);
      $('f-reason').value = keepReason;
      $('f-override').value = keepOverride;
      for (const [k, v] of Object.entries(mine)) if (k !== 'geometry') $(FIELDS[k]).value = v ?? '';
      if (keepGeometry) placeShape(keepGeometry);
      message(`已载入版本 ${latest.properties.version},你的修改已重新填入,请检查后保存`, 'ok');
    });
    $('discard-btn').addEventListener('click', async () => { open(await load(current.id)); message('已载入最新内容'); });
  }

  async function history() {
    const rows = await api(`/api/names/${current.id}/history`);
    $('history').innerHTML = rows.map((h) => {
      const before = h.before || {};
      const after = h.after || {};
      const changed = Object.keys(after).filter((k) => SHOWN.includes(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
      const what = h.action === 'insert' ? '新增' : changed.map((k) => (k === 'geometry' ? '移动位置' : `${fieldZh(k)}:${shown(k, before[k])} → ${shown(k, after[k])}`)).join(';');
      const back = can('editor') && h.version < current.properties.version
        ? ` <button type="button" class="revert" data-version="${h.version}">恢复到此版本</button>` : '';
      return `<li>版本 ${h.version} · ${escapeHtml(h.changed_by)} · ${beijingTime(h.changed_at)}${back}<br>${what}${h.reason ? `(${escapeHtml(h.reason)})` : ''}</li>`;
    }).join('');
  }

  // "revert to version N": the old content becomes a new version (the history keeps everything)
  $('history').addEventListener('click', async (event) => {
    const button = event.target.closest('button.revert');
    if (!button) return;
    const reason = $('f-reason').value.trim();
    if (!reason) { message('恢复到旧版本需要填写原因(修改说明)', 'error'); $('f-reason').focus(); return; }
    const to = Number(button.dataset.version);
    try {
      const body = { version: current.properties.version, to_version: to, reason, override_reason: $('f-override').value.trim() || null };
      const saved = await api(`/api/names/${current.id}/revert`, { method: 'POST', body });
      open(saved);
      message(`已恢复为版本 ${to} 的内容(新版本 ${saved.properties.version})`, 'ok');
      ctx.showName(saved);
    } catch (err) {
      if (err.status === 409) showConflict(err); else message(err.message, 'error');
    }
  });

  async function retireOrRestore(action) {
    const reason = $('f-reason').value.trim();
    if (action === 'retire' && !reason) { message('废止需要填写原因(修改说明)', 'error'); $('f-reason').focus(); return; }
    try {
      const body = { version: current.properties.version, reason };
      if (action === 'restore') body.override_reason = $('f-override').value.trim() || null;
      const saved = await api(`/api/names/${current.id}/${action}`, { method: 'POST', body });
      open(saved);
      message(action === 'retire' ? '已废止(记录保留)' : '已恢复', 'ok');
      ctx.showName(saved);
    } catch (err) {
      if (err.status === 409) showConflict(err); else message(err.message, 'error');
    }
  }

  form.addEventListener('submit', save);
  for (const id of Object.values(FIELDS)) $(id).addEventListener('input', scheduleCheck);
  $('history-btn').addEventListener('click', history);
  $('retire-btn').addEventListener('click', () => retireOrRestore('retire'));
  $('restore-btn').addEventListener('click', () => retireOrRestore('restore'));
  $('close-btn').addEventListener('click', () => { form.hidden = true; if (marker) marker.remove(); current = null; });
  $('new-name').addEventListener('click', () => ctx.pickPoint('请在地图上点击新地名的位置', place));
  // a line or an area is drawn on the map (click the vertices, click the last one again to finish)
  const draw = (shape, category, prompt) => () => {
    ctx.status(prompt);
    // while drawing, clicks go to the map, not to the units' popups (the vertices still snap to them)
    map.pm.enableDraw(shape, { snappable: true, finishOn: shape === 'Line' ? 'dblclick' : null });
    map.getContainer().classList.add('drawing'); // (after enabling: that ends any drawing under way first)
    map.once('pm:drawend', () => map.getContainer().classList.remove('drawing'));
    map.once('pm:create', ({ layer }) => {
      const drawn = layer.toGeoJSON().geometry;
      layer.remove();
      const [lon, lat] = drawn.type === 'Polygon' ? drawn.coordinates[0][0] : drawn.coordinates[0];
      place(L.latLng(lat, lon), drawn, category);
    });
  };
  $('new-line').addEventListener('click', draw('Line', 'transport_facility', '在地图上依次点击线的节点,双击结束'));
  $('new-area').addEventListener('click', draw('Polygon', 'non_administrative_area', '在地图上依次点击面的节点,点回第一个节点结束'));
  async function place(latlng, drawn = null, category = 'self_governing_org') {
    open(null);
    fill({ status: 'current', category });
    placeShape(drawn || { type: 'Point', coordinates: [latlng.lng, latlng.lat] });
    $('f-name').focus();
    // the admin code of the smallest unit where the click falls (the server knows the polygons)
    try {
      const units = await api(`/api/names/admin-units-at?lon=${latlng.lng}&lat=${latlng.lat}`);
      const best = units.find((u) => u.level !== 'county');
      if (best && !$('f-admin').value) { $('f-admin').value = best.code; scheduleCheck(); }
      ctx.status(best ? `位置在 ${best.name}` : '位置不在本区范围内');
    } catch (err) {
      ctx.status(`未能确定所在区划:${err.message}`);
    }
  }

  // exports of the whole gazetteer and the clean-up report
  const exported = async (url, name) => {
    $('n-export-status').textContent = '正在生成…';
    try {
      const size = await download(url, name);
      $('n-export-status').textContent = `已下载 ${name}(${(size / 1024).toFixed(0)} KB)`;
    } catch (err) {
      $('n-export-status').textContent = `导出失败:${err.message}`;
    }
  };
  $('n-export').addEventListener('click', () => {
    // the census exchange (national place-name database's fields and class codes) comes as XLSX or CSV
    const [census, fmt] = $('n-format').value.startsWith('census-')
      ? [true, $('n-format').value.slice('census-'.length)] : [false, $('n-format').value];
    exported(`/api/names/export?format=${fmt}${census ? '&census=true' : ''}`, `${census ? '地名普查交换' : '标准地名'}.${fmt}`);
  });
  $('n-cleanup').addEventListener('click', () => exported('/api/names/cleanup-report', '不规范地名清理报告.xlsx'));

  // search (Chinese, pinyin, initials), results open the name
  const list = $('results');
  const LISTED = 1000; // the most names an empty search lists (the API's bound): more are said to be cut
  $('search-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = $('search').value.trim();
    const town = $('township').value;
    // an empty box with a township chosen lists the township's names, in pinyin order
    if (!q && !town) { ctx.status('请输入地名、拼音或首字母;或先选乡镇(街道),再按“查询”列出它的全部地名'); return; }
    list.innerHTML = '';
    try {
      const url = q
        ? `/api/names?q=${encodeURIComponent(q)}&limit=20${town ? `&township=${town}` : ''}`
        : `/api/names?township=${town}&limit=${LISTED}`;
      const hits = await api(url);
      if (!hits.length) list.innerHTML = '<li>没有找到</li>';
      for (const h of hits) {
        const li = document.createElement('li');
        li.tabIndex = 0;
        li.innerHTML = `${escapeHtml(h.name)} <span class="rom">${escapeHtml(h.romanized)}</span>${h.status === 'retired' ? ' <span class="rom">(已废止)</span>' : ''}`;
        const go = async () => {
          if (h.lat !== null) map.setView([h.lat, h.lon], 15, { animate: false });
          open(await load(h.id));
          marker.bindPopup(`${escapeHtml(h.name)}<br>${escapeHtml(h.romanized)}`).openPopup(h.lat !== null ? [h.lat, h.lon] : undefined);
        };
        li.addEventListener('click', go);
        li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
        list.appendChild(li);
      }
      const place = $('township').selectedOptions[0].textContent;
      ctx.status(q ? `找到 ${hits.length} 个地名`
        : hits.length >= LISTED ? `${place}的前 ${hits.length} 个地名(按拼音排序;输入查询词可缩小范围)`
          : `${place}共 ${hits.length} 个地名(按拼音排序)`);
    } catch (err) {
      ctx.status(`查询失败:${err.message}`);
    }
  });
}
