// The map page: every layer of the store, drawn from the API (EPSG:4490 lon/lat as GeoJSON), Chinese first.
// No base tiles: the admin units are the base. No request leaves this server.

const map = L.map('map', { attributionControl: false });
const status = document.getElementById('status');
const layerInfo = {};        // name → {label_zh, fields: {name → field}}
const overlays = {};         // Chinese title → Leaflet layer
let units = null;            // admin units GeoJSON
let villageLayer = null;

const COLOURS = {
  institution: '#e76f51', home_care_centre: '#f4a261', day_care_station: '#2a9d8f',
  urban: '#6a4c93', rural: '#8ac926', columbarium: '#555', cemetery: '#555', tree: '#2d6a4f',
  intact: '#2a9d8f', damaged: '#e9c46a', missing: '#d62828',
};

async function getJSON(url) {
  const resp = await fetch(url);
  if (!resp.ok) {
    const body = await resp.json().catch(() => ({}));
    throw new Error(body.message || resp.statusText);
  }
  return resp.json();
}

function label(layer, key, value) {
  const field = layerInfo[layer]?.fields[key];
  if (field && field.choices.length) {
    const i = field.choices.indexOf(value);
    if (i >= 0 && field.choice_labels_zh[i]) return field.choice_labels_zh[i];
  }
  if (value === true) return '是';
  if (value === false) return '否';
  return value === null || value === undefined ? '' : String(value);
}

function popup(layer) {
  return (feature) => {
    const rows = Object.entries(feature.properties)
      .filter(([k]) => layerInfo[layer]?.fields[k])
      .map(([k, v]) => `<tr><th>${layerInfo[layer].fields[k].label_zh}</th><td>${label(layer, k, v)}</td></tr>`);
    return `<b>${layerInfo[layer].label_zh}</b><table>${rows.join('')}</table>`;
  };
}

function pointLayer(name, data, colourKey) {
  return L.geoJSON(data, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, {
      radius: name === 'eldercare_facilities' && f.properties.kind === 'day_care_station' ? 3 : 6,
      color: '#222', weight: 1, fillOpacity: 0.9, fillColor: COLOURS[f.properties[colourKey]] || '#3388ff',
    }),
    style: () => ({ color: '#555', weight: 1, fillOpacity: 0.4 }),
  }).bindPopup((l) => popup(name)(l.feature));
}

async function loadLayers() {
  const layers = await getJSON('/api/layers');
  for (const info of layers) {
    layerInfo[info.name] = { label_zh: info.label_zh, fields: Object.fromEntries(info.fields.map((f) => [f.name, f])) };
  }
  const fetchLayer = (name) => getJSON(`/api/layers/${name}/features?limit=10000`);
  units = await fetchLayer('admin_units');
  const byLevel = (level) => ({ ...units, features: units.features.filter((f) => f.properties.level === level) });
  const county = L.geoJSON(byLevel('county'), { style: { color: '#1d3557', weight: 3, fillOpacity: 0 } })
    .bindPopup((l) => popup('admin_units')(l.feature));
  const towns = L.geoJSON(byLevel('township'), { style: { color: '#1d3557', weight: 2, fillColor: '#cdd9e5', fillOpacity: 0.35 } })
    .bindPopup((l) => popup('admin_units')(l.feature));
  towns.eachLayer((l) => l.bindTooltip(l.feature.properties.name, { permanent: true, direction: 'center', className: 'town-label' }));
  villageLayer = L.geoJSON(byLevel('village'), { style: { color: '#7890a8', weight: 0.6, fillOpacity: 0 } })
    .bindPopup((l) => popup('admin_units')(l.feature));
  overlays['区县界'] = county.addTo(map);
  overlays['乡镇(街道)'] = towns.addTo(map);
  overlays['村(社区)'] = villageLayer.addTo(map);

  const specs = [
    ['eldercare_facilities', 'kind', '养老服务设施'],
    ['community_complexes', 'kind', '社区服务综合体'],
    ['burial_sites', 'kind', '节地生态安葬点'],
    ['boundary_markers', 'condition', '界桩'],
    ['place_names', 'category', '标准地名'],
  ];
  const lines = await fetchLayer('boundary_lines');
  overlays['界线(本方)'] = L.geoJSON({ ...lines, features: lines.features.filter((f) => f.properties.side === 'ours') },
    { style: { color: '#d62828', weight: 3 } }).bindPopup((l) => popup('boundary_lines')(l.feature)).addTo(map);
  overlays['界线(对方)'] = L.geoJSON({ ...lines, features: lines.features.filter((f) => f.properties.side === 'neighbour') },
    { style: { color: '#f77f00', weight: 2, dashArray: '6 4' } }).bindPopup((l) => popup('boundary_lines')(l.feature));
  for (const [name, key, title] of specs) {
    const layer = pointLayer(name, await fetchLayer(name), key);
    overlays[title] = layer;
    if (name !== 'place_names') layer.addTo(map);
  }
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  map.fitBounds(towns.getBounds());
  return byLevel('township').features;
}

