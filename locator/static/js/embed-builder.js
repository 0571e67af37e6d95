/* /embed/builder: the form becomes an /embed URL; the preview frame and the snippet both
   use exactly that URL, so what is copied is what is previewed. */
(function () {
  "use strict";
  var root = document.querySelector(".builder");
  var form = root.querySelector(".builder-form");
  var preview = document.getElementById("builder-preview");
  var snippet = document.getElementById("builder-snippet");
  var copied = document.getElementById("builder-copied");
  var timer = null;

  form.addEventListener("submit", function (event) { event.preventDefault(); });

  function embedUrl() {
    var url = new URL(root.getAttribute("data-embed-url"));
    ["lat", "lon", "zoom", "k", "lang", "tiles"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { url.searchParams.set(name, value); }
    });
    ["kind", "amenity"].forEach(function (name) {
      var picked = Array.prototype.filter.call(form.querySelectorAll("input[name=" + name + "]"),
        function (box) { return box.checked; }).map(function (box) { return box.value; });
      if (picked.length) { url.searchParams.set(name, picked.join(",")); }
    });
    if (form.elements.locate.checked) { url.searchParams.set("locate", "1"); }
    return url.toString();
  }
  function attr(text) {
    return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  }
  function update() {
    var src = embedUrl(), height = parseInt(form.elements.height.value, 10) || 420;
    if (preview.getAttribute("src") !== src) { preview.setAttribute("src", src); }
    preview.style.height = height + "px";
    snippet.value = '<iframe src="' + attr(src) + '" width="100%" height="' + height +
      '" style="border:0" loading="lazy" allow="geolocation" title="' +
      attr(root.getAttribute("data-frame-title")) + '"></iframe>';
  }
  form.addEventListener("input", function () {
    window.clearTimeout(timer); timer = window.setTimeout(update, 300);
  });
  form.addEventListener("change", update);
  document.getElementById("builder-copy").addEventListener("click", function () {
    snippet.select();
    var done = function () { copied.textContent = copied.getAttribute("data-done"); };
    var failed = function () { copied.textContent = copied.getAttribute("data-failed"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(snippet.value).then(done, failed);
    } else {
      try { (document.execCommand("copy") ? done : failed)(); } catch (e) { failed(); }
    }
  });
  update();
}());
