// The diner form: the ID number is checked by canteen-core's rules (on the
// server) as it is typed; the reason shows beside the field in the page's
// language. Without this script the same reason shows after submitting.
(function () {
  var field = document.getElementById('resident_id');
  var out = document.getElementById('resident_id-check');
  if (!field || !out) { return; }
  var timer = null;
  var asked = 0;
  function check() {
    var value = field.value.trim();
    if (value === '') { out.textContent = ''; out.className = 'field-error'; field.removeAttribute('aria-invalid'); return; }
    var mine = ++asked;
    fetch(field.getAttribute('data-check') + '?id=' + encodeURIComponent(value), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (a) {
        if (!a || mine !== asked) { return; }
        out.textContent = a.message;
        out.className = a.ok ? 'field-ok' : 'field-error';
        if (a.ok) { field.removeAttribute('aria-invalid'); } else { field.setAttribute('aria-invalid', 'true'); }
      })
      .catch(function () {});
  }
  field.addEventListener('input', function () {
    clearTimeout(timer);
    // Check at once when the number is complete, else after a pause.
    timer = setTimeout(check, field.value.trim().length >= 18 ? 0 : 600);
  });
  field.addEventListener('change', check);
})();
