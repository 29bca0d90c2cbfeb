// A page restored from the back-forward cache after signing out would show
// what the session showed: ask the server again (it sends to the login page).
window.addEventListener('pageshow', function (e) {
  if (e.persisted) { window.location.reload(); }
});
