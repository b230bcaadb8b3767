// Starts Redoc on the API docs page (templates/api/redoc.html). Redoc writes <style>
// elements at run time; the page's CSP lets them in by the nonce this script carries.
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  var options = JSON.parse(container.getAttribute("data-settings") || "{}");
  options.nonce = document.currentScript.nonce;
  Redoc.init(container.getAttribute("data-schema-url"), options, container);
})();
