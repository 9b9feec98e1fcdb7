using Sync.Hosting;
using Sync.Worker;

// The worker: consumes webhook events and tag commands, applies them to the HoopAI API, relays the outbox, and serves
// /health/live, /health/ready and /metrics on Sync:Worker:Http:Urls. Configuration: appsettings.json, then environment
// variables Sync__Section__Key; see README.md.
// A bad setting: one line naming its key on stderr, exit code 1.
return await SyncHost.RunAsync("sync-worker", () => WorkerApp.Build(args));
