using Sync.Ingress;

var app = IngressApp.Build(args);
await app.RunAsync();
