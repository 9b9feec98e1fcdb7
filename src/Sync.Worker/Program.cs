using Sync.Worker;

// The worker: consumes webhook events and tag commands, applies them to the HoopAI API, relays the outbox, and serves
// /health/live, /health/ready and /metrics on Sync:Worker:Http:Urls. Configuration: appsettings.json, then environment
// variables Sync__Section__Key; see README.md.
using var host = WorkerApp.Build(args);
await host.RunAsync();
