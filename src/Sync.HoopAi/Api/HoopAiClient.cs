using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Sync.Contracts;
using Sync.Core;
using Sync.Core.Events;
using Sync.HoopAi.Circuits;
using Sync.HoopAi.Tokens;

namespace Sync.HoopAi.Api;

/// <summary>
/// The contact endpoints of the HoopAI API as a typed <see cref="HttpClient"/>. Every call takes a permit from the
/// location's shared budget, carries a bearer from <see cref="IAccessTokenProvider"/> and the <c>Version</c> header, is
/// logged (method, route template, status, latency, rate-limit headers; never a token), and fails with a
/// <see cref="SyncFailureException"/> that says what the failure means: 400/404/422 permanent, 401 (after one token
/// renewal) and 403 authentication, 429 rate limited (the whole location waits), 5xx and timeouts transient (retried
/// briefly here, then left to the message's redelivery).
/// </summary>
public sealed partial class HoopAiClient
{
    private const string StageConsumer = "api";

    private const int MaxDetailLength = 300;

    /// <summary>The route templates this client calls: the <c>route</c> label of the API metrics and log lines.</summary>
    public static IReadOnlyList<string> RouteTemplates { get; } =
    [
        "/contacts/upsert", "/contacts/{id}", "/contacts/search/duplicate", "/contacts/bulk/tags/update/add", "/contacts/bulk/tags/update/remove",
        "/contacts/search", "/contacts/", "/locations/{locationId}/customFields",
    ];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly ConditionalWeakTable<HoopAiOptions, ResiliencePipeline> RetryPipelines = new();

    private readonly HttpClient _http;
    private readonly IAccessTokenProvider _tokens;
    private readonly IApiRateLimiter _limiter;
    private readonly ApiCircuitBreaker _circuit;
    private readonly TimeProvider _time;
    private readonly ILogger<HoopAiClient> _logger;
    private readonly HoopAiOptions _options;
    private readonly ResiliencePipeline _transientRetry;

    /// <summary>Creates the client over an <see cref="HttpClient"/> whose base address is the API's.</summary>
    public HoopAiClient(
        HttpClient http,
        IAccessTokenProvider tokens,
        IApiRateLimiter limiter,
        ApiCircuitBreaker circuit,
        IOptions<HoopAiOptions> options,
        TimeProvider time,
        ILogger<HoopAiClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _tokens = tokens;
        _limiter = limiter;
        _circuit = circuit;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _transientRetry = RetryPipelines.GetValue(_options, static o => BuildTransientRetry(o));
    }

