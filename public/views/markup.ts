// Message text to DOM: a small markdown subset (**bold**, *italic* or _italic_ (letters or
// digits at both ends, so ¯\_(ツ)_/¯ stays a shrug), `code`, and
// ``` code blocks ```), links and @mentions. Every piece of user text becomes a Text node (or the
// text of an element made here); nothing is parsed as HTML. Links are http(s) only, open in a
// new tab with rel="noopener noreferrer nofollow", so `javascript:` and `data:` never become links.
import { el } from "../dom.ts";

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+?\*\*)|(\*[^*\s][^*\n]*?\*)|(?<![\p{L}\p{N}_\\])(_[\p{L}\p{N}](?:[^_\n]*?[\p{L}\p{N}])?_)(?![\p{L}\p{N}_])|(https?:\/\/[^\s<>"'`]+)|(?<![\p{L}\p{N}_@])(@[\p{L}\p{N}_.-]*[\p{L}\p{N}_])/gu;
/** Characters that end a sentence rather than a URL. */
const URL_TAIL = /[.,;:!?)\]}'"]+$/;

/** Whether `text` mentions `name` as `@name` (case-insensitive, whole name). */
export function mentions(text: string, name: string): boolean {
  const lower = name.toLowerCase();
  for (const m of text.matchAll(INLINE)) if (m[6] && m[6].slice(1).toLowerCase() === lower) return true;
  return false;
}

/** A safe link for `raw`, or null when it is not a well-formed http(s) URL. */
export function safeLink(raw: string): HTMLAnchorElement | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer nofollow" }, raw);
}

/** The nodes of one message's text; `me` is the user's name, for mention highlighting. */
export function renderText(text: string, me: string | null): Node[] {
  const out: Node[] = [];
  const parts = text.split(/```/);
  // Odd parts are code blocks, when the fence is closed.
  parts.forEach((part, i) => {
    const isBlock = i % 2 === 1 && i < parts.length - 1;
    if (isBlock) out.push(el("pre", { tabindex: "0" }, el("code", {}, part.replace(/^\n/, "").replace(/\n$/, ""))));
    else out.push(...inline(i % 2 === 1 ? "```" + part : part, me));
  });
  return out;
}

function inline(text: string, me: string | null): Node[] {
  const out: Node[] = [];
  let at = 0;
  const lower = me?.toLowerCase();
  for (const m of text.matchAll(INLINE)) {
    let [whole] = m;
    const start = m.index;
    let node: Node | null = null;
    if (m[1]) node = el("code", {}, whole.slice(1, -1));
    else if (m[2]) node = el("strong", {}, whole.slice(2, -2));
    else if (m[3]) node = el("em", {}, whole.slice(1, -1));
    else if (m[4]) node = el("em", {}, whole.slice(1, -1));
    else if (m[5]) {
      whole = whole.replace(URL_TAIL, "");
      node = safeLink(whole);
    } else if (m[6]) node = el("span", { class: m[6].slice(1).toLowerCase() === lower ? "mention mine" : "mention" }, whole);
    if (!node) continue;
    if (start > at) out.push(document.createTextNode(text.slice(at, start)));
    out.push(node);
    at = start + whole.length;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}
