using Sync.Messaging;

// The worker: consumes webhook events and tag commands, applies them to the HoopAI API, relays the outbox.
// Configuration: appsettings.json, then environment variables Sync__Section__Key; see README.md.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSyncWorker(builder.Configuration);
await builder.Build().RunAsync();
