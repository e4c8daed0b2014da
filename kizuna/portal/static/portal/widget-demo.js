// The widget test page's own script (an external file: the page's policy allows no inline
// script). The "Buy" button stands for a site's purchase event.
document.addEventListener("DOMContentLoaded", function () {
  var buy = document.getElementById("buy");
  buy.addEventListener("click", function () {
    if (window.Kizuna) window.Kizuna.track("purchase");
  });
});
