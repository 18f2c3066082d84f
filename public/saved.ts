// What the page keeps in the browser between visits: small strings in localStorage (the name,
// the resume token, the rooms and direct conversations that were open, the theme), and the
// sign-in token in sessionStorage (this tab only, gone with it). Storage may be disabled or
// full; then nothing is remembered and nothing fails.

export function load(key: string, session = false): string | null {
  try {
    return (session ? sessionStorage : localStorage).getItem(key);
  } catch {
    return null;
  }
}

export function save(key: string, value: string | null, session = false): void {
  try {
    const store = session ? sessionStorage : localStorage;
    if (value === null) store.removeItem(key);
    else store.setItem(key, value);
  } catch {
    // Not remembered.
  }
}

/**
 * The rooms and direct conversations open in this browser (shared by its tabs), and which one
 * was on screen in this tab (sessionStorage: each tab comes back to its own).
 */
export interface Places {
  rooms: string[];
  dms: string[];
  current: string | null;
}

const PLACES_KEY = "hubbub.places";
const CURRENT_KEY = "hubbub.current";

export function storedPlaces(): Places | null {
  try {
    const p = JSON.parse(load(PLACES_KEY) ?? "null") as Places | null;
    if (!p || !Array.isArray(p.rooms) || !Array.isArray(p.dms)) return null;
    return { rooms: p.rooms.filter((r) => typeof r === "string"), dms: p.dms.filter((d) => typeof d === "string"), current: load(CURRENT_KEY, true) };
  } catch {
    return null;
  }
}

let lastStored = "";

/** Remembers the places (the page calls it on every render; storage is written only on a change). */
export function storePlaces(p: Places): void {
  const json = JSON.stringify(p);
  if (json === lastStored) return;
  lastStored = json;
  save(PLACES_KEY, JSON.stringify({ rooms: p.rooms, dms: p.dms }));
  save(CURRENT_KEY, p.current, true);
}

const TOKEN_KEY = "hubbub.token";

/**
 * The sign-in token (servers with AUTH_SECRET). It arrives as `/?token=…`; it is taken out of
 * the address bar (and so out of the history and of anything copied from it) at once, and kept
 * for this tab only so a reload still signs in.
 */
export function takeToken(): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl !== null) {
    url.searchParams.delete("token");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    save(TOKEN_KEY, fromUrl, true);
    return fromUrl;
  }
  return load(TOKEN_KEY, true);
}

export function forgetToken(): void {
  save(TOKEN_KEY, null, true);
}
