/**
 * The UI's script, served from memory at `/static/ui.js`. It only enhances the server-rendered page:
 * it remembers which groups and families are expanded (sessionStorage, per page load of the tab), and
 * runs "Delete group" and "Delete all groups" after a confirmation. Reading the page needs none of it.
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
  function countLeft() {
    var n = document.querySelectorAll('details.group').length;
    var c = document.getElementById('group-count');
    if (c) c.textContent = n + (n === 1 ? ' group' : ' groups');
    var w = document.getElementById('wipe');
    if (w) { w.textContent = 'Delete all ' + n + ' groups'; w.disabled = n === 0; }
  }
  function fail(res) { window.alert('Deleting failed: HTTP ' + res.status); }
  document.querySelectorAll('button.delete-group').forEach(function (b) {
    b.addEventListener('click', function () {
      if (!window.confirm('Do you really want to delete all metrics of group ' + b.dataset.group + '?')) return;
      fetch(b.dataset.url, { method: 'DELETE' }).then(function (res) {
        if (!res.ok) return fail(res);
        var g = b.closest('details.group');
        if (g) { delete open[g.dataset.key]; save(); g.remove(); }
        countLeft();
      }, function (e) { window.alert('Deleting failed: ' + e); });
    });
  });
  var wipe = document.getElementById('wipe');
  if (wipe) {
    wipe.addEventListener('click', function () {
      var n = document.querySelectorAll('details.group').length;
      if (!window.confirm('Do you really want to delete all ' + n + ' groups?')) return;
      fetch(wipe.dataset.url, { method: 'PUT' }).then(function (res) {
        if (!res.ok) return fail(res);
        document.querySelectorAll('details.group').forEach(function (g) { g.remove(); });
        open = {}; save();
        countLeft();
      }, function (e) { window.alert('Deleting failed: ' + e); });
    });
  }
})();
`;
