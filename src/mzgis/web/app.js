// The map page: every layer of the store drawn from the API (EPSG:4490 lon/lat as GeoJSON), Chinese first,
// with the gazetteer, boundary and coverage panels. No request leaves this server unless base tiles are
// configured. All rules and analyses run on the server; the page shows their results.

import { api, hooks, session, signIn, signOut, whoAmI, can, escapeHtml, fetchFeatures, style } from './api.js';
import { askPasswordChange, askSecondFactor, expiryWarning } from './password.js';

// what the server asks of a user before anything else: a password changed, or a second factor set
const settlePending = () => (session.user.password_change === 'second_factor' ? askSecondFactor() : askPasswordChange(true));
import { setupNames } from './names.js';
import { setupBoundary } from './boundary.js';
import { setupCoverage } from './coverage.js';
import { setupUsers } from './users.js';
import { setupPrint } from './print.js';
import { setupAttributes } from './attributes.js';
import { setupProcedures } from './procedures.js';

const map = L.map('map', { attributionControl: false });
const statusEl = document.getElementById('status');
// the point layers drawn on every page, and the field their colour follows
const POINT_LAYERS = [['eldercare_facilities', 'kind'], ['community_complexes', 'kind'], ['burial_sites', 'kind'], ['boundary_markers', 'condition']];

// What the panels share.
const ctx = {
  map,
  layerInfo: {},        // name → {label_zh, fields: {name → field}}
  valueLabels: {},      // layer → field → value → Chinese name (e.g. the naming rules' subcategories)
  overlays: {},         // Chinese title → Leaflet layer
  overlayLayers: {},    // Chinese title → the store layer it draws (what 打印 asks the server to draw)
  units: null,          // admin units GeoJSON
  townLayer: null,
  villageLayer: null,
  highlight: L.layerGroup().addTo(map),
  status: (text) => { statusEl.textContent = text; },
  label,
  popup,
  showName: () => {},   // redraw one saved name on the map (set once the layer is loaded)
  pickPoint,
};

// One click on the map picks a point: the callback gets its latlng. 'preclick' also fires on clicks that
// land on a layer (whose popup would stop the map's 'click'); the popup that opens is closed again.
let picker = null;
function pickPoint(prompt, callback) {
  picker = callback;
  map.getContainer().classList.add('picking');
  ctx.status(prompt);
}
map.on('preclick', (e) => {
  if (!picker) return;
  const callback = picker;
  picker = null;
  setTimeout(() => map.closePopup(), 0);
  map.getContainer().classList.remove('picking');
  callback(e.latlng);
});

function label(layer, key, value) {
  const extra = ctx.valueLabels[layer]?.[key]?.[value]; // Chinese names a panel knows beyond the layer model
  if (extra) return extra;
  const field = ctx.layerInfo[layer]?.fields[key];
  if (field && field.choices.length) {
    const i = field.choices.indexOf(value);
    if (i >= 0 && field.choice_labels_zh[i]) return field.choice_labels_zh[i];
  }
  if (value === true) return '是';
  if (value === false) return '否';
  return value === null || value === undefined ? '' : String(value);
}

// the colour a value is drawn in: the layer model's, as the legend and the QGIS project show it
function colour(layer, key, value) {
  const field = ctx.layerInfo[layer]?.fields[key];
  const i = field ? field.choices.indexOf(value) : -1;
  return (i >= 0 && field.choice_colours[i]) || style('other');
}

function popup(layer) {
  return (feature) => {
    const info = ctx.layerInfo[layer];
    const rows = Object.entries(feature.properties)
      .filter(([k, v]) => info?.fields[k] && !info.fields[k].derived && v !== null && v !== '') // empty and derived fields are left out
      .map(([k, v]) => `<tr><th>${escapeHtml(info.fields[k].label_zh)}</th><td>${escapeHtml(label(layer, k, v))}</td></tr>`);
    return `<b>${escapeHtml(info.label_zh)}</b><table>${rows.join('')}</table>`;
  };
}

