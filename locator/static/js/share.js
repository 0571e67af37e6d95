/* The share page: send the link with the phone's share sheet, copy it, or print the poster.
   Without this script the link and the QR code are still there to copy and print. */
(function () {
  "use strict";
  var input = document.getElementById("share-url");
  var status = document.getElementById("share-status");
  var send = document.getElementById("share-send");
  var copy = document.getElementById("share-copy");
  var print = document.getElementById("share-print");
  if (navigator.share) {
    send.hidden = false;
    send.addEventListener("click", function () {
      navigator.share({title: document.title, url: input.value}).catch(function () {});
    });
  }
  copy.hidden = false;
  copy.addEventListener("click", function () {
    input.select();
    var done = function () { status.textContent = copy.getAttribute("data-done"); };
    var failed = function () { status.textContent = copy.getAttribute("data-failed"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, failed);
    } else {
      try { (document.execCommand("copy") ? done : failed)(); } catch (e) { failed(); }
    }
  });
  print.hidden = false;
  print.addEventListener("click", function () { window.print(); });
}());
