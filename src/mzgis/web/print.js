// 打印出图: the server draws the current view (the map's extent and the layers switched on) on A4 or A3
// with title, legend, scale bar, north arrow, source and date (GET /api/print, as `mzgis map` does).

import { download, options, session } from './api.js';

export function setupPrint(ctx) {
  const $ = (id) => document.getElementById(id);
  const dialog = $('print-dialog');
  $('print-paper').innerHTML = options(Object.fromEntries(session.config.papers.map((p) => [p, p])));
  $('print-format').innerHTML = options(session.config.print_formats);
  $('print-orient').innerHTML = options(session.config.print_orientations);
  $('print-btn').addEventListener('click', () => {
    const town = $('township');
    const coverage = !$('tab-coverage').hidden && document.body.dataset.coverage;
    $('print-heading').value = town.value && !coverage ? `${town.selectedOptions[0].textContent}民政设施分布图` : '';
    $('print-heading').placeholder = '留空则按视图命名';
    $('print-message').textContent = '';
    dialog.showModal();
  });
  $('print-cancel').addEventListener('click', () => dialog.close());
  $('print-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const b = ctx.map.getBounds();
    const shown = Object.entries(ctx.overlays).filter(([, layer]) => ctx.map.hasLayer(layer));
    const layers = [...new Set(shown.map(([title]) => ctx.overlayLayers[title]).filter(Boolean))];
    const format = $('print-format').value;
    const params = new URLSearchParams({
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(','),
      layers: layers.join(','),
      paper: $('print-paper').value,
      portrait: String($('print-orient').value === 'portrait'),
      format,
    });
    // from the 覆盖 tab: the townships coloured against the target shown there, as on the screen
    if (!$('tab-coverage').hidden && document.body.dataset.coverage) params.set('coverage', document.body.dataset.coverage);
    const title = $('print-heading').value.trim();
    if (title) params.set('title', title);
    $('print-message').textContent = '正在出图…';
    $('print-go').disabled = true;
    try {
      const name = `${title || (params.has('coverage') ? '达标情况图' : '民政设施分布图')}.${format}`;
      const size = await download(`/api/print?${params}`, name);
      $('print-message').textContent = `已下载 ${name}(${(size / 1024).toFixed(0)} KB)`;
    } catch (err) {
      $('print-message').textContent = `出图失败:${err.message}`;
    } finally {
      $('print-go').disabled = false;
    }
  });
}
