using Sync.Sandbox;

// `emit ...` and `keygen ...` run the webhook emitter; anything else runs the API simulator.
if (args.Length > 0 && EmitterCommand.Handles(args[0]))
{
    return await EmitterCommand.RunAsync(args);
}

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddSyncSandbox(builder.Configuration);
var app = builder.Build();
app.UseSyncSandbox();
await app.RunAsync();
return 0;
