using Sync.Hosting;
using Sync.Ingress;

// A bad setting: one line naming its key on stderr, exit code 1.
return await SyncHost.RunAsync("sync-ingress", () => IngressApp.Build(args));
