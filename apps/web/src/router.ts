import { useEffect, useState } from 'preact/hooks';

/** Pages live under /ui; each has its own path, so each is linkable and survives a reload. */
export const BASE = '/ui';

export function navigate(path: string): void {
  history.pushState(null, '', `${BASE}${path}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The path under /ui and the query string, updated on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const read = () => ({
    path: location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) || '/' : '/',
    query: new URLSearchParams(location.search),
  });
  const [where, setWhere] = useState(read);
  useEffect(() => {
    const update = () => setWhere(read());
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return where;
}

/** A link that navigates in place (and still opens in a new tab). */
export function onLink(event: MouseEvent, path: string): void {
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(path);
}
