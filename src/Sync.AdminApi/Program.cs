using Sync.AdminApi;

// The admin HTTP API: dead letters (query, replay, edit, discard) and status, behind an API key, on its own port.
// Configuration: appsettings.json, then environment variables Sync__Section__Key; see README.md.
var app = AdminApiApp.Build(args);
await app.RunAsync();
