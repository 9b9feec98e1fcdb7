using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Sync.Messaging.DeadLetters;
using Sync.Storage;

namespace Sync.AdminApi.Endpoints;

/// <summary>The dead-letter routes: the same operations as <c>sync-admin dlq</c>, over <see cref="DeadLetterOperations"/>.</summary>
public static class DeadLetterEndpoints
{
    /// <summary>Maps <c>/api/dead-letters…</c> and <c>/api/status</c>.</summary>
    public static IEndpointRouteBuilder MapDeadLetterEndpoints(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api").WithTags("Dead letters");
        var read = api.MapGroup("").RequireAuthorization(AdminApiApp.Policies.Read);
        var operate = api.MapGroup("").RequireAuthorization(AdminApiApp.Policies.Operate);

        read.MapGet("/dead-letters", ListAsync).WithName("ListDeadLetters")
            .WithSummary("Dead letters matching the filters, most recent failure first; personal data redacted unless includePii (scope personal-data).");
        read.MapGet("/dead-letters/groups", GroupsAsync).WithName("GroupDeadLetters")
            .WithSummary("Dead letters grouped by cause (fingerprint), largest group first; new ones unless status is given.");
        read.MapGet("/dead-letters/{id:guid}", GetAsync).WithName("GetDeadLetter")
            .WithSummary("One dead letter with headers, body and audit trail.");
        operate.MapPost("/dead-letters/{id:guid}/replay", ReplayOneAsync).WithName("ReplayDeadLetter")
            .WithSummary("Replays one dead letter through the outbox with a fresh redelivery schedule.");
        operate.MapPost("/dead-letters/replay", ReplayManyAsync).WithName("ReplayDeadLetters")
            .WithSummary("Replays dead letters by ids, or a group or filter, at most rate a second.");
        operate.MapPost("/dead-letters/{id:guid}/edit", EditAsync).WithName("EditDeadLetter")
            .WithSummary("Replays an edited message as a new message after checking it against the contract; the original is kept and marked.");
        operate.MapPost("/dead-letters/{id:guid}/discard", DiscardAsync).WithName("DiscardDeadLetter")
            .WithSummary("Discards a dead letter, recorded in its audit trail.");
        read.MapGet("/status", StatusAsync).WithName("Status")
            .WithSummary("Queue depths and consumers, outbox backlog, open dead letters per group, circuits.");
        return routes;
    }

    /// <summary>Filters as query parameters.</summary>
    public sealed class FilterQuery
    {
        /// <summary>Only this work queue.</summary>
        public string? Queue { get; init; }

        /// <summary>Only this location.</summary>
        public string? Location { get; init; }

        /// <summary>Only this message type.</summary>
        public string? Type { get; init; }

        /// <summary>Only this group (fingerprint).</summary>
        public string? Group { get; init; }

        /// <summary>Only this classification.</summary>
        public string? Classification { get; init; }

        /// <summary>Only this status: new, replayed, discarded.</summary>
        public DeadLetterStatus? Status { get; init; }

        /// <summary>Only those whose last failure is at or after this.</summary>
        public DateTimeOffset? Since { get; init; }

        /// <summary>Only those whose last failure is before this.</summary>
        public DateTimeOffset? Until { get; init; }

        /// <summary>Only those containing this text.</summary>
        public string? Text { get; init; }

        internal DeadLetterFilter ToFilter(DeadLetterStatus? defaultStatus = null) => new()
        {
            SourceQueue = Queue, LocationId = Location, MessageType = Type, Fingerprint = Group, Classification = Classification,
            Status = Status ?? defaultStatus, LastFailedFrom = Since, LastFailedBefore = Until, Text = Text,
        };
    }

    /// <summary>A page of dead letters.</summary>
    public sealed record DeadLetterPageResponse(long Total, int Skip, int Take, IReadOnlyList<DeadLetterView> Items);

    /// <summary>One dead letter in full.</summary>
    public sealed record DeadLetterResponse(DeadLetterView DeadLetter, IReadOnlyList<DeadLetterAuditEntry> Audit);

    /// <summary>Who acts, for the audit trail (the key's name is always recorded too).</summary>
    public sealed record ActorRequest(string? By);

    /// <summary>A bulk replay: ids, or a filter (group, queue, …).</summary>
    public sealed record ReplayRequest(IReadOnlyList<Guid>? Ids, FilterBody? Filter, double? Rate, bool DryRun, string? By);

    /// <summary>Filter fields in a request body.</summary>
    public sealed record FilterBody(string? Queue, string? Location, string? Type, string? Group, string? Classification, DateTimeOffset? Since, DateTimeOffset? Until, string? Text);

    /// <summary>An edit: the new message (JSON object of the dead letter's contract).</summary>
    public sealed record EditRequest(System.Text.Json.Nodes.JsonObject? Message, bool DryRun, string? By);

    /// <summary>A discard.</summary>
    public sealed record DiscardRequest(string? Note, string? By);

    /// <summary>A replay's outcomes.</summary>
    public sealed record ReplayResponse(bool DryRun, int Replayed, IReadOnlyList<ReplayOutcome> Outcomes);

