// Loads the catalogue from /api/items (same origin) and renders it. No inline code: the page runs under
// Content-Security-Policy default-src 'self'.
"use strict";

const yen = new Intl.NumberFormat("ja-JP", { style: "currency", currency: "JPY" });

function formatPrice(price) {
  return typeof price === "number" && Number.isFinite(price) ? yen.format(price) : "価格未定";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderItem(item) {
  const card = element("li", "item");
  card.dataset.id = item.id;
  if (item.imageUrl) {
    const img = element("img");
    img.src = item.imageUrl;
    img.alt = item.title;
    img.width = 480;
    img.height = 360;
    img.decoding = "async";
    img.addEventListener("error", () => img.replaceWith(element("div", "no-image", "画像を表示できません")));
    card.append(img);
  } else {
    card.append(element("div", "no-image", "画像なし"));
  }
  const body = element("div", "body");
  body.append(
    element("h2", "title", item.title),
    element("p", "price", formatPrice(item.price)),
    element("p", "description", item.description),
  );
  card.append(body);
  return card;
}

async function fetchItems() {
  const response = await fetch("/api/items", { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
  return response.json();
}

async function load() {
  const status = document.getElementById("status");
  const error = document.getElementById("error");
  const list = document.getElementById("items");
  status.textContent = "読み込み中…";
  status.hidden = false;
  error.hidden = true;
  list.setAttribute("aria-busy", "true");
  try {
    const items = await fetchItems();
    list.replaceChildren(...items.map(renderItem));
    if (items.length === 0) {
      status.textContent = "商品はまだありません。";
    } else {
      status.hidden = true;
    }
  } catch (err) {
    list.replaceChildren();
    status.hidden = true;
    document.getElementById("error-message").textContent = `商品を読み込めませんでした（${err.message}）。`;
    error.hidden = false;
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("retry").addEventListener("click", load);
  load();
});
