// Small DOM helpers for the classroom pages. Text is only ever added as text nodes (textContent):
// student names and messages never become HTML.

/** h("li", {class: "x", "data-id": id}, "text", child) builds an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "hidden" || k === "disabled" || k === "selected" || k === "draggable") el[k] = Boolean(v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Keeps at most max children in a list, newest first. */
export function prepend(list, item, max = 200) {
  list.prepend(item);
  while (list.children.length > max) list.lastElementChild.remove();
}

/** Fills a <select> with [value, label] pairs, keeping the current choice when it still exists. */
export function fillSelect(sel, options) {
  const cur = sel.value;
  sel.replaceChildren(...options.map(([v, label]) => h("option", { value: v }, label)));
  if (options.some(([v]) => v === cur)) sel.value = cur;
}

export function clock(t = new Date()) {
  return t.toTimeString().slice(0, 8);
}

export const session = {
  get(k) {
    try {
      return sessionStorage.getItem(k);
    } catch {
      return null;
    }
  },
  set(k, v) {
    try {
      sessionStorage.setItem(k, v);
    } catch {
      // private mode: the key only lives in this page
    }
  },
  remove(k) {
    try {
      sessionStorage.removeItem(k);
    } catch {
      // ignore
    }
  },
};
