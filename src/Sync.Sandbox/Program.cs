using Sync.Hosting;
using Sync.Sandbox;

// `emit ...` and `keygen ...` run the webhook emitter; anything else runs the API simulator.
if (args.Length > 0 && EmitterCommand.Handles(args[0]))
{
    return await EmitterCommand.RunAsync(args);
}

// A bad setting: one line naming its key on stderr, exit code 1.
return await SyncHost.RunAsync("sync-sandbox", () =>
{
    var builder = WebApplication.CreateSlimBuilder(args);
    builder.Services.AddSyncSandbox(builder.Configuration);
    var app = builder.Build();
    app.UseSyncSandbox();
    return app;
});