function pointLayer(name, data, colourKey) {
  const labelled = name === 'place_names'; // names are labelled when zoomed in (see labelsByZoom)
  return L.geoJSON(data, {
    onEachFeature: labelled ? (f, l) => l.bindTooltip(escapeHtml(f.properties.name), { permanent: true, direction: 'right', offset: [6, 0], className: 'name-label' }) : undefined,
    pointToLayer: (f, latlng) => L.circleMarker(latlng, {
      radius: name === 'eldercare_facilities' && f.properties.kind === 'day_care_station' ? 3 : 6,
      color: style('outline'), weight: 1, fillOpacity: 0.9, fillColor: colour(name, colourKey, f.properties[colourKey]),
    }),
    style: () => ({ color: style('line'), weight: 1, fillOpacity: 0.4 }),
  }).bindPopup((l) => popup(name)(l.feature));
}

async function loadLayers() {
  const layers = await api('/api/layers');
  for (const info of layers) {
    ctx.layerInfo[info.name] = { label_zh: info.label_zh, fields: Object.fromEntries(info.fields.map((f) => [f.name, f])) };
  }
  ctx.units = await fetchFeatures('admin_units');
  const byLevel = (level) => ({ ...ctx.units, features: ctx.units.features.filter((f) => f.properties.level === level) });
  const county = L.geoJSON(byLevel('county'), { style: { color: colour('admin_units', 'level', 'county'), weight: 3, fillOpacity: 0 } })
    .bindPopup((l) => popup('admin_units')(l.feature));
  ctx.townLayer = L.geoJSON(byLevel('township'), { style: { color: colour('admin_units', 'level', 'township'), weight: 2, fillColor: style('township_fill'), fillOpacity: 0.35 } })
    .bindPopup((l) => popup('admin_units')(l.feature));
  ctx.townLayer.eachLayer((l) => l.bindTooltip(escapeHtml(l.feature.properties.name), { permanent: true, direction: 'center', className: 'town-label' }));
  ctx.villageLayer = L.geoJSON(byLevel('village'), { style: { color: colour('admin_units', 'level', 'village'), weight: 0.6, fillOpacity: 0 } })
    .bindPopup((l) => popup('admin_units')(l.feature));
  ctx.villageLayer.eachLayer((l) => l.bindTooltip(escapeHtml(l.feature.properties.name), { permanent: true, direction: 'center', className: 'village-label' }));
  ctx.overlays['区县界'] = county.addTo(map);
  ctx.overlays['乡镇(街道)'] = ctx.townLayer.addTo(map);
  ctx.overlays['村(社区)'] = ctx.villageLayer.addTo(map);
  for (const title of ['区县界', '乡镇(街道)', '村(社区)']) ctx.overlayLayers[title] = 'admin_units';

  const lines = await fetchFeatures('boundary_lines');
  const side = (s) => ({ ...lines, features: lines.features.filter((f) => f.properties.side === s) });
  ctx.overlays['界线(本方)'] = L.geoJSON(side('ours'), { style: { color: colour('boundary_lines', 'side', 'ours'), weight: 3 } })
    .bindPopup((l) => popup('boundary_lines')(l.feature)).addTo(map);
  ctx.overlays['界线(对方)'] = L.geoJSON(side('neighbour'), { style: { color: colour('boundary_lines', 'side', 'neighbour'), weight: 2, dashArray: '6 4' } })
    .bindPopup((l) => popup('boundary_lines')(l.feature));
  ctx.overlayLayers['界线(本方)'] = 'boundary_lines:ours';
  ctx.overlayLayers['界线(对方)'] = 'boundary_lines:neighbour';
  for (const [name, key] of POINT_LAYERS) {
    ctx.overlays[ctx.layerInfo[name].label_zh] = pointLayer(name, await fetchFeatures(name), key).addTo(map);
    ctx.overlayLayers[ctx.layerInfo[name].label_zh] = name;
  }
  const names = L.layerGroup();
  ctx.overlays['标准地名'] = names;
  ctx.overlayLayers['标准地名'] = 'place_names';
  const namesLayer = pointLayer('place_names', await fetchFeatures('place_names'), 'category');
  names.addLayer(namesLayer);
  // a saved name is redrawn in place: the whole gazetteer is not fetched again after each save
  ctx.showName = (feature) => {
    namesLayer.eachLayer((l) => { if (l.feature.id === feature.id) namesLayer.removeLayer(l); });
    namesLayer.addData(feature);
  };
  const bases = {};
  if (session.config.tile_url) {
    bases['底图'] = L.tileLayer(session.config.tile_url, { attribution: session.config.tile_attribution, maxZoom: 18 }).addTo(map);
    L.control.attribution({ prefix: false }).addTo(map);
  }
  L.control.layers(bases, ctx.overlays, { collapsed: false }).addTo(map);
  // the county's townships, else whatever the data holds; a county file without polygons still works
  const drawn = [ctx.townLayer, county, ctx.villageLayer, ...Object.values(ctx.overlays)];
  ctx.home = drawn.map((l) => (l.getBounds ? l.getBounds() : null)).find((b) => b && b.isValid()) || null;
  if (ctx.home) map.fitBounds(ctx.home);
  else map.setView([35, 105], 4); // China, until something is drawn
  labelsByZoom();
  const levels = { county: '区县', township: '乡镇(街道)', village: '村(社区)' };
  // a level is missing when none of its units has a polygon (codes may be registered before their polygons)
  const missing = Object.keys(levels).filter((level) => !byLevel(level).features.some((f) => f.geometry)).map((level) => levels[level]);
  ctx.loaded = missing.length
    ? `已加载;数据中还没有${missing.join('、')}区划面(可用 mzgis import admin_units 导入),覆盖分析需要乡镇和村两级`
    : '已加载';
  return byLevel('township').features;
}

