/**
 * The UI's script, served from memory at `/static/ui.js`. It only enhances the server-rendered page:
 * it remembers which groups and families are expanded (sessionStorage, per page load of the tab), and
 * runs "Delete group" and "Delete all groups" after a confirmation, and drives the tools over the
 * panels' data attributes (status-page.ts): a filter (any label name or value or metric name,
 * case-insensitive substring), sort by job or by age of the last push, "failed only", and a stale
 * threshold in minutes (remembered in localStorage, with the sort) that marks groups pushed longer ago;
 * it also keeps the "N min ago" texts current. When the store spans several pages (page-query.ts) the
 * filter, sort and "failed only" are the server's: the script submits the tools' form instead. Reading
 * the page needs none of it.
 */
export const UI_JS = `'use strict';
(function () {
  document.documentElement.classList.add('js');
  var KEY = 'pushgateway-open';
  var open = {};
  try { open = JSON.parse(sessionStorage.getItem(KEY) || '{}') || {}; } catch (e) { open = {}; }
  function save() { try { sessionStorage.setItem(KEY, JSON.stringify(open)); } catch (e) {} }
  document.querySelectorAll('details[data-key]').forEach(function (d) {
    if (open[d.dataset.key]) d.open = true;
    d.addEventListener('toggle', function () {
      if (d.open) open[d.dataset.key] = 1; else delete open[d.dataset.key];
      save();
    });
  });
  // Groups in the store (the page may hold only some of them, page-query.ts): deleting one takes one off.
  var groupList = document.getElementById('groups');
  var total = groupList ? Number(groupList.dataset.total) || 0 : 0;
  function countLeft() {
    var n = total;
    var c = document.getElementById('group-count');
    if (c) c.textContent = n + (n === 1 ? ' group' : ' groups');
    var w = document.getElementById('wipe');
    if (w) { w.textContent = 'Delete all ' + n + ' groups'; w.disabled = n === 0; }
    if (toolsOn) apply();
  }
  function fail(res) { window.alert('Deleting failed: HTTP ' + res.status); }
  document.querySelectorAll('button.delete-group').forEach(function (b) {
    b.addEventListener('click', function () {
      if (!window.confirm('Do you really want to delete all metrics of group ' + b.dataset.group + '?')) return;
      fetch(b.dataset.url, { method: 'DELETE' }).then(function (res) {
        if (!res.ok) return fail(res);
        var g = b.closest('details.group');
        if (g) { delete open[g.dataset.key]; save(); g.remove(); }
        total = Math.max(0, total - 1);
        countLeft();
      }, function (e) { window.alert('Deleting failed: ' + e); });
    });
  });
  var toolsOn = false;
  var SETTINGS = 'pushgateway-view';
  var view = {};
  try { view = JSON.parse(localStorage.getItem(SETTINGS) || '{}') || {}; } catch (e) { view = {}; }
  function saveView() { try { localStorage.setItem(SETTINGS, JSON.stringify(view)); } catch (e) {} }
  function fields(g) {
    if (g._fields) return g._fields;
    var f = [];
    try {
      var l = JSON.parse(g.dataset.labels || '{}');
      Object.keys(l).forEach(function (k) { f.push(k.toLowerCase(), String(l[k]).toLowerCase()); });
      g._job = String(l.job || '');
    } catch (e) { g._job = ''; }
    (g.dataset.metrics || '').split(' ').forEach(function (m) { if (m) f.push(m.toLowerCase()); });
    g._fields = f;
    return f;
  }
  function ago(ms) {
    var s = Math.floor(ms / 1000);
    if (s < 1) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  var tools = document.getElementById('tools');
  var filter = document.getElementById('filter');
  var sort = document.getElementById('sort');
  var failedOnly = document.getElementById('failed-only');
  var stale = document.getElementById('stale-minutes');
  var shown = document.getElementById('shown');
  var list = document.getElementById('groups');
  function apply() {
    var q = filter.value.trim().toLowerCase();
    var min = parseFloat(stale.value);
    var now = Date.now();
    var all = Array.prototype.slice.call(list.querySelectorAll('details.group'));
    var n = 0;
    all.forEach(function (g) {
      var f = fields(g);
      var ok = (q === '' || f.some(function (x) { return x.indexOf(q) >= 0; })) &&
        (!failedOnly.checked || g.dataset.failed === '1');
      g.hidden = !ok;
      if (ok) n++;
      var t = Number(g.dataset.pushMs);
      // A group without a successful push (time 0) is older than any threshold.
      g.classList.toggle('stale', min >= 0 && now - t > min * 60000);
      var a = g.querySelector('.age[title]');
      if (a && t > 0) a.textContent = ago(now - t);
    });
    shown.textContent = n === all.length ? '' : n + ' of ' + all.length + ' shown';
  }
  // Only on load and when the sort changes: moving 10k panels on every keystroke would be slow.
  function resort() {
    var all = Array.prototype.slice.call(list.querySelectorAll('details.group'));
    all.forEach(fields);
    var by = sort.value;
    all.sort(function (a, b) {
      if (by === 'oldest' || by === 'newest') {
        var d = Number(a.dataset.pushMs) - Number(b.dataset.pushMs);
        if (d !== 0) return by === 'oldest' ? d : -d;
      } else if (a._job !== b._job) return a._job < b._job ? -1 : 1;
      return a.dataset.key < b.dataset.key ? -1 : a.dataset.key > b.dataset.key ? 1 : 0;
    });
    all.forEach(function (g) { list.appendChild(g); });
  }
  if (tools && filter && sort && failedOnly && stale && shown && list) {
    // Live: the page holds every group, so filter and sort run here at once. Otherwise the server does
    // them over all pages: a change of sort or "failed only" submits the form, the filter on Enter.
    var live = list.dataset.live === '1';
    if (view.staleMinutes !== undefined) stale.value = view.staleMinutes;
    stale.addEventListener('input', function () { view.staleMinutes = stale.value; saveView(); apply(); });
    if (live) {
      if (view.sort) sort.value = view.sort;
      var apply1 = document.getElementById('apply');
      if (apply1) apply1.hidden = true;
      tools.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
      filter.addEventListener('input', apply);
      failedOnly.addEventListener('change', apply);
      sort.addEventListener('change', function () { view.sort = sort.value; saveView(); resort(); });
      resort();
    } else {
      failedOnly.addEventListener('change', function () { tools.submit(); });
      sort.addEventListener('change', function () { view.sort = sort.value; saveView(); tools.submit(); });
      // The remembered sort, when the address asks for none.
      if (view.sort && view.sort !== sort.value && !/[?&]sort=/.test(location.search)) {
        sort.value = view.sort;
        tools.submit();
      }
    }
    toolsOn = true;
    apply();
    setInterval(apply, 30000);
  }
  var wipe = document.getElementById('wipe');
  if (wipe) {
    wipe.addEventListener('click', function () {
      if (!window.confirm('Do you really want to delete all ' + total + ' groups?')) return;
      fetch(wipe.dataset.url, { method: 'PUT' }).then(function (res) {
        if (!res.ok) return fail(res);
        document.querySelectorAll('details.group').forEach(function (g) { g.remove(); });
        open = {}; save();
        total = 0;
        countLeft();
      }, function (e) { window.alert('Deleting failed: ' + e); });
    });
  }
})();
`;
