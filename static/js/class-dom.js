// Small DOM helpers for the classroom pages. Text is only ever added as text nodes (textContent):
// student names and messages never become HTML.

// h and fillSelect are the demos' (demo-dom.js): one element builder for every page.
export { h, fillSelect } from "./demo-dom.js";

/** Keeps at most max children in a list, newest first. */
export function prepend(list, item, max = 200) {
  list.prepend(item);
  while (list.children.length > max) list.lastElementChild.remove();
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