// village names from zoom 13 (a township fills the map), place names from zoom 15 (a village does)
function labelsByZoom() {
  const zoom = map.getZoom();
  map.getContainer().classList.toggle('show-villages', zoom >= 13);
  map.getContainer().classList.toggle('show-names', zoom >= 15);
}
map.on('zoomend', labelsByZoom);

function addLegend() {
  const legend = L.control({ position: 'bottomright' });
  legend.onAdd = () => {
    const div = L.DomUtil.create('div', 'legend');
    // per point layer, its kinds in the layer model's Chinese, each in the colour the map draws it
    const rows = POINT_LAYERS.map(([name, key]) => {
      const info = ctx.layerInfo[name];
      const field = info.fields[key];
      const swatches = field.choices.map((c, i) => `<span class="item"><i style="background:${colour(name, key, c)}"></i>${escapeHtml(field.choice_labels_zh[i] || c)}</span>`);
      return `<div><b>${escapeHtml(info.label_zh)}</b> ${swatches.join(' ')}</div>`;
    });
    const names = `<div><b>${escapeHtml(ctx.layerInfo.place_names.label_zh)}</b> <span class="item"><i style="background:${style('other')}"></i>点、线、面</span></div>`;
    div.innerHTML = '<b>图例</b>' + rows.join('') + names;
    return div;
  };
  legend.addTo(map);
}

