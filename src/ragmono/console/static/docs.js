// Starts Swagger UI on /schema (a file, not inline script, so the page's CSP can forbid those).
const root = document.getElementById("swagger");
window.SwaggerUIBundle({
  url: new URL(root.dataset.spec, document.baseURI).href,
  domNode: root,
  deepLinking: true,
  validatorUrl: null, // the default badge would ask validator.swagger.io
  presets: [window.SwaggerUIBundle.presets.apis],
});
