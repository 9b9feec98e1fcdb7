using Sync.AdminApi;
using Sync.Hosting;

// The admin HTTP API: dead letters (query, replay, edit, discard) and status, behind an API key, on its own port.
// Configuration: appsettings.json, then environment variables Sync__Section__Key; see README.md.
// A bad setting: one line naming its key on stderr, exit code 1.
return await SyncHost.RunAsync("sync-admin-api", () => AdminApiApp.Build(args));