    private static async Task<Results<Ok<DeadLetterPageResponse>, ProblemHttpResult>> ListAsync(
        [AsParameters] FilterQuery query, DeadLetterOperations operations, ClaimsPrincipal user, CancellationToken cancellationToken,
        int skip = 0, int take = 50, bool includePii = false)
    {
        if (PersonalDataRefused(user, includePii) is { } refused)
        {
            return refused;
        }

        if (skip < 0 || take is < 1 or > DeadLetterFilter.MaxTake)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid paging.",
                detail: $"skip must not be negative and take must be between 1 and {DeadLetterFilter.MaxTake}.");
        }

        var filter = query.ToFilter() with { Skip = skip, Take = take };
        var page = await operations.ListAsync(filter, cancellationToken);
        return TypedResults.Ok(new DeadLetterPageResponse(page.Total, skip, take, [.. page.Items.Select(d => DeadLetterView.From(d, detailed: false, includePii))]));
    }

    private static async Task<Ok<IReadOnlyList<DeadLetterGroup>>> GroupsAsync(
        [AsParameters] FilterQuery query, DeadLetterOperations operations, CancellationToken cancellationToken, int take = 50)
    {
        var groups = await operations.GroupsAsync(query.ToFilter(DeadLetterStatus.New) with { Take = Math.Clamp(take, 1, DeadLetterFilter.MaxTake) }, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<DeadLetterGroup>>([.. groups.Select(g => g with { SampleFaultMessage = Redaction.RedactText(g.SampleFaultMessage) })]);
    }

    private static async Task<Results<Ok<DeadLetterResponse>, ProblemHttpResult>> GetAsync(
        Guid id, DeadLetterOperations operations, ClaimsPrincipal user, CancellationToken cancellationToken, bool includePii = false)
    {
        if (PersonalDataRefused(user, includePii) is { } refused)
        {
            return refused;
        }

        var deadLetter = await operations.GetAsync(id, cancellationToken);
        if (deadLetter is null)
        {
            return NotFound(id);
        }

        var trail = await operations.AuditTrailAsync(id, cancellationToken);
        return TypedResults.Ok(new DeadLetterResponse(DeadLetterView.From(deadLetter, detailed: true, includePii), trail));
    }

    private static async Task<Results<Ok<ReplayOutcome>, ProblemHttpResult>> ReplayOneAsync(
        Guid id, [FromBody] ActorRequest? request, DeadLetterOperations operations, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await operations.ReplayOneAsync(id, Actor(user, request?.By), dryRun: false, cancellationToken);
        return outcome.Kind switch
        {
            ReplayOutcomeKind.NotFound => NotFound(id),
            ReplayOutcomeKind.Refused or ReplayOutcomeKind.Skipped => TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "The dead letter cannot be replayed.", detail: outcome.Detail),
            _ => TypedResults.Ok(outcome),
        };
    }

    private static async Task<Results<Ok<ReplayResponse>, ProblemHttpResult>> ReplayManyAsync(
        ReplayRequest request, DeadLetterOperations operations, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var hasIds = request.Ids is { Count: > 0 };
        if (hasIds == (request.Filter is not null))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Say what to replay.",
                detail: "Give either ids or a filter (group, queue, …), not both and not neither.");
        }

        if (request.Rate is { } rate && (rate <= 0 || double.IsNaN(rate) || double.IsInfinity(rate)))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid rate.", detail: "rate must be a positive number of replays per second.");
        }

        IReadOnlyList<Guid> ids = hasIds
            ? request.Ids!
            : [.. (await operations.SelectAsync(ToFilter(request.Filter!), cancellationToken)).OrderBy(d => d.LastFailedAt).ThenBy(d => d.Id).Select(d => d.Id)];
        var result = await operations.ReplayAsync(ids, Actor(user, request.By), request.Rate, request.DryRun, progress: null, cancellationToken);
        return TypedResults.Ok(new ReplayResponse(result.DryRun, result.Replayed, result.Outcomes));
    }

    private static async Task<Results<Ok<ReplayOutcome>, ProblemHttpResult>> EditAsync(
        Guid id, EditRequest request, DeadLetterOperations operations, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (request.Message is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No message.", detail: "Give the new message as a JSON object in 'message'.");
        }

        try
        {
            return TypedResults.Ok(await operations.EditAndReplayAsync(id, request.Message.ToJsonString(), Actor(user, request.By), request.DryRun, cancellationToken));
        }
        catch (DeadLetterRefusedException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The edit was refused.", detail: ex.Message);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DiscardAsync(
        Guid id, [FromBody] DiscardRequest? request, DeadLetterOperations operations, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        await operations.DiscardAsync(id, Actor(user, request?.By), request?.Note, cancellationToken) ? TypedResults.NoContent() : NotFound(id);

    private static async Task<Ok<OperationsStatus>> StatusAsync(DeadLetterOperations operations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await operations.StatusAsync(cancellationToken));

    private static DeadLetterFilter ToFilter(FilterBody body) => new()
    {
        SourceQueue = body.Queue, LocationId = body.Location, MessageType = body.Type, Fingerprint = body.Group, Classification = body.Classification,
        Status = DeadLetterStatus.New, LastFailedFrom = body.Since, LastFailedBefore = body.Until, Text = body.Text,
    };

    private static ProblemHttpResult? PersonalDataRefused(ClaimsPrincipal user, bool includePii) =>
        includePii && !user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, AdminApiScopes.PersonalData)
            ? TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Personal data needs the personal-data scope.",
                detail: "This key may read dead letters only with emails and phones masked and names dropped; ask without includePii.")
            : null;

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such dead letter.", detail: $"There is no dead letter {id}.");

    private static string Actor(ClaimsPrincipal user, string? by)
    {
        var key = user.Identity?.Name ?? "unknown";
        return string.IsNullOrWhiteSpace(by) ? $"admin-api (key {key})" : $"{by.Trim()} (admin-api key {key})";
    }
}
