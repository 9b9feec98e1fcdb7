using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

[TestFixture]
public sealed class When_probing_health : IngressFixture
{
    [Test]
    public async Task Should_answer_live()
    {
        var response = await Ingress.Client.GetAsync("/health/live");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_report_broker_and_database_up_when_ready()
    {
        await Ingress.WaitUntilReadyAsync("broker");

        var report = await Ingress.Client.GetFromJsonAsync<JsonElement>("/health/ready");

        var data = report.GetProperty("checks").GetProperty("handoff").GetProperty("data");
        Assert.Multiple(() =>
        {
            Assert.That(report.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(data.GetProperty("broker").GetString(), Is.EqualTo("up"));
            Assert.That(data.GetProperty("database").GetString(), Is.EqualTo("up"));
        });
    }
}