// the unit selector: the townships of the county; in a store of several counties (a city's database) each
// county that has townships comes first in its group, then its townships
function setupTownships(townships) {
  const select = document.getElementById('township');
  const counties = new Map(
    ctx.units.features.filter((f) => f.properties.level === 'county').map((c) => [c.properties.code, c]),
  );
  const withTowns = [...new Set(townships.map((t) => t.properties.parent_code))].filter((code) => counties.has(code)).sort();
  const option = (code, text) => {
    const opt = document.createElement('option');
    opt.value = code;
    opt.textContent = text;
    return opt;
  };
  const byCode = (a, b) => a.properties.code.localeCompare(b.properties.code);
  if (withTowns.length > 1) {
    select.options[0].textContent = '全部区县';
    for (const code of withTowns) {
      const county = counties.get(code);
      const group = document.createElement('optgroup');
      group.label = county.properties.name;
      group.appendChild(option(code, `${county.properties.name}(全区)`));
      for (const t of townships.filter((t) => t.properties.parent_code === code).sort(byCode)) {
        group.appendChild(option(t.properties.code, t.properties.name));
      }
      select.appendChild(group);
    }
  } else {
    for (const t of townships.sort(byCode)) select.appendChild(option(t.properties.code, t.properties.name));
  }
  select.addEventListener('change', () => {
    const code = select.value;
    ctx.villageLayer.eachLayer((l) => {
      const mine = !code || String(l.feature.properties.parent_code).startsWith(code);
      l.setStyle({ opacity: mine ? 1 : 0.15 });
    });
    const target = townships.find((t) => t.properties.code === code) || counties.get(code);
    const bounds = target && target.geometry ? L.geoJSON(target).getBounds() : target ? null : ctx.home; // 全区: the county, not its neighbours
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { animate: false });
    else if (target) ctx.status(`${target.properties.name}还没有区划面`);
  });
}

// finding a unit by a part of its name or its code (the county's 200-odd villages do not fit a selector):
// a county or township is chosen in the selector; a village chooses its township and is zoomed to
function setupUnitFinder() {
  const input = document.getElementById('unit-find');
  const units = ctx.units.features.map((f) => f.properties);
  const label = (u) => `${u.name}(${u.code})`;
  document.getElementById('unit-list').innerHTML = units
    .map((u) => `<option value="${escapeHtml(label(u))}"></option>`).join('');
  const find = () => {
    const text = input.value.trim();
    if (!text) return;
    const exact = units.filter((u) => label(u) === text || u.code === text || u.name === text);
    const found = exact.length ? exact : units.filter((u) => u.name.includes(text) || u.code.startsWith(text));
    if (found.length !== 1) {
      const some = found.slice(0, 5).map(label).join('、');
      ctx.status(found.length ? `“${text}”对应 ${found.length} 个区划:${some}${found.length > 5 ? ' …' : ''},请选一个` : `没有名称或代码含“${text}”的区划`);
      return;
    }
    const unit = found[0];
    const feature = ctx.units.features.find((f) => f.properties.code === unit.code);
    const select = document.getElementById('township');
    const chosen = unit.level === 'village' ? unit.parent_code : unit.code;
    if ([...select.options].some((o) => o.value === chosen)) {
      select.value = chosen;
      select.dispatchEvent(new Event('change'));
    }
    if (unit.level === 'village' && feature.geometry) map.fitBounds(L.geoJSON(feature).getBounds(), { animate: false });
    input.value = label(unit);
    ctx.status(feature.geometry ? label(unit) : `${label(unit)}还没有区划面`);
  };
  input.addEventListener('change', find);
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); find(); } });
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role=tab]')].filter((t) => !t.hidden);
  const show = (tab) => {
    ctx.highlight.clearLayers(); // a finding highlighted in one panel does not linger in the next
    map.closePopup();
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    }
    tab.dispatchEvent(new CustomEvent('shown'));
  };
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => show(t));
    t.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
        show(next);
        next.focus();
      }
    });
  });
}

// The scale bar in the units officers write (米, 千米; GB/T 3101), Leaflet's own rounding kept.
function chineseScale() {
  const Scale = L.Control.Scale.extend({
    _updateMetric(maxMeters) {
      const meters = this._getRoundNum(maxMeters);
      this._updateScale(this._mScale, meters < 1000 ? `${meters} 米` : `${meters / 1000} 千米`, meters / maxMeters);
    },
  });
  return new Scale({ imperial: false });
}

