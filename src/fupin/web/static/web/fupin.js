// Fupin's page script: small helpers around htmx (installed from npm and loaded before this).
document.addEventListener("DOMContentLoaded", () => {
  // Charts: every element with data-chart holds an ECharts option as JSON in a <script> child.
  const draw = (root) => {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach((el) => {
      const source = document.getElementById(el.dataset.chart);
      if (!source) return;
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
