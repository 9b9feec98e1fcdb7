using Sync.Admin;

// sync-admin: the operator CLI. Configuration: appsettings.json beside the binary, environment variables
// Sync__Section__Key, then the file named by --config; commands and exit codes in docs/operations.md.
return await AdminCli.RunAsync(args, AdminConsole.System);
