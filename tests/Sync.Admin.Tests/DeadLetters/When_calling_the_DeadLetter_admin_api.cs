using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Tests.DeadLetters;

public sealed partial class When_calling_the_DeadLetter_admin_api
{
    private AdminTestDatabase _database = null!;
    private AdminApiServer _server = null!;
    private Guid _id;

    [OneTimeSetUp]
    public async Task Start()
    {
        _database = await AdminTestDatabase.CreateAsync();
        _id = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-api", "evt-api", DateTimeOffset.UtcNow));
        _server = await AdminApiServer.StartAsync(_database);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _server.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>Every route the application maps, read from its endpoint data source (nothing listed by hand).</summary>
    private IReadOnlyList<(string Method, string Path)> Routes()
    {
        var routes = new List<(string, string)>();
        foreach (var endpoint in _server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + RouteParameter().Replace(endpoint.RoutePattern.RawText!.TrimStart('/'), m => m.Groups["name"].Value switch
            {
                "id" => _id.ToString(),
                "documentName" => "v1",
                _ => "x",
            });
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                routes.Add((method, path));
            }
        }

        return routes;
    }

    [Test]
    public void Should_map_the_dead_letter_status_openapi_and_metrics_routes() =>
        Assert.That(Routes().Select(r => r.Path), Has.Some.StartsWith("/api/dead-letters").And.Some.EqualTo("/api/status").And.Some.StartsWith("/openapi").And.Some.EqualTo("/metrics"));

    [TestCase(null, TestName = "Should_refuse_a_missing_key_on_every_DeadLetter_admin_route_with_401")]
    [TestCase("wrong-key-0123456789abcdef0123456789abc", TestName = "Should_refuse_a_wrong_key_on_every_DeadLetter_admin_route_with_401")]
    [TestCase("operator-key-0123456789abcdef012345678", TestName = "Should_refuse_a_key_one_character_short_on_every_DeadLetter_admin_route_with_401")]
    public async Task Should_refuse_every_route(string? key)
    {
        using var client = _server.Client(key);
        var answers = new List<string>();
        foreach (var (method, path) in Routes())
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method != "GET")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            using var response = await client.SendAsync(request);
            answers.Add($"{method} {path} {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}");
        }

        Assert.That(answers, Has.Count.GreaterThanOrEqualTo(9));
        Assert.That(answers, Is.All.EndsWith(" 401 application/problem+json"));
    }

    [Test]
    public async Task Should_serve_the_DeadLetter_admin_api_metrics_to_a_bearer_key()
    {
        using (var warmUp = _server.Client(AdminApiServer.OperatorKey))
        {
            using var status = await warmUp.GetAsync("/api/status");
            Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using var client = new HttpClient { BaseAddress = _server.Address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminApiServer.OperatorKey);

        using var response = await client.GetAsync("/metrics");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(text, Does.Contain("http_server_request_duration_seconds_count{"));
            Assert.That(text, Does.Contain("http_route=\"/api/status\""));
        });
    }

    [TestCase("Bearer wrong-key-0123456789abcdef0123456789abc", TestName = "Should_refuse_a_wrong_bearer_key_on_the_DeadLetter_admin_api_metrics_with_401")]
    [TestCase("Basic b3BlcmF0b3I6a2V5", TestName = "Should_refuse_another_scheme_on_the_DeadLetter_admin_api_metrics_with_401")]
    [TestCase("Bearer ", TestName = "Should_refuse_an_empty_bearer_on_the_DeadLetter_admin_api_metrics_with_401")]
    public async Task Should_refuse_metrics(string authorization)
    {
        using var client = new HttpClient { BaseAddress = _server.Address };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        using var response = await client.GetAsync("/metrics");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Should_answer_a_valid_key_on_the_openapi_document()
    {
        using var client = _server.Client(AdminApiServer.OperatorKey);

        using var response = await client.GetAsync("/openapi/v1.json");

        var document = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(document, Does.Contain("/api/dead-letters/{id}/replay"));
        });
    }

    [Test]
    public async Task Should_list_DeadLetters_with_personal_data_redacted()
    {
        using var client = _server.Client(AdminApiServer.OperatorKey);

        var json = await client.GetStringAsync($"/api/dead-letters/{_id}");

        Assert.Multiple(() =>
        {
            Assert.That(json, Does.Not.Contain("ada@example.com"));
            Assert.That(json, Does.Contain("a***@example.com"));
            Assert.That(json, Does.Not.Contain("Lovelace"));
        });
    }

    [Test]
    public async Task Should_refuse_personal_data_without_the_scope()
    {
        using var client = _server.Client(AdminApiServer.OperatorKey);

        using var response = await client.GetAsync($"/api/dead-letters/{_id}?includePii=true");

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        });
    }

    [Test]
    public async Task Should_give_personal_data_to_a_key_with_the_scope()
    {
        using var client = _server.Client(AdminApiServer.PrivacyKey);

        var json = await client.GetStringAsync($"/api/dead-letters/{_id}?includePii=true");

        Assert.That(json, Does.Contain("ada@example.com"));
    }

    [Test]
    public async Task Should_refuse_a_replay_to_a_key_without_the_operate_scope()
    {
        using var client = _server.Client(AdminApiServer.PrivacyKey);

        using var response = await client.PostAsJsonAsync($"/api/dead-letters/{_id}/replay", new { by = "someone" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Should_answer_an_unknown_DeadLetter_with_a_404_problem()
    {
        using var client = _server.Client(AdminApiServer.OperatorKey);

        using var response = await client.GetAsync($"/api/dead-letters/{Guid.NewGuid()}");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(problem.RootElement.GetProperty("status").GetInt32(), Is.EqualTo(404));
            Assert.That(problem.RootElement.GetProperty("title").GetString(), Is.EqualTo("No such dead letter."));
        });
    }

    [Test]
    public async Task Should_refuse_an_invalid_edit_with_a_422_problem_naming_the_field()
    {
        var id = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-api", "evt-api-edit", DateTimeOffset.UtcNow));
        using var client = _server.Client(AdminApiServer.OperatorKey);

        using var response = await client.PostAsJsonAsync($"/api/dead-letters/{id}/edit", new { message = new { source = "crm" } });
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(problem.RootElement.GetProperty("detail").GetString(), Does.Contain("not a valid WebhookReceived"));
            Assert.That((await _database.DeadLetters().GetAsync(id, CancellationToken.None))!.Status, Is.EqualTo(DeadLetterStatus.New));
        });
    }

    [Test]
    public async Task Should_replay_a_DeadLetter_and_record_the_key_that_asked()
    {
        var id = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-api", "evt-api-replay", DateTimeOffset.UtcNow));
        using var client = _server.Client(AdminApiServer.OperatorKey);

        using var response = await client.PostAsJsonAsync($"/api/dead-letters/{id}/replay", new { by = "ana" });

        var trail = await _database.DeadLetters().GetAuditTrailAsync(id, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(trail.Select(t => t.Actor), Is.EqualTo(new[] { "ana (admin-api key ops)" }));
        });
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z]+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();
}
