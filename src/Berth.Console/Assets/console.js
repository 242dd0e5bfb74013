// Berth console: keeps a live page current. The server sends "changed" on its change stream (after commits to the
// ECS, ELB, EventBridge and Application Auto Scaling state, target health changes and each metric period's end, at
// most once a second); the page then fetches itself and swaps in the new <main>. A page that follows
// log lines (not in that state) also refetches every 2 s while its task runs. No framework, no build step.
(() => {
  'use strict';
  const main = document.getElementById('live');
  if (!main || (!main.dataset.live && !main.dataset.follow)) {
    return;
  }

  // Focus in a text field, or any field whose value is not the one the page came with.
  function editing() {
    const active = document.activeElement;
    if (active && main.contains(active) && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA')) {
      return true;
    }
    return [...main.querySelectorAll('input, textarea, select')].some(field => {
      if (field.type === 'hidden') {
        return false;
      }
      if (field.tagName === 'SELECT') {
        // With no option marked selected in the page, the first one is the default.
        return field.selectedIndex !== Math.max(0, [...field.options].findIndex(option => option.defaultSelected));
      }
      return field.value !== field.defaultValue;
    });
  }

  let busy = false;
  let again = false;

  async function refresh() {
    if (busy) {
      again = true;
      return;
    }
    // Never swap a form out from under someone typing in it or about to send what they typed; the next change
    // after it is sent (or put back) refreshes.
    if (editing()) {
      return;
    }
    busy = true;
    try {
      const response = await fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } });
      if (response.redirected || !response.ok) {
        return;
      }
      const next = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('live');
      // Checked again: the reader may have started typing while the page was on its way.
      if (next && !editing()) {
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
