// Live reload for `socketlab serve -lessons DIR -watch` (loaded only then). The server sends a
// "reload" event over /__reload with the slugs of the lesson pages whose HTML changed; a tab
// showing one of them (or the home page, when it changed) reloads and keeps its place.
//
// The place is the content at the top of the screen, not a scroll offset: the demo widgets render
// after the page loads and grow by whole screens, so an offset restored at load time lands on
// other content. Before reloading, the tab remembers the first block of the lesson on screen (a
// heading or paragraph, found again after the reload by its text) and its height on screen; after
// the reload it puts that block back there, and again each time the page grows (demos rendering,
// images loading) until the reader scrolls, clicks or types.
const KEY = "socketlab:reload-scroll";
const here = location.pathname;

// Prose blocks are better anchors than widgets, whose own height changes as they render.
const BLOCKS = ":is(.lesson-header, .toc, .lesson-body) > *";
const PROSE = ":is(h1, h2, h3, h4, h5, h6, p, ul, ol, pre, blockquote, table, figure, hr, .code)";
const textOf = (el) => el.textContent.trim().replace(/\s+/g, " ").slice(0, 200);

/** The block the reader sees first: the first prose block on screen, else the block at the top. */
function anchorNow() {
  const blocks = [...document.querySelectorAll(BLOCKS)];
  let cover = -1;
  for (const [i, el] of blocks.entries()) {
    const r = el.getBoundingClientRect();
    if (r.height === 0 || r.bottom <= 0) continue;
    if (r.top >= innerHeight) break;
    if (cover < 0) cover = i;
    if (r.top >= 0 && el.matches(PROSE)) return { i, text: textOf(el), top: r.top };
  }
  if (cover < 0) return null;
  return { i: cover, text: textOf(blocks[cover]), top: blocks[cover].getBoundingClientRect().top };
}

/** The saved block in the new page: same text, the nearest to its old index; else its index. */
function findAnchor(a) {
  const blocks = [...document.querySelectorAll(BLOCKS)];
  let best = null;
  for (const [i, el] of blocks.entries()) {
    if (textOf(el) === a.text && (best === null || Math.abs(i - a.i) < Math.abs(best - a.i))) best = i;
  }
  return blocks[best ?? a.i] ?? null;
}

function restore(saved) {
  history.scrollRestoration = "manual";
  const place = () => {
    const el = saved.anchor && findAnchor(saved.anchor);
    const top = el ? el.getBoundingClientRect().top + scrollY - saved.anchor.top : saved.y;
    if (Math.abs(top - scrollY) >= 1) window.scrollTo({ top, behavior: "instant" });
  };
  place();
  // Keep the place while the page grows, until the reader takes over.
  const grow = new ResizeObserver(place);
  grow.observe(document.body);
  const stop = () => {
    grow.disconnect();
    for (const type of INPUT) removeEventListener(type, stop, true);
  };
  const INPUT = ["wheel", "touchstart", "pointerdown", "keydown"];
  for (const type of INPUT) addEventListener(type, stop, { capture: true, passive: true });
}

try {
  const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  sessionStorage.removeItem(KEY);
  if (saved && saved.path === here) restore(saved);
} catch {
  // No sessionStorage (private mode): reloads start at the top.
}

const lesson = document.querySelector("[data-lesson]")?.dataset.lesson ?? "";
const events = new EventSource("/__reload");
events.addEventListener("open", () => {
  document.documentElement.dataset.reloadReady = ""; // tests wait for this before editing
});
events.addEventListener("reload", (e) => {
  let changed;
  try {
    changed = JSON.parse(e.data);
  } catch {
    return;
  }
  const mine = lesson ? changed.slugs.includes(lesson) : here === "/" && changed.home;
  if (!mine) return;
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ path: here, y: window.scrollY, anchor: anchorNow() }));
  } catch {
    // Reload anyway, at the top.
  }
  document.documentElement.dataset.reloading = "";
  location.reload();
});
