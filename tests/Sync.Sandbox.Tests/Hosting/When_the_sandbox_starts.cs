using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sync.Sandbox.Tests.Hosting;

public sealed class When_the_sandbox_starts
{
    [Test]
    public void Should_refuse_an_invalid_setting_naming_it()
    {
        var options = new SandboxOptions { RateLimit = { BurstLimit = 0 } };

        var error = Assert.ThrowsAsync<OptionsValidationException>(async () => await SandboxServer.StartAsync(options));

        Assert.That(error!.Message, Does.Contain("Sync:Sandbox:RateLimit:BurstLimit"));
    }

    [Test]
    public async Task Should_take_its_settings_and_private_tokens_from_the_Sync_Sandbox_section()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sync:Sandbox:PrivateTokens:0:Token"] = "configured-token",
            ["Sync:Sandbox:PrivateTokens:0:LocationId"] = SandboxApi.LocationA,
            ["Sync:Sandbox:RateLimit:BurstLimit"] = "1",
            ["Sync:Sandbox:RateLimit:Window"] = "Fixed",
        });
        builder.Services.AddSyncSandbox(builder.Configuration);
        await using var app = builder.Build();
        app.UseSyncSandbox();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Add("Version", SandboxOptions.ApiVersion);
        client.DefaultRequestHeaders.Add("Authorization", "Bearer configured-token");

        using var first = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");
        using var second = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");
        await app.StopAsync();

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
    }
}
