// Live reload for `socketlab serve -lessons DIR -watch` (loaded only then). The server sends a
// "reload" event over /__reload with the slugs of the lesson pages whose HTML changed; a tab
// showing one of them (or the home page, when it changed) reloads and keeps its scroll position.
const KEY = "socketlab:reload-scroll";
const here = location.pathname;

try {
  const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  sessionStorage.removeItem(KEY);
  if (saved && saved.path === here) {
    history.scrollRestoration = "manual";
    const restore = () => window.scrollTo({ top: saved.y, behavior: "instant" });
    restore();
    if (document.readyState !== "complete") addEventListener("load", restore, { once: true });
  }
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
    sessionStorage.setItem(KEY, JSON.stringify({ path: here, y: window.scrollY }));
  } catch {
    // Reload anyway, at the top.
  }
  document.documentElement.dataset.reloading = "";
  location.reload();
});
