// The record page's FITS header browser: one HDU's cards at a time, fetched when opened.

import { errorMessage } from "./common.js";

const section = document.querySelector("[data-header-browser]");
if (section) {
  const recordId = section.dataset.record;
  const details = document.getElementById("header-details");
  const select = document.getElementById("header-hdu");
  const filter = document.getElementById("header-filter");
  const status = document.getElementById("header-status");
  const body = document.querySelector("#header-cards tbody");
  let cards = [];
  let loaded = false;

  const setStatus = (text, isError = false) => {
    status.textContent = text;
    status.classList.toggle("error", isError);
  };

  const shown = (value) => {
    if (value === null) return "";
    if (value === true) return "T";
    if (value === false) return "F";
    return String(value);
  };

  const render = () => {
    const needle = filter.value.trim().toLowerCase();
    const rows = document.createDocumentFragment();
    let count = 0;
    for (const card of cards) {
      const text = `${card.keyword} ${shown(card.value)} ${card.comment}`.toLowerCase();
      if (needle && !text.includes(needle)) continue;
      const row = document.createElement("tr");
      for (const [cell, mono] of [[card.keyword, true], [shown(card.value), true], [card.comment, false]]) {
        const td = document.createElement("td");
        td.textContent = cell;
        if (mono) td.className = "mono";
        row.append(td);
      }
      rows.append(row);
      count += 1;
    }
    body.replaceChildren(rows);
    setStatus(`${count} of ${cards.length} cards`);
  };

  const load = async (hdu) => {
    setStatus("Loading header…");
    const response = await fetch(`/api/data/${recordId}/header?hdu=${encodeURIComponent(hdu)}`, {
      credentials: "same-origin",
    });
    if (!response.ok) {
      setStatus(await errorMessage(response), true);
      return;
    }
    const data = await response.json();
    if (!loaded) {
      select.replaceChildren(
        ...data.hdus.map((h) => {
          const option = document.createElement("option");
          option.value = String(h.index);
          const shape = h.shape.length ? ` ${h.shape.join("×")}` : "";
          option.textContent = `${h.index}: ${h.name || "(no name)"} ${h.type}${shape}`;
          return option;
        }),
      );
      select.disabled = false;
      loaded = true;
    }
    select.value = String(data.hdu.index);
    cards = data.cards;
    render();
  };

  details.addEventListener("toggle", () => {
    if (details.open && !loaded) load("0");
  });
  select.addEventListener("change", () => load(select.value));
  filter.addEventListener("input", render);
}