function applyRole() {
  const who = document.getElementById('who');
  const out = document.getElementById('sign-out');
  document.getElementById('password-btn').hidden = !session.user;
  document.getElementById('second-factor-btn').hidden = !session.user;
  if (session.user) {
    const warning = expiryWarning(session.user, session.config.password_warn_days);
    who.textContent = `${session.user.name}(${session.user.role_zh})${warning ? ` · ${warning}` : ''}`;
    out.hidden = false;
  } else {
    who.innerHTML = '<button type="button" id="sign-in-btn">登录</button>';
    document.getElementById('sign-in-btn').addEventListener('click', () => askSignIn().then(() => location.reload()));
    out.hidden = true;
  }
  for (const el of document.querySelectorAll('.editor-only')) el.hidden = !can('editor');
  for (const el of document.querySelectorAll('.planner-only')) el.hidden = !can('planner');
  for (const el of document.querySelectorAll('.needs-role')) el.hidden = can('planner');
  for (const el of document.querySelectorAll('.admin-only')) el.hidden = !can('admin');
}

// The sign-in dialog; resolves once a user has signed in (with the same name when one was signed in).
// Requests that fail together share one dialog.
let pendingSignIn = null;
function askSignIn(reason = '') {
  if (!pendingSignIn) pendingSignIn = openSignIn(reason).finally(() => { pendingSignIn = null; });
  return pendingSignIn;
}

function openSignIn(reason) {
  const dialog = document.getElementById('signin');
  const form = document.getElementById('signin-form');
  const message = document.getElementById('signin-message');
  const before = session.user?.name;
  message.textContent = reason;
  if (before) document.getElementById('signin-name').value = before;
  document.getElementById('signin-password').value = '';
  return new Promise((resolve) => {
    form.onsubmit = async (event) => {
      event.preventDefault();
      message.textContent = '';
      try {
        const name = document.getElementById('signin-name').value;
        if (before && name.trim() !== before) {
          message.textContent = `请以 ${before} 登录,以便继续刚才的操作(或退出后换用户)`;
          return;
        }
        await signIn(name, document.getElementById('signin-password').value, document.getElementById('signin-code').value);
        dialog.close();
        if (session.user.password_change) await settlePending(); // nothing else is allowed before
        resolve();
      } catch (err) {
        if (err.body?.details?.second_factor) { // the account signs in with a one-time code as well
          document.getElementById('signin-code-row').hidden = false;
          document.getElementById('signin-code').focus();
        }
        message.textContent = err.message;
      }
    };
    dialog.addEventListener('cancel', (e) => e.preventDefault());
    dialog.showModal();
    document.getElementById('signin-name').focus();
  });
}

(async () => {
  try {
    session.config = await api('/api/config');
    if (session.config.tile_url) map.options.attributionControl = true;
    if (!(await whoAmI()) && !session.config.open_reads) {
      ctx.status('请登录');
      await askSignIn();
    } else if (session.user?.password_change) {
      await settlePending();
    }
    applyRole();
    document.getElementById('password-btn').addEventListener('click', async () => {
      if (await askPasswordChange()) { applyRole(); ctx.status('密码已修改;其他地方的登录均已失效'); }
    });
    document.getElementById('second-factor-btn').addEventListener('click', async () => {
      if (await askSecondFactor(false)) ctx.status('动态口令已设置:以后登录还须输入身份验证器中的 6 位数字');
    });
    hooks.signIn = askSignIn;
    document.getElementById('sign-out').addEventListener('click', async () => { await signOut(); location.reload(); });
    setupTabs();
    const townships = await loadLayers();
    addLegend();
    chineseScale().addTo(map);
    setupTownships(townships);
    setupUnitFinder();
    setupNames(ctx);
    setupBoundary(ctx);
    setupCoverage(ctx);
    setupUsers(ctx);
    setupPrint(ctx);
    setupAttributes(ctx);
    await setupProcedures(ctx);
    ctx.status(ctx.loaded);
    document.body.dataset.ready = 'true';
  } catch (err) {
    ctx.status(`加载失败:${err.message}`);
  }
})();
