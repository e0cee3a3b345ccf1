// The measure form: the sub-type list follows the chosen category, and the loan's own fields
// show only for 扶贫小额信贷. Without JavaScript every sub-type and the loan fields are shown,
// and the services refuse what does not fit.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-measure-form]");
  if (!form) return;
  const category = form.querySelector("select[name=category]");
  const subtype = form.querySelector("select[name=subtype]");
  const loan = form.querySelector("[data-loan]");
  if (!category || !subtype) return;
  const blank = subtype.querySelector("option[value='']");
  const blankText = blank ? blank.textContent : "";
  // Each optgroup is labelled with its category's label, as the category options are.
  const groups = Array.from(subtype.querySelectorAll("optgroup")).map((g) => ({
    label: g.label,
    options: Array.from(g.querySelectorAll("option")).map((o) => [o.value, o.textContent]),
  }));
  const option = (value, text) => {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  };
  const apply = () => {
    const current = subtype.value;
    const chosen = category.value ? category.options[category.selectedIndex].textContent : "";
    subtype.replaceChildren(option("", blankText));
    groups.forEach((g) => {
      if (chosen && g.label !== chosen) return;
      const parent = chosen ? subtype : subtype.appendChild(document.createElement("optgroup"));
      if (!chosen) parent.label = g.label;
      g.options.forEach(([value, text]) => parent.appendChild(option(value, text)));
    });
    const values = Array.from(subtype.options).map((o) => o.value);
    if (current && values.includes(current)) subtype.value = current;
    else if (values.length === 2) subtype.value = values[1]; // one sub-type only: take it
    if (loan) loan.hidden = category.value !== "microcredit";
  };
  category.addEventListener("change", apply);
  apply();
});

// The visit form: the cadre may attach the phone's location (only when asked; without
// JavaScript or a location the visit is saved without one).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-geo]");
  if (!box || !navigator.geolocation) return;
  const ask = box.querySelector("[data-geo-ask]");
  const state = box.querySelector("[data-geo-state]");
  const lat = box.querySelector("input[name=latitude]");
  const lon = box.querySelector("input[name=longitude]");
  box.hidden = false;
  ask.addEventListener("click", () => {
    ask.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
        state.textContent = `${state.dataset.ok}（${lat.value}, ${lon.value}）`;
      },
      () => {
        ask.disabled = false;
        state.textContent = state.dataset.fail;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
});