    // A typed client is made for every consumer scope; its retry pipeline is built once per options instance and shared
    // (a pipeline is immutable and thread-safe), since building one validates its options by reflection.
    private static ResiliencePipeline BuildTransientRetry(HoopAiOptions options) =>
        options.TransientRetries == 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    MaxRetryAttempts = options.TransientRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                    ShouldHandle = new PredicateBuilder().Handle<SyncFailureException>(e => e.Kind == FailureKind.Transient),
                })
                .Build();

    /// <summary>
    /// <c>POST /contacts/upsert</c> with the given fields and never tags (tags in an upsert replace all of a contact's tags).
    /// </summary>
    public Task<UpsertContactResult> UpsertContactAsync(string locationId, ContactFields fields, CancellationToken cancellationToken) =>
        UpsertContactAsync(locationId, fields, null, cancellationToken);

    /// <summary>
    /// <c>POST /contacts/upsert</c> with the given fields, and the custom field values given by field id
    /// (<c>customFields: [{id, field_value}]</c>; <see cref="ContactFields.CustomFields"/> by key is not sent: the caller
    /// maps keys to ids through <see cref="CustomFieldCache"/>). Never tags.
    /// </summary>
    public async Task<UpsertContactResult> UpsertContactAsync(
        string locationId, ContactFields fields, IReadOnlyCollection<CustomFieldValue>? customFields, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(fields);
        var body = new Dictionary<string, object?>(StringComparer.Ordinal) { ["locationId"] = locationId };
        AddIfSet(body, "email", fields.Email);
        AddIfSet(body, "phone", fields.Phone);
        AddIfSet(body, "firstName", fields.FirstName);
        AddIfSet(body, "lastName", fields.LastName);
        AddIfSet(body, "name", fields.Name);
        AddIfSet(body, "companyName", fields.CompanyName);
        AddIfSet(body, "address1", fields.Address1);
        AddIfSet(body, "city", fields.City);
        AddIfSet(body, "state", fields.State);
        AddIfSet(body, "postalCode", fields.PostalCode);
        AddIfSet(body, "country", fields.Country);
        AddIfSet(body, "website", fields.Website);
        AddIfSet(body, "timezone", fields.Timezone);
        AddIfSet(body, "source", fields.Source);
        if (customFields is { Count: > 0 })
        {
            body["customFields"] = customFields.Select(f => new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["id"] = f.Id,
                ["field_value"] = f.Value,
            }).ToList();
        }

        var response = await SendAsync<UpsertResponse>(HttpMethod.Post, "contacts/upsert", "/contacts/upsert", locationId, body, false, cancellationToken);
        var contact = response?.Contact is { Id.Length: > 0 } c
            ? c
            : throw new SyncFailureException(FailureKind.Transient, "POST /contacts/upsert answered without a contact id.");
        return new UpsertContactResult(contact, response.New);
    }

    /// <summary><c>GET /contacts/{id}</c>; null when the contact does not exist.</summary>
    public async Task<ApiContact?> GetContactAsync(string locationId, string contactId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contactId);
        var response = await SendAsync<ContactResponse>(HttpMethod.Get, $"contacts/{Uri.EscapeDataString(contactId)}",
            "/contacts/{id}", locationId, null, true, cancellationToken);
        return response?.Contact;
    }

    /// <summary><c>DELETE /contacts/{id}</c>; false when it was already gone (a delete is idempotent).</summary>
    public async Task<bool> DeleteContactAsync(string locationId, string contactId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contactId);
        var response = await SendAsync<JsonElement?>(HttpMethod.Delete, $"contacts/{Uri.EscapeDataString(contactId)}",
            "/contacts/{id}", locationId, null, true, cancellationToken);
        return response is not null;
    }

    /// <summary><c>GET /contacts/search/duplicate</c>: the contact an email or phone belongs to, or null.</summary>
    public async Task<ApiContact?> FindDuplicateAsync(string locationId, string? email, string? phone, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        if (email is null && phone is null)
        {
            throw new ArgumentException("An email or a phone is needed to find a contact.", nameof(email));
        }

        var query = $"contacts/search/duplicate?locationId={Uri.EscapeDataString(locationId)}";
        if (email is not null)
        {
            query += $"&email={Uri.EscapeDataString(email)}";
        }

        if (phone is not null)
        {
            query += $"&number={Uri.EscapeDataString(phone)}";
        }

        var response = await SendAsync<ContactResponse>(HttpMethod.Get, query, "/contacts/search/duplicate", locationId, null, true, cancellationToken);
        return response?.Contact is { Id.Length: > 0 } contact ? contact : null;
    }

    /// <summary>
    /// <c>POST /contacts/bulk/tags/update/{add|remove}</c> for up to the API's maximum of contacts. Partial failure is
    /// normal: the result lists each contact's outcome, and a failed contact does not fail the call.
    /// </summary>
    public async Task<BulkTagResult> BulkUpdateTagsAsync(
        string locationId, TagOperation operation, IReadOnlyCollection<string> contactIds, IReadOnlyCollection<string> tags,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(contactIds);
        ArgumentNullException.ThrowIfNull(tags);
        if (contactIds.Count == 0 || tags.Count == 0)
        {
            throw new ArgumentException("A bulk tag call needs at least one contact and one tag.", nameof(contactIds));
        }

        var verb = operation == TagOperation.Add ? "add" : "remove";
        var body = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["locationId"] = locationId,
            ["contacts"] = contactIds,
            ["tags"] = tags,
        };
        var response = await SendAsync<BulkResponse>(HttpMethod.Post, $"contacts/bulk/tags/update/{verb}",
            $"/contacts/bulk/tags/update/{verb}", locationId, body, false, cancellationToken);
        var outcomes = (response?.Responses ?? [])
            .Where(r => !string.IsNullOrEmpty(r.ContactId))
            .Select(r => new BulkTagOutcome(r.ContactId!, string.Equals(r.Type, "success", StringComparison.OrdinalIgnoreCase), r.Message))
            .ToList();
        if (outcomes.Count == 0)
        {
            // A 2xx that lists no contact: success for all unless it counts errors it does not name. Then none is known to
            // have been applied, and all are tried again (adding or removing a tag twice changes nothing).
            var unnamedErrors = response?.ErrorCount is > 0 || response?.Succeded == false;
            return new BulkTagResult(
                [.. contactIds.Select(id => new BulkTagOutcome(id, !unnamedErrors, unnamedErrors ? "the bulk answer counted errors without naming contacts" : null))],
                unnamedErrors ? contactIds.Count : 0);
        }

        // A contact the API did not mention has not been applied: report it as failed so it is retried alone.
        var mentioned = outcomes.Select(o => o.ContactId).ToHashSet(StringComparer.Ordinal);
        outcomes.AddRange(contactIds.Where(id => !mentioned.Contains(id))
            .Select(id => new BulkTagOutcome(id, false, "not in the bulk response")));
        return new BulkTagResult(outcomes, response?.ErrorCount ?? outcomes.Count(o => !o.Succeeded));
    }

    /// <summary>
    /// <c>GET /locations/{locationId}/customFields?model=contact</c>: the location's contact field definitions. Callers
    /// go through <see cref="CustomFieldCache"/>, which keeps them for <see cref="HoopAiOptions.CustomFieldsCacheTtl"/>.
    /// </summary>
    public async Task<IReadOnlyList<CustomFieldDefinition>> GetCustomFieldsAsync(string locationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        var response = await SendAsync<CustomFieldsResponse>(HttpMethod.Get,
            $"locations/{Uri.EscapeDataString(locationId)}/customFields?model=contact", "/locations/{locationId}/customFields",
            locationId, null, false, cancellationToken);
        return [.. (response?.CustomFields ?? []).Where(f => !string.IsNullOrEmpty(f.Id) && !string.IsNullOrEmpty(f.FieldKey))];
    }

    /// <summary>
    /// One cheap read (<c>GET /contacts/search/duplicate</c> for an address that cannot exist) made while the API's
    /// circuit is open, to see whether the API answers again. Returns normally when it answered; throws as any call does.
    /// </summary>
    public async Task ProbeAsync(string locationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        var query = $"contacts/search/duplicate?locationId={Uri.EscapeDataString(locationId)}&email={Uri.EscapeDataString("circuit-probe@sync.invalid")}";
        await SendOnceAsync<ContactResponse>(HttpMethod.Get, query, "/contacts/search/duplicate", locationId, null, true, probe: true, new System.Runtime.CompilerServices.StrongBox<int>(), cancellationToken);
    }

    private static void AddIfSet(Dictionary<string, object?> body, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            body[name] = value;
        }
    }

    private Task<T?> SendAsync<T>(
        HttpMethod method, string path, string route, string locationId, object? body, bool notFoundIsNull,
        CancellationToken cancellationToken) =>
        SendAsync<T>(method, path, route, locationId, body, notFoundIsNull, 1.0, cancellationToken);

    private Task<T?> SendAsync<T>(
        HttpMethod method, string path, string route, string locationId, object? body, bool notFoundIsNull, double budgetShare,
        CancellationToken cancellationToken) =>
        _transientRetry.ExecuteAsync(
            static (state, token) => new ValueTask<T?>(state.client.SendOnceAsync<T>(state.method, state.path, state.route, state.locationId, state.body, state.notFoundIsNull, probe: false, state.attempts, token, state.budgetShare)),
            (client: this, method, path, route, locationId, body, notFoundIsNull, budgetShare, attempts: new System.Runtime.CompilerServices.StrongBox<int>()),
            cancellationToken).AsTask();

    private async Task<T?> SendOnceAsync<T>(
        HttpMethod method, string path, string route, string locationId, object? body, bool notFoundIsNull, bool probe,
        System.Runtime.CompilerServices.StrongBox<int> attempts, CancellationToken cancellationToken, double budgetShare = 1.0)
    {
        // attempts counts every request of one logical call: the brief transient retries and a renewal after a 401.
        if (!probe)
        {
            // While the API is known to be down, no call is made: the message goes back without an attempt counted.
            _circuit.EnsureCallable(locationId);
        }

        var stages = new StageClock(StageConsumer);
        var token = await _tokens.GetAccessTokenAsync(locationId, cancellationToken);
        stages.Lap("token");
        for (var renewed = false; ; renewed = true)
        {
            var attempt = ++attempts.Value;
            stages.Skip();
            if (budgetShare < 1)
            {
                await _limiter.AcquireAsync(locationId, budgetShare, cancellationToken);
            }
            else
            {
                await _limiter.AcquireAsync(locationId, cancellationToken);
            }

            stages.Lap("rate-limit");

            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Version", _options.ApiVersion);
            request.Headers.Accept.ParseAdd("application/json");
            if (body is not null)
            {
                request.Content = JsonContent.Create(body, options: Json);
            }

            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                LogCallFailed(method.Method, route, locationId, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.Message);
                RecordCall(method.Method, route, "error", Stopwatch.GetElapsedTime(started).TotalSeconds);
                throw TransientFailure(locationId, $"{method} {route} could not reach the API: {ex.Message}", null, ex);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogCallFailed(method.Method, route, locationId, Stopwatch.GetElapsedTime(started).TotalMilliseconds, "timed out");
                RecordCall(method.Method, route, "timeout", Stopwatch.GetElapsedTime(started).TotalSeconds);
                throw TransientFailure(locationId, $"{method} {route} timed out after {_http.Timeout}.", null, ex);
            }

            using (response)
            {
                stages.Lap("http");
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var limits = RateLimitSnapshot.From(response.Headers, _time.GetUtcNow());
                _limiter.Observe(locationId, limits);
                var status = (int)response.StatusCode;
                LogCall(LevelOf(status), method.Method, route, locationId, status, elapsed, limits.Remaining, limits.Max, limits.DailyRemaining, limits.DailyLimit, attempt);
                RecordCall(method.Method, route, status.ToString(System.Globalization.CultureInfo.InvariantCulture), elapsed / 1000);
                RecordBudget(locationId, route, status, limits);
                if (status < 500)
                {
                    // Any answer but a 5xx shows the API is up (a 4xx or a 429 is about the call, not the API).
                    _circuit.RecordSuccess(locationId);
                }

                if (response.IsSuccessStatusCode)
                {
                    return await ReadAsync<T>(response, method, route, cancellationToken);
                }

                if (response.StatusCode == HttpStatusCode.Unauthorized && !renewed)
                {
                    token = await _tokens.RenewRejectedAsync(locationId, token, cancellationToken);
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.NotFound && notFoundIsNull)
                {
                    return default;
                }

                var detail = await DetailAsync(response, cancellationToken);
                var kind = FailureClassifier.Classify(status);
                if (kind == FailureKind.RateLimited)
                {
                    var wait = await _limiter.OnRateLimitedAsync(locationId, limits, cancellationToken);
                    throw new SyncFailureException(kind, $"{method} {route} for location {locationId} was rate limited (429); waiting {wait}.", wait) { HttpStatus = status };
                }

                var message = $"{method} {route} for location {locationId} answered {status}{detail}.";
                if (kind == FailureKind.Transient)
                {
                    throw TransientFailure(locationId, message, status, null, detail);
                }

                throw new SyncFailureException(kind, message) { HttpStatus = status, ApiAnswer = Answer(detail) };
            }
        }
    }

    // A transient failure of the API: when it (or an earlier one) has opened a circuit, the work waits without an attempt.
    private SyncFailureException TransientFailure(string locationId, string message, int? status, Exception? inner, string? detail = null)
    {
        if (_circuit.RecordFailure(locationId, message))
        {
            return new SyncFailureException(FailureKind.CircuitOpen, $"{message} The API's circuit is open; the work waits.", null, inner)
            {
                HttpStatus = status,
                ApiAnswer = Answer(detail),
            };
        }

        return new SyncFailureException(FailureKind.Transient, message, null, inner) { HttpStatus = status, ApiAnswer = Answer(detail) };
    }

    private static string? Answer(string? detail) => string.IsNullOrEmpty(detail) ? null : detail[2..];

    private static async Task<T?> ReadAsync<T>(HttpResponseMessage response, HttpMethod method, string route, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength == 0)
        {
            return typeof(T) == typeof(JsonElement?) ? (T)(object)default(JsonElement) : default;
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new SyncFailureException(FailureKind.Transient, $"{method} {route} answered unreadable JSON.", null, ex);
        }
    }

    // The API's message (e.g. a 422 naming the field) helps an operator; bodies never hold our token.
    private static async Task<string> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = (await response.Content.ReadAsStringAsync(cancellationToken)).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? "" : ": " + (text.Length > MaxDetailLength ? text[..MaxDetailLength] + "…" : text);
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    private static void RecordCall(string method, string route, string status, double seconds)
    {
        var tags = new TagList { { "method", method }, { "route", route }, { "status", status } };
        SyncTelemetry.ApiCalls.Add(1, tags);
        SyncTelemetry.ApiCallDuration.Record(seconds, tags);
    }

    private static void RecordBudget(string locationId, string route, int status, RateLimitSnapshot limits)
    {
        var location = SyncTelemetry.LocationLabel(locationId);
        if (status == (int)HttpStatusCode.TooManyRequests)
        {
            SyncTelemetry.ApiRateLimited.Add(1, new KeyValuePair<string, object?>("route", route));
        }

        // Locations past the label cap share one series: their last value would mislead, so only labelled ones are shown.
        if (location == SyncTelemetry.OtherLocations)
        {
            return;
        }

        if (limits.Remaining is { } remaining)
        {
            SyncTelemetry.ApiBudgetRemaining.Record(remaining, new KeyValuePair<string, object?>("location", location), new KeyValuePair<string, object?>("window", "burst"));
        }

        if (limits.Max is { } max)
        {
            SyncTelemetry.ApiBudgetLimit.Record(max, new KeyValuePair<string, object?>("location", location), new KeyValuePair<string, object?>("window", "burst"));
        }

        if (limits.DailyRemaining is { } daily)
        {
            SyncTelemetry.ApiBudgetRemaining.Record(daily, new KeyValuePair<string, object?>("location", location), new KeyValuePair<string, object?>("window", "daily"));
        }

        if (limits.DailyLimit is { } dailyLimit)
        {
            SyncTelemetry.ApiBudgetLimit.Record(dailyLimit, new KeyValuePair<string, object?>("location", location), new KeyValuePair<string, object?>("window", "daily"));
        }
    }

    // One line per call: Debug when it succeeded (the metrics count those), Information for a 429 (a wait the limiter
    // absorbs), Warning for any other refusal or a 5xx (what an operator looks for: `HoopAI ... -> 401`).
    private static LogLevel LevelOf(int status) => status switch
    {
        < 400 => LogLevel.Debug,
        429 => LogLevel.Information,
        _ => LogLevel.Warning,
    };

    [LoggerMessage(EventId = 3001,
        Message = "HoopAI {Method} {Route} location {LocationId} -> {Status} in {ElapsedMs:0.0} ms; budget {Remaining}/{Max}, daily {DailyRemaining}/{DailyLimit}; attempt {Attempt}")]
    private partial void LogCall(LogLevel level, string method, string route, string locationId, int status, double elapsedMs,
        int? remaining, int? max, int? dailyRemaining, int? dailyLimit, int attempt);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "HoopAI {Method} {Route} location {LocationId} failed after {ElapsedMs:0.0} ms: {Reason}")]
    private partial void LogCallFailed(string method, string route, string locationId, double elapsedMs, string reason);
}
