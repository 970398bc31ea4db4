// Starts the vendored Swagger UI on /docs (a file, not an inline script: the page's CSP allows none).
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // no badge fetched from validator.swagger.io
  });
});
