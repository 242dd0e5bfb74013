// Berth console: keeps a live page current. The server sends "changed" on its change stream (after commits to the
// ECS state, at most once a second); the page then fetches itself and swaps in the new <main>. A page that follows
// log lines (not in that state) also refetches every 2 s while its task runs. No framework, no build step.
(() => {
  'use strict';
  const main = document.getElementById('live');
  if (!main || (!main.dataset.live && !main.dataset.follow)) {
    return;
  }

  let busy = false;
  let again = false;

  async function refresh() {
    if (busy) {
      again = true;
      return;
    }
    // Never swap a form out from under someone typing in it; the next change refreshes.
    const active = document.activeElement;
    if (active && main.contains(active) && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA')) {
      return;
    }
    busy = true;
    try {
      const response = await fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } });
      if (response.redirected || !response.ok) {
        return;
      }
      const next = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('live');
      if (next) {
        // Keeps the reader's place in long log panes.
        const scrolls = [...main.querySelectorAll('pre')].map(p => p.scrollTop);
        main.replaceChildren(...next.childNodes);
        main.dataset.follow = next.dataset.follow || '';
        [...main.querySelectorAll('pre')].forEach((p, i) => { if (i < scrolls.length) { p.scrollTop = scrolls[i]; } });
      }
    } catch (e) {
      // The server went away or the network dropped: the next change tries again.
    } finally {
      busy = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  if (main.dataset.live) {
    const events = new EventSource('/console/live');
    events.addEventListener('changed', refresh);
    // A commit made between rendering this page and (re)connecting the stream sends no event: fetch once on open.
    events.addEventListener('open', refresh);
  }
  setInterval(() => { if (main.dataset.follow) { refresh(); } }, 2000);
})();
