// The free-meal form on a phone with a weak signal. What is typed is kept
// on the phone (localStorage) until the server confirms it was saved, so a
// form that could not be sent (no signal, server down) can be sent again
// after a reload, with the same id: the server records it once. Also: a
// live roster search, and rows added without a round trip. Without this
// script the form still works (the server searches and adds rows).
(function () {
  'use strict';
  var PREFIX = 'canteen.free-meal.';

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function readDraft(key) {
    var s = store();
    if (!s) { return null; }
    try { return JSON.parse(s.getItem(key) || 'null'); } catch (e) { return null; }
  }

  function forget(key) {
    var s = store();
    if (s) { s.removeItem(key); }
  }

  // On the list page after a save: drop the draft of the saved entry.
  function clearSaved() {
    var marker = document.getElementById('saved-marker');
    var id = marker && marker.getAttribute('data-saved');
    var s = store();
    if (!id || !s) { return; }
    for (var i = s.length - 1; i >= 0; i--) {
      var key = s.key(i);
      if (key && key.indexOf(PREFIX) === 0) {
        var d = readDraft(key);
        if (!d || d.client_id === id) { s.removeItem(key); }
      }
    }
  }

  function pickedDiners(form) {
    var out = [];
    var boxes = form.querySelectorAll('input[name="diner"]');
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) {
        var label = boxes[i].parentNode.querySelector('span');
        out.push({ id: boxes[i].value, label: label ? label.textContent : boxes[i].value });
      }
    }
    return out;
  }

  function save(form) {
    var s = store();
    if (!s) { return; }
    var fields = [];
    var els = form.elements;
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.name || el.type === 'hidden' && el.name !== 'client_id') { continue; }
      if (el.name === 'diner' || el.name === 'op' || el.name === 'q' || el.type === 'submit') { continue; }
      fields.push([el.name, el.value]);
    }
    var draft = { client_id: form.elements.client_id.value, fields: fields, diners: pickedDiners(form) };
    try { s.setItem(form.getAttribute('data-draft'), JSON.stringify(draft)); } catch (e) { /* full: keep going */ }
  }

  function pickBox(d, checked) {
    var label = document.createElement('label');
    label.className = 'pick';
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'diner';
    box.value = String(d.id);
    box.checked = checked;
    var span = document.createElement('span');
    span.textContent = d.label;
    label.appendChild(box);
    label.appendChild(span);
    return label;
  }

  function hasDiner(form, id) {
    var boxes = form.querySelectorAll('#picked input[name="diner"]');
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === String(id)) { return boxes[i]; }
    }
    return null;
  }

  function addPicked(form, d) {
    var box = hasDiner(form, d.id);
    if (box) { box.checked = true; return; }
    form.querySelector('#picked').appendChild(pickBox(d, true));
    var none = form.querySelector('#none-picked');
    if (none) { none.hidden = true; }
  }

  // A new blank row of purchases ('p') or donations ('d'), numbered on.
  function addRow(form, kind) {
    var box = form.querySelector(kind === 'p' ? '#purchase-rows' : '#donation-rows');
    var rows = box.querySelectorAll('.line');
    var last = rows[rows.length - 1];
    if (!last) { return null; }
    var n = rows.length;
    var row = last.cloneNode(true);
    var err = row.querySelector('.field-error');
    if (err) { err.parentNode.removeChild(err); }
    var inputs = row.querySelectorAll('input');
    for (var i = 0; i < inputs.length; i++) {
      var field = inputs[i].name.replace(/^[pd]\d+_/, '');
      inputs[i].name = kind + n + '_' + field;
      inputs[i].id = kind + n + '_' + field;
      inputs[i].value = '';
    }
    var labels = row.querySelectorAll('label');
    for (var j = 0; j < labels.length; j++) {
      labels[j].htmlFor = labels[j].htmlFor.replace(/^[pd]\d+_/, kind + n + '_');
    }
    box.appendChild(row);
    return row;
  }

  function restore(form, draft) {
    for (var i = 0; i < draft.fields.length; i++) {
      var name = draft.fields[i][0];
      var m = /^([pd])(\d+)_/.exec(name);
      if (m) {
        var guard = 0;
        while (!form.elements[name] && guard++ < 200) {
          if (!addRow(form, m[1])) { break; }
        }
      }
      var el = form.elements[name];
      if (el && el.type !== 'checkbox') { el.value = draft.fields[i][1]; }
    }
    form.elements.client_id.value = draft.client_id;
    var boxes = form.querySelectorAll('#picked input[name="diner"]');
    for (var j = 0; j < boxes.length; j++) { boxes[j].checked = false; }
    for (var k = 0; k < draft.diners.length; k++) { addPicked(form, draft.diners[k]); }
  }

  var timer = null;
  function liveSearch(form) {
    var q = form.querySelector('#q').value.trim();
    var results = form.querySelector('#results');
    if (!q) { return; }
    var url = form.getAttribute('data-roster') + '?q=' + encodeURIComponent(q) +
      '&date=' + encodeURIComponent(form.elements.date.value);
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (list) {
        results.textContent = '';
        var shown = 0;
        for (var i = 0; i < list.length; i++) {
          if (!hasDiner(form, list[i].id)) { results.appendChild(pickBox(list[i], false)); shown++; }
        }
        form.querySelector('#results-title').hidden = shown === 0;
        form.querySelector('#no-match').hidden = list.length !== 0;
      })
      .catch(function () { /* no signal: the Find button still works */ });
  }

  function busy(form, on) {
    var buttons = form.querySelectorAll('button[type="submit"]');
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = on; }
    var sending = form.querySelector('#sending');
    if (sending) { sending.hidden = !on; }
  }

  // Sends the form; stays on the page when nothing comes back.
  function send(form, submitter) {
    save(form);
    var body = new URLSearchParams();
    var data = new FormData(form);
    data.forEach(function (value, name) { body.append(name, value); });
    if (submitter && submitter.name) { body.append(submitter.name, submitter.value); }
    var id = form.elements.client_id.value;
    var key = form.getAttribute('data-draft');
    document.getElementById('offline-error').hidden = true;
    busy(form, true);
    fetch(form.action, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
    }).then(function (res) {
      var url = new URL(res.url, window.location.href);
      if (res.ok && url.pathname === '/volunteer/meals' && url.searchParams.get('saved') === id) {
        forget(key);
        window.location.assign(url.href);
        return null;
      }
      return res.text().then(function (html) { showAnswer(html); });
    }).catch(function () {
      busy(form, false);
      var err = document.getElementById('offline-error');
      err.hidden = false;
      err.scrollIntoView();
    });
  }

  // The server answered with a page (the form refused, search results, an
  // error, the login page): show it in place of this one's content.
  function showAnswer(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var main = doc.querySelector('main');
    if (!main) { return; }
    document.querySelector('main').replaceWith(document.importNode(main, true));
    if (doc.title) { document.title = doc.title; }
    var first = document.querySelector('.error, .field-error');
    init();
    if (first) { first.scrollIntoView(); }
  }

  function init() {
    clearSaved();
    var form = document.getElementById('meal-form');
    if (!form) { return; }
    var key = form.getAttribute('data-draft');
    var draft = readDraft(key);
    if (form.getAttribute('data-fresh') === '1' && draft && draft.fields) {
      restore(form, draft);
      document.getElementById('draft-restored').hidden = false;
    } else {
      save(form);
    }
    document.getElementById('draft-discard').addEventListener('click', function () {
      forget(key);
      window.location.reload();
    });
    form.addEventListener('input', function (e) {
      save(form);
      if (e.target && e.target.id === 'q') {
        clearTimeout(timer);
        timer = setTimeout(function () { liveSearch(form); }, 300);
      }
    });
    form.addEventListener('change', function (e) {
      var t = e.target;
      if (t && t.name === 'diner' && t.checked && t.closest('#results')) {
        t.parentNode.parentNode.removeChild(t.parentNode);
        addPicked(form, { id: t.value, label: t.parentNode.querySelector('span').textContent });
        form.querySelector('#results-title').hidden = !form.querySelector('#results .pick');
      }
      save(form);
    });
    var adds = form.querySelectorAll('.add-row');
    for (var i = 0; i < adds.length; i++) {
      adds[i].addEventListener('click', function (e) {
        e.preventDefault();
        var row = addRow(form, this.getAttribute('data-kind'));
        if (row) { row.querySelector('input').focus(); }
        save(form);
      });
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      send(form, e.submitter || null);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