function addLegend() {
  const legend = L.control({ position: 'bottomright' });
  legend.onAdd = () => {
    const div = L.DomUtil.create('div', 'legend');
    const items = [['institution', '养老机构'], ['home_care_centre', '居家养老服务中心'], ['day_care_station', '照料中心'],
      ['urban', '社区服务综合体'], ['columbarium', '生态安葬点'], ['intact', '界桩 完好'], ['damaged', '界桩 损坏'], ['missing', '界桩 丢失']];
    div.innerHTML = '<b>图例</b><br>' + items.map(([k, t]) => `<i style="background:${COLOURS[k]}"></i>${t}`).join('<br>');
    return div;
  };
  legend.addTo(map);
}

function setupTownships(townships) {
  const select = document.getElementById('township');
  for (const t of townships.sort((a, b) => a.properties.code.localeCompare(b.properties.code))) {
    const opt = document.createElement('option');
    opt.value = t.properties.code;
    opt.textContent = t.properties.name;
    select.appendChild(opt);
  }
  select.addEventListener('change', () => {
    const code = select.value;
    villageLayer.eachLayer((l) => {
      const mine = !code || l.feature.properties.parent_code === code;
      l.setStyle({ opacity: mine ? 1 : 0.15 });
    });
    const target = townships.find((t) => t.properties.code === code);
    map.fitBounds(L.geoJSON(target || units).getBounds(), { animate: false });
  });
}

function setupSearch() {
  const form = document.getElementById('search-form');
  const input = document.getElementById('search');
  const list = document.getElementById('results');
  let marker = null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    list.innerHTML = '';
    try {
      const town = document.getElementById('township').value;
      const hits = await getJSON(`/api/names?q=${encodeURIComponent(q)}&limit=20${town ? `&township=${town}` : ''}`);
      if (!hits.length) list.innerHTML = '<li>没有找到</li>';
      for (const h of hits) {
        const li = document.createElement('li');
        li.tabIndex = 0;
        li.innerHTML = `${h.name} <span class="rom">${h.romanized}</span>`;
        const go = () => {
          if (h.lat === null) return;
          map.setView([h.lat, h.lon], 15, { animate: false });
          if (marker) marker.remove();
          marker = L.marker([h.lat, h.lon]).addTo(map).bindPopup(`${h.name}<br>${h.romanized}`).openPopup();
        };
        li.addEventListener('click', go);
        li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
        list.appendChild(li);
      }
      status.textContent = `找到 ${hits.length} 个地名`;
    } catch (err) {
      status.textContent = `查询失败:${err.message}`;
    }
  });
}

(async () => {
  try {
    const townships = await loadLayers();
    addLegend();
    L.control.scale({ imperial: false }).addTo(map);
    setupTownships(townships);
    setupSearch();
    status.textContent = '已加载';
    document.body.dataset.ready = 'true';
  } catch (err) {
    status.textContent = `加载失败:${err.message}`;
  }
})();
