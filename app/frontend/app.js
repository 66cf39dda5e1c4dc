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

// How wide a card's picture is drawn, as styles.css lays the cards out: one column up to 30rem, then as many
// 15rem+ columns as fit in <main> (at most 64rem, 1rem padding, 1rem gaps: two from 32rem, three from 49rem).
// The browser fetches the smallest variant at least this wide times the screen's pixel density.
const PICTURE_SIZES = [
  "(max-width: 30rem) calc(100vw - 1.5rem)",
  "(max-width: 32rem) calc(100vw - 2rem)",
  "(max-width: 49rem) calc((100vw - 3rem) / 2)",
  "(max-width: 64rem) calc((100vw - 4rem) / 3)",
  "20rem",
].join(", ");
// The first cards are on the first screen at phone width: fetched at once. The rest wait until the
// visitor scrolls near them.
const EAGER_PICTURES = 2;

function srcset(variants, type) {
  return variants
    .filter((variant) => variant.type === type)
    .map((variant) => `${variant.url} ${variant.width}w`)
    .join(", ");
}

// <picture>: WebP variants for browsers that take them, JPEG variants otherwise, and the original while
// the worker has not made variants yet (or if a variant cannot be loaded).
function renderPicture(item, index) {
  const variants = Array.isArray(item.variants) ? item.variants : [];
  const picture = element("picture");
  const webp = srcset(variants, "image/webp");
  if (webp) {
    const source = element("source");
    source.type = "image/webp";
    source.srcset = webp;
    source.sizes = PICTURE_SIZES;
    picture.append(source);
  }
  const img = element("img");
  img.loading = index < EAGER_PICTURES ? "eager" : "lazy"; // before any URL, so a lazy picture waits
  img.alt = item.title;
  img.width = 480; // 4:3, the card's picture box: its room is kept while the picture loads
  img.height = 360;
  img.decoding = "async";
  const jpeg = variants.filter((variant) => variant.type === "image/jpeg");
  picture.append(img);
  if (jpeg.length) {
    img.sizes = PICTURE_SIZES;
    img.srcset = srcset(variants, "image/jpeg");
    img.src = jpeg[0].url;
  } else {
    img.src = item.imageUrl;
  }
  let showingOriginal = !webp && jpeg.length === 0;
  img.addEventListener("error", () => {
    if (!showingOriginal) {
      showingOriginal = true;
      picture.querySelectorAll("source").forEach((source) => source.remove());
      img.removeAttribute("srcset");
      img.removeAttribute("sizes");
      img.src = item.imageUrl;
    } else {
      picture.replaceWith(element("div", "no-image", "画像を表示できません"));
    }
  });
  return picture;
}

function renderItem(item, index) {
  const card = element("li", "item");
  card.dataset.id = item.id;
  if (item.imageUrl) {
    card.append(renderPicture(item, index));
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
    list.replaceChildren(...items.map((item, index) => renderItem(item, index)));
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
